package api

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/vitrin/vitrin/internal/config"
	"github.com/vitrin/vitrin/internal/csrf"
)

// raw sends one request without a cookie jar or any header the test did
// not name: what a storefront's server-side code sends.
func (ts *testStore) raw(method, path, body string, headers ...string) *response {
	ts.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.srv.URL+path, rd)
	if err != nil {
		ts.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := ts.srv.Client().Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		ts.t.Fatal(err)
	}
	return &response{Response: resp, body: raw}
}

// setCookie returns the value a response sets for a cookie, or "".
func (r *response) setCookie(name string) string {
	for _, c := range r.Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// bodyIs asserts the exact body.
func (r *response) bodyIs(t *testing.T, want string) {
	t.Helper()
	if got := strings.TrimSpace(string(r.body)); got != want {
		t.Fatalf("%s %s: body %s, want %s", r.Request.Method, r.Request.URL.Path, got, want)
	}
}

func (ts *testStore) count(query string, args ...any) int {
	ts.t.Helper()
	var n int
	if err := ts.db.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		ts.t.Fatal(err)
	}
	return n
}

const (
	adaEmail    = "ada@example.com"
	adaPassword = "analytical-engine-1843"
)

// TestQuickStart walks the contract's quick start the way a storefront
// does, step by step, ending with the real client's two-step logout.
func TestQuickStart(t *testing.T) {
	ts := newTestStore(t)
	ts.shopper().register(adaEmail, adaPassword)

	sh := ts.shopper()
	// 1. GET /csrf_token/: the token in the body and in the cookie.
	res := sh.do("GET", "/csrf_token/", nil).must(t, 200)
	var tok struct {
		CSRFToken string `json:"csrf_token"`
	}
	res.decode(t, &tok)
	if !csrf.Valid(tok.CSRFToken) || res.setCookie("csrftoken") != tok.CSRFToken {
		t.Fatalf("csrf_token %q, cookie %q", tok.CSRFToken, res.setCookie("csrftoken"))
	}
	guestID := sh.cookie("osessionid")
	if guestID == "" || !regexp.MustCompile(`^\w+$`).MatchString(guestID) {
		t.Fatalf("guest session cookie %q", guestID)
	}

	// 2. Login with x-csrftoken: {"key"}, a new osessionid, a new csrftoken.
	res = sh.do("POST", "/users/login/", map[string]string{"email": adaEmail, "password": adaPassword},
		"x-csrftoken", tok.CSRFToken).must(t, 200)
	var login struct{ Key string }
	res.decode(t, &login)
	if login.Key == "" || res.setCookie("osessionid") != login.Key || login.Key == guestID {
		t.Fatalf("login key %q, cookie %q, guest id %q", login.Key, res.setCookie("osessionid"), guestID)
	}
	if c := res.setCookie("csrftoken"); c == "" || c == tok.CSRFToken {
		t.Fatalf("login did not rotate the csrftoken cookie: %q", c)
	}

	// 3. The customer, with every field the client reads.
	user := sh.do("GET", "/current_user/", nil).must(t, 200).json()
	for _, field := range []string{"pk", "first_name", "last_name", "email", "phone", "email_allowed", "sms_allowed",
		"date_joined", "last_login", "date_of_birth", "gender", "hashed_email", "attributes"} {
		if _, ok := user[field]; !ok {
			t.Errorf("current_user lacks %q: %v", field, user)
		}
	}
	if user["email"] != adaEmail || user["last_login"] == nil {
		t.Fatalf("current_user %v", user)
	}

	// A non-GET without the header is refused and changes nothing; with it
	// it is accepted.
	sh.noCSRF = true
	sh.do("PATCH", "/users/profile/", map[string]string{"first_name": "Mallory"}).must(t, 403).
		bodyIs(t, `{"detail":"CSRF Failed: CSRF token missing."}`)
	sh.noCSRF = false
	if got := sh.do("GET", "/users/profile/", nil).must(t, 200).json()["first_name"]; got != "Ada" {
		t.Fatalf("a refused request changed first_name to %v", got)
	}
	sh.do("PATCH", "/users/profile/", map[string]string{"first_name": "Augusta"}).must(t, 200)

	// Logout exactly as api/logout.ts does it, with the session header the
	// storefront passes along.
	session := "osessionid=" + sh.cookie("osessionid")
	step1 := ts.raw("POST", "/users/logout", "", "Cookie", session).must(t, 200)
	match := regexp.MustCompile(`(?i)name=['|"]csrfmiddlewaretoken['|"] value=['|"]\w+`).FindString(string(step1.body))
	token := regexp.MustCompile(`(?i)name=['|"]csrfmiddlewaretoken['|"] value=['|"]`).ReplaceAllString(match, "")
	if !csrf.Valid(token) {
		t.Fatalf("step 1 printed no token: %s", step1.body)
	}
	ts.raw("GET", "/current_user/", "", "Cookie", session).must(t, 200) // step 1 changed nothing
	form := url.Values{"csrfmiddlewaretoken": {token}}.Encode()
	ts.raw("POST", "/users/logout", form, "Cookie", "csrftoken="+token+"; "+session,
		"Content-Type", "application/x-www-form-urlencoded").must(t, 200)
	ts.raw("GET", "/current_user/", "", "Cookie", session).must(t, 401)
}

// TestLogoutWithoutSession is the real client's logout when the storefront
// has no session cookie: both steps send the literal "undefined".
func TestLogoutWithoutSession(t *testing.T) {
	ts := newTestStore(t)
	step1 := ts.raw("POST", "/users/logout", "", "Cookie", "undefined").must(t, 200)
	match := regexp.MustCompile(`(?i)name=['|"]csrfmiddlewaretoken['|"] value=['|"]\w+`).FindString(string(step1.body))
	token := regexp.MustCompile(`(?i)name=['|"]csrfmiddlewaretoken['|"] value=['|"]`).ReplaceAllString(match, "")
	if len(token) != 32 {
		t.Fatalf("step 1 must print the plain 32-character token: %q in %s", token, step1.body)
	}
	ts.raw("POST", "/users/logout", url.Values{"csrfmiddlewaretoken": {token}}.Encode(),
		"Cookie", "csrftoken="+token+"; undefined", "Content-Type", "application/x-www-form-urlencoded").must(t, 200)
	// With the trailing slash and a JSON body too.
	ts.raw("POST", "/users/logout/", `{"csrfmiddlewaretoken":"`+token+`"}`,
		"Cookie", "csrftoken="+token, "Content-Type", "application/json").must(t, 200)
}

// TestGuestCSRF covers the rule for guests: a proof may be absent, a
// present one must be right, and a browser's cross-site mark without proof
// is refused.
func TestGuestCSRF(t *testing.T) {
	const storefront = "https://shop.example"
	ts := newTestStore(t, func(c *config.Config) { c.CORSOrigins = []string{storefront} })
	secret := csrf.New()
	cookie := "csrftoken=" + secret
	missing := `{"detail":"CSRF Failed: CSRF token missing."}`
	incorrect := `{"detail":"CSRF Failed: CSRF token incorrect."}`
	tests := []struct {
		name    string
		headers []string
		status  int    // 400: it passed CSRF and the empty login was refused
		body    string // the exact 403 body
	}{
		{"no proof, server-side caller", []string{"Cookie", cookie}, 400, ""},
		{"no proof, no cookie at all", nil, 400, ""},
		{"right proof", []string{"Cookie", cookie, "X-CSRFToken", secret}, 400, ""},
		{"Django's masked proof", []string{"Cookie", cookie, "X-CSRFToken", csrf.Mask(secret)}, 400, ""},
		{"wrong proof", []string{"Cookie", cookie, "X-CSRFToken", csrf.New()}, 403, incorrect},
		{"malformed proof", []string{"Cookie", cookie, "X-CSRFToken", "abc"}, 403, incorrect},
		{"proof without cookie", []string{"X-CSRFToken", secret}, 403, incorrect},
		{"cross-site Origin, no proof", []string{"Cookie", cookie, "Origin", "https://evil.example"}, 403, missing},
		{"null Origin, no proof", []string{"Cookie", cookie, "Origin", "null"}, 403, missing},
		{"Sec-Fetch-Site cross-site, no proof", []string{"Cookie", cookie, "Sec-Fetch-Site", "cross-site"}, 403, missing},
		{"Sec-Fetch-Site same-site, no proof", []string{"Cookie", cookie, "Sec-Fetch-Site", "same-site"}, 400, ""},
		{"storefront Origin, no proof", []string{"Cookie", cookie, "Origin", storefront}, 400, ""},
		{"own Origin, no proof", []string{"Cookie", cookie, "Origin", ts.srv.URL}, 400, ""},
		{"cross-site Origin with proof", []string{"Cookie", cookie, "X-CSRFToken", secret, "Origin", "https://evil.example"}, 403,
			`{"detail":"CSRF Failed: Origin checking failed - the request's origin is not trusted."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := ts.raw("POST", "/users/login/", "{}", append([]string{"Content-Type", "application/json"}, tt.headers...)...)
			res.must(t, tt.status)
			if tt.body != "" {
				res.bodyIs(t, tt.body)
			}
		})
	}
	// The form field counts as proof, as a header does.
	ts.raw("POST", "/users/login/", url.Values{"csrfmiddlewaretoken": {csrf.New()}}.Encode(),
		"Cookie", cookie, "Content-Type", "application/x-www-form-urlencoded").must(t, 403).bodyIs(t, incorrect)
	ts.raw("POST", "/users/login/", url.Values{"csrfmiddlewaretoken": {secret}}.Encode(),
		"Cookie", cookie, "Content-Type", "application/x-www-form-urlencoded").must(t, 400)
}

// TestCustomerCSRF: a logged-in customer always needs the proof, and
// Django's masked form of it is as good as the secret.
func TestCustomerCSRF(t *testing.T) {
	ts := newTestStore(t)
	sh := ts.shopper()
	sh.register(adaEmail, adaPassword)
	secret := sh.cookie("csrftoken")
	sh.noCSRF = true
	sh.do("PATCH", "/users/profile/", map[string]string{"last_name": "King"}).must(t, 403).
		bodyIs(t, `{"detail":"CSRF Failed: CSRF token missing."}`)
	sh.do("PATCH", "/users/profile/", map[string]string{"last_name": "King"}, "X-CSRFToken", csrf.New()).must(t, 403).
		bodyIs(t, `{"detail":"CSRF Failed: CSRF token incorrect."}`)
	sh.do("PATCH", "/users/profile/", map[string]string{"last_name": "King"}, "X-CSRFToken", csrf.Mask(secret)).must(t, 200)
	sh.do("PATCH", "/users/profile/", url.Values{"last_name": {"Byron"}, "csrfmiddlewaretoken": {csrf.Mask(secret)}}).must(t, 200)
	if got := sh.do("GET", "/users/profile/", nil).must(t, 200).json()["last_name"]; got != "Byron" {
		t.Fatalf("last_name %v", got)
	}
}

// TestSecureOriginCheck: with Secure on, an unsafe request with a right
// proof must also come from a trusted Origin or Referer (Django's HTTPS rule).
func TestSecureOriginCheck(t *testing.T) {
	const trusted = "https://shop.example"
	ts := newTestStore(t, func(c *config.Config) {
		c.CookieSecure = true
		c.TrustedOrigins = []string{trusted}
	})
	secret := csrf.New()
	proof := []string{"Content-Type", "application/json", "Cookie", "csrftoken=" + secret, "X-CSRFToken", secret}
	originFailed := `{"detail":"CSRF Failed: Origin checking failed - the request's origin is not trusted."}`
	tests := []struct {
		name    string
		headers []string
		status  int
		body    string
	}{
		{"neither Origin nor Referer", nil, 403, `{"detail":"CSRF Failed: Referer checking failed - no Origin or Referer."}`},
		{"trusted Origin", []string{"Origin", trusted}, 400, ""},
		{"own Origin", []string{"Origin", ts.srv.URL}, 400, ""},
		{"untrusted Origin", []string{"Origin", "https://evil.example"}, 403, originFailed},
		{"trusted Referer", []string{"Referer", trusted + "/account/login?next=/"}, 400, ""},
		{"untrusted Referer", []string{"Referer", "https://evil.example/page"}, 403, originFailed},
		{"garbage Referer", []string{"Referer", "::not a url"}, 403, `{"detail":"CSRF Failed: Referer checking failed - no Origin or Referer."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := ts.raw("POST", "/users/login/", "{}", append(append([]string{}, proof...), tt.headers...)...).must(t, tt.status)
			if tt.body != "" {
				res.bodyIs(t, tt.body)
			}
		})
	}
	// Cookies are Secure.
	res := ts.raw("GET", "/csrf_token/", "")
	for _, c := range res.Cookies() {
		if !c.Secure {
			t.Errorf("cookie %s is not Secure", c.Name)
		}
	}
}

func TestRegistrationValidation(t *testing.T) {
	ts := newTestStore(t)
	ts.shopper().register("taken@example.com", adaPassword)
	long := strings.Repeat("x", 151)
	tests := []struct {
		name   string
		body   map[string]string
		field  string
		expect string
	}{
		{"nothing sent", map[string]string{}, "email", "This field is required."},
		{"no password", map[string]string{"email": "new@example.com"}, "password", "This field is required."},
		{"invalid e-mail", map[string]string{"email": "not-an-email", "password": adaPassword}, "email", "Enter a valid email address."},
		{"e-mail without a dot", map[string]string{"email": "a@localhost", "password": adaPassword}, "email", "Enter a valid email address."},
		{"e-mail with a name", map[string]string{"email": "Ada <ada@example.com>", "password": adaPassword}, "email", "Enter a valid email address."},
		{"taken e-mail, other case", map[string]string{"email": "TAKEN@Example.com", "password": adaPassword}, "email", "already registered"},
		{"short password", map[string]string{"email": "new@example.com", "password": "Ab1"}, "password", "too short"},
		{"numeric password", map[string]string{"email": "new@example.com", "password": "8675309123"}, "password", "entirely numeric"},
		{"common password", map[string]string{"email": "new@example.com", "password": "password1"}, "password", "too common"},
		{"password like the e-mail", map[string]string{"email": "hamilton@example.com", "password": "xhamilton1969"}, "password", "too similar"},
		{"long password", map[string]string{"email": "new@example.com", "password": strings.Repeat("ab1", 43)}, "password", "too long"},
		{"bad phone", map[string]string{"email": "new@example.com", "password": adaPassword, "phone": "12ab"}, "phone", "valid phone"},
		{"short phone", map[string]string{"email": "new@example.com", "password": adaPassword, "phone": "+123"}, "phone", "valid phone"},
		{"date of birth format", map[string]string{"email": "new@example.com", "password": adaPassword, "date_of_birth": "31/12/1990"}, "date_of_birth", "YYYY-MM-DD"},
		{"date of birth in the future", map[string]string{"email": "new@example.com", "password": adaPassword, "date_of_birth": "2999-01-01"}, "date_of_birth", "valid date of birth"},
		{"unknown gender", map[string]string{"email": "new@example.com", "password": adaPassword, "gender": "robot"}, "gender", "not a valid choice"},
		{"long first name", map[string]string{"email": "new@example.com", "password": adaPassword, "first_name": long}, "first_name", "no more than 150"},
		{"long last name", map[string]string{"email": "new@example.com", "password": adaPassword, "last_name": long}, "last_name", "no more than 150"},
	}
	// Each refusal, sent as JSON and as a form.
	var scenarios []scenario
	for _, tt := range tests {
		form := url.Values{}
		for k, v := range tt.body {
			form.Set(k, v)
		}
		for encoding, body := range map[string]any{"json": tt.body, "form": form} {
			scenarios = append(scenarios, scenario{name: tt.name + "/" + encoding, method: "POST", url: "/users/registration/",
				body: body, status: 400, fields: map[string]string{tt.field: tt.expect}})
		}
	}
	runScenarios(t, ts, scenarios)
	if n := ts.count("SELECT COUNT(*) FROM customers"); n != 1 {
		t.Fatalf("refused registrations created customers: %d", n)
	}
}

// TestRegistrationLogsIn: a new customer is logged in at once, with a new
// session id that carries the guest's data.
func TestRegistrationLogsIn(t *testing.T) {
	ts := newTestStore(t)
	for _, encoding := range []string{"json", "form"} {
		t.Run(encoding, func(t *testing.T) {
			sh := ts.shopper()
			sh.do("GET", "/csrf_token/", nil).must(t, 200)
			guestID := sh.cookie("osessionid")
			email := encoding + "@example.com"
			fields := map[string]string{"email": email, "password": adaPassword, "first_name": "Ada",
				"phone": "+905551112233", "date_of_birth": "1990-12-10", "gender": "female", "email_allowed": "true"}
			var body any = fields
			if encoding == "form" {
				form := url.Values{}
				for k, v := range fields {
					form.Set(k, v)
				}
				body = form
			}
			res := sh.do("POST", "/users/registration/", body, "Accept-Language", "tr-TR,tr;q=0.9").must(t, 200)
			var reg map[string]string
			res.decode(t, &reg)
			if len(reg) != 1 || reg["key"] == "" || reg["key"] != res.setCookie("osessionid") || reg["key"] == guestID {
				t.Fatalf("registration answered %s with session cookie %q (guest %q)", res.body, res.setCookie("osessionid"), guestID)
			}
			user := sh.do("GET", "/current_user/", nil).must(t, 200).json()
			if user["last_login"] == nil {
				t.Error("registration is the first login: last_login is null")
			}
			want := map[string]any{"email": email, "first_name": "Ada", "phone": "+905551112233",
				"date_of_birth": "1990-12-10", "gender": "female", "email_allowed": true, "sms_allowed": false, "language": "tr-tr"}
			for k, v := range want {
				if user[k] != v {
					t.Errorf("%s = %v, want %v", k, user[k], v)
				}
			}
			ts.raw("GET", "/current_user/", "", "Cookie", "osessionid="+guestID).must(t, 401)
		})
	}
}

func TestCurrentUserNeedsCustomer(t *testing.T) {
	ts := newTestStore(t)
	const noCredentials = `{"detail":"Authentication credentials were not provided."}`
	runScenarios(t, ts, []scenario{
		{name: "current user", method: "GET", url: "/current_user/", status: 401, answer: noCredentials},
		{name: "current user, no slash", method: "GET", url: "/current_user", status: 401, answer: noCredentials},
		{name: "profile", method: "GET", url: "/users/profile/", status: 401, answer: noCredentials},
		// A forged or unknown session id is a guest.
		{name: "forged session", method: "GET", url: "/current_user/", headers: []string{"Cookie", "osessionid=forged0000000000000000000000000000000000"},
			status: 401, answer: noCredentials},
		{name: "profile update", method: "PATCH", url: "/users/profile/", body: map[string]string{"first_name": "X"}, status: 401},
		{name: "password change", method: "POST", url: "/users/password/change/", body: map[string]string{"old_password": "x"}, status: 401},
	})
}

func TestProfileUpdates(t *testing.T) {
	ts := newTestStore(t)
	sh := ts.shopper()
	sh.register(adaEmail, adaPassword)
	profile := func() map[string]any { return sh.do("GET", "/users/profile/", nil).must(t, 200).json() }
	steps := []struct {
		name   string
		method string
		body   any
		want   map[string]any
	}{
		{"PATCH JSON", "PATCH", map[string]any{"first_name": " Grace ", "email_allowed": true, "date_of_birth": "1906-12-09", "gender": "FEMALE"},
			map[string]any{"first_name": "Grace", "last_name": "Lovelace", "email_allowed": true, "date_of_birth": "1906-12-09", "gender": "female"}},
		{"PATCH form", "PATCH", url.Values{"last_name": {"Hopper"}, "sms_allowed": {"on"}, "phone": {"05551112233"}},
			map[string]any{"first_name": "Grace", "last_name": "Hopper", "sms_allowed": true, "email_allowed": true, "phone": "05551112233"}},
		{"PUT JSON with string booleans", "PUT", map[string]any{"first_name": "Ada", "email_allowed": "false", "sms_allowed": "0"},
			map[string]any{"first_name": "Ada", "email_allowed": false, "sms_allowed": false}},
		{"PUT form clears the date of birth", "PUT", url.Values{"date_of_birth": {""}, "gender": {"male"}},
			map[string]any{"date_of_birth": nil, "gender": "male"}},
		{"text/plain JSON", "PATCH", `{"first_name":"Augusta"}`, map[string]any{"first_name": "Augusta"}},
	}
	for _, step := range steps {
		if text, ok := step.body.(string); ok {
			// The real client's proxy sends JSON as text/plain.
			sh.doRaw(step.method, "/users/profile/", text, "Content-Type", "text/plain;charset=UTF-8").must(t, 200)
		} else {
			sh.do(step.method, "/users/profile/", step.body).must(t, 200)
		}
		got := profile()
		for k, v := range step.want {
			if got[k] != v {
				t.Errorf("%s: %s = %v, want %v", step.name, k, got[k], v)
			}
		}
	}
	before := profile()
	refused := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"bad phone", map[string]any{"first_name": "Zed", "phone": "call me"}, "phone"},
		{"an object for a name", map[string]any{"first_name": map[string]any{"text": "Zed"}}, "first_name"},
		{"a list for a switch", map[string]any{"first_name": "Zed", "email_allowed": []any{true}}, "email_allowed"},
	}
	for _, tt := range refused {
		res := sh.do("PATCH", "/users/profile/", tt.body).must(t, 400)
		var errs map[string][]string
		res.decode(t, &errs)
		if len(errs[tt.field]) == 0 {
			t.Errorf("%s: no error for %s in %s", tt.name, tt.field, res.body)
		}
		if after := profile(); after["first_name"] != before["first_name"] || after["email_allowed"] != before["email_allowed"] {
			t.Fatalf("%s: a refused update changed the profile to %v", tt.name, after)
		}
	}
	res := sh.do("POST", "/users/registration/", map[string]any{"email": []string{"zed@example.com"}, "password": adaPassword}).must(t, 400)
	if !strings.Contains(string(res.body), `"email":["Not a valid value."]`) {
		t.Fatalf("a list for the e-mail: %s", res.body)
	}
}

// doRaw sends body as it is under the given headers, with the shopper's
// cookies and CSRF header.
func (sh *shopper) doRaw(method, path, body string, headers ...string) *response {
	sh.t.Helper()
	req, err := http.NewRequest(method, sh.store.srv.URL+path, strings.NewReader(body))
	if err != nil {
		sh.t.Fatal(err)
	}
	if tok := sh.cookie(csrf.CookieName); tok != "" {
		req.Header.Set("X-CSRFToken", tok)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := sh.http.Do(req)
	if err != nil {
		sh.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return &response{Response: resp, body: raw}
}

func TestPasswordChange(t *testing.T) {
	ts := newTestStore(t)
	sh := ts.shopper()
	sh.register(adaEmail, adaPassword)
	other := ts.shopper()
	other.login(adaEmail, adaPassword)
	const newPassword = "difference-engine-1822"
	tests := []struct {
		name  string
		body  map[string]string
		field string
		msg   string
	}{
		{"wrong old password", map[string]string{"old_password": "nope-nope-nope", "new_password1": newPassword, "new_password2": newPassword}, "old_password", "incorrectly"},
		{"mismatch", map[string]string{"old_password": adaPassword, "new_password1": newPassword, "new_password2": newPassword + "x"}, "new_password2", "didn't match"},
		{"weak", map[string]string{"old_password": adaPassword, "new_password1": "12345", "new_password2": "12345"}, "new_password2", "too short"},
		{"missing", map[string]string{"old_password": adaPassword}, "new_password1", "required"},
	}
	for _, tt := range tests {
		res := sh.do("POST", "/users/password/change/", tt.body).must(t, 400)
		var errs map[string][]string
		res.decode(t, &errs)
		if !strings.Contains(strings.Join(errs[tt.field], " "), tt.msg) {
			t.Errorf("%s: want %s ~ %q, got %s", tt.name, tt.field, tt.msg, res.body)
		}
	}
	other.do("GET", "/current_user/", nil).must(t, 200) // refused changes ended nothing

	sh.do("POST", "/users/password/change", url.Values{"old_password": {adaPassword},
		"new_password1": {newPassword}, "new_password2": {newPassword}}).must(t, 200)
	sh.do("GET", "/current_user/", nil).must(t, 200)    // this session goes on
	other.do("GET", "/current_user/", nil).must(t, 401) // the other device is logged out
	fresh := ts.shopper()
	fresh.do("GET", "/csrf_token/", nil).must(t, 200)
	fresh.do("POST", "/users/login/", map[string]string{"email": adaEmail, "password": adaPassword}).must(t, 400)
	fresh.do("POST", "/users/login/", map[string]string{"email": adaEmail, "password": newPassword}).must(t, 200)
}

// TestSessionRotation: login replaces the session id (the old one stops
// working) and carries the guest's data over; logout replaces it again and
// empties it.
func TestSessionRotation(t *testing.T) {
	ts := newTestStore(t)
	ts.shopper().register(adaEmail, adaPassword)
	ctx := context.Background()

	sh := ts.shopper()
	sh.do("GET", "/csrf_token/", nil).must(t, 200)
	guestID := sh.cookie("osessionid")
	guest, err := ts.api.sessions.Load(ctx, guestID)
	if err != nil {
		t.Fatal(err)
	}
	guest.Set("note", "kept across login")
	if err := ts.api.sessions.Save(ctx, ts.db, guest); err != nil {
		t.Fatal(err)
	}

	sh.do("POST", "/users/login/", map[string]string{"email": adaEmail, "password": adaPassword}).must(t, 200)
	customerID := sh.cookie("osessionid")
	if customerID == guestID {
		t.Fatal("login kept the session id")
	}
	if n := ts.count("SELECT COUNT(*) FROM sessions WHERE id = $1", guestID); n != 0 {
		t.Fatal("the guest session row outlived the login")
	}
	sess, err := ts.api.sessions.Load(ctx, customerID)
	if err != nil {
		t.Fatal(err)
	}
	if !sess.IsCustomer() || sess.Get("note") != "kept across login" {
		t.Fatalf("after login: customer %d, note %q", sess.CustomerID, sess.Get("note"))
	}
	ts.raw("GET", "/current_user/", "", "Cookie", "osessionid="+guestID).must(t, 401)

	// Logout: a new, empty guest session; the customer's id is dead.
	res := sh.do("POST", "/users/logout/", url.Values{"csrfmiddlewaretoken": {sh.cookie("csrftoken")}}).must(t, 200)
	afterID := res.setCookie("osessionid")
	if afterID == "" || afterID == customerID {
		t.Fatalf("logout session cookie %q (was %q)", afterID, customerID)
	}
	ts.raw("GET", "/current_user/", "", "Cookie", "osessionid="+customerID).must(t, 401)
	sh.do("GET", "/current_user/", nil).must(t, 401)
	sess, err = ts.api.sessions.Load(ctx, afterID)
	if err != nil {
		t.Fatal(err)
	}
	if sess.IsCustomer() || sess.Get("note") != "" {
		t.Fatalf("after logout: customer %d, note %q", sess.CustomerID, sess.Get("note"))
	}
	if n := ts.count("SELECT COUNT(*) FROM sessions"); n != 1 { // the registering shopper's
		t.Fatalf("%d session rows after logout; the empty guest session needs none", n)
	}
}

// TestLoginThrottling: five wrong passwords lock the e-mail (even the right
// password is refused); without captcha keys the 429 points to no captcha
// (captcha_test.go has the store with them); the lock ends by itself.
func TestLoginThrottling(t *testing.T) {
	ts := newTestStore(t)
	ts.shopper().register(adaEmail, adaPassword)
	var offset atomic.Int64 // how far the store's clock runs ahead
	ts.api.accounts.SetClock(func() time.Time { return time.Now().Add(time.Duration(offset.Load())) })

	sh := ts.shopper()
	sh.do("GET", "/csrf_token/", nil).must(t, 200)
	for i := 1; i <= 4; i++ {
		sh.do("POST", "/users/login/", map[string]string{"email": adaEmail, "password": "wrong-password-" + string(rune('0'+i))}).
			must(t, 400).bodyIs(t, `{"non_field_errors":["Unable to log in with provided credentials."]}`)
	}
	locked := func(password string) {
		t.Helper()
		res := sh.do("POST", "/users/login/", map[string]string{"email": " ADA@example.com", "password": password}).must(t, 429)
		body := res.json()
		if _, found := body["redirect_url"]; found || body["detail"] == "" {
			t.Fatalf("throttled answer %s", res.body)
		}
	}
	locked("wrong-password-5")
	locked(adaPassword)

	offset.Store(int64(16 * time.Minute))
	sh.do("POST", "/users/login/", map[string]string{"email": adaEmail, "password": adaPassword}).must(t, 200)
}

// TestDjangoHashesUpgrade: customers imported with Django's hashes log in,
// and their hash is replaced by argon2id.
func TestDjangoHashesUpgrade(t *testing.T) {
	ts := newTestStore(t)
	bc, err := bcrypt.GenerateFromPassword([]byte("lètmein-bcrypt"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, email, hash, password string
	}{
		// Django 3.2's own test vector: make_password('lètmein', 'seasalt', 'pbkdf2_sha256').
		{"pbkdf2_sha256", "pbkdf2@example.com", "pbkdf2_sha256$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=", "lètmein"},
		{"bcrypt", "bcrypt@example.com", "bcrypt$" + string(bc), "lètmein-bcrypt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts.shopper().register(tt.email, adaPassword)
			if _, err := ts.db.ExecContext(context.Background(), "UPDATE customers SET password_hash = $1 WHERE email = $2", tt.hash, tt.email); err != nil {
				t.Fatal(err)
			}
			sh := ts.shopper()
			sh.login(tt.email, tt.password)
			sh.do("GET", "/current_user/", nil).must(t, 200)
			var hash string
			if err := ts.db.QueryRowContext(context.Background(), "SELECT password_hash FROM customers WHERE email = $1", tt.email).Scan(&hash); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(hash, "argon2$argon2id$") {
				t.Fatalf("hash not upgraded: %s", hash)
			}
			ts.shopper().login(tt.email, tt.password) // the new hash verifies
		})
	}
}

// keepInSession stores a value in the session a shopper's cookie names, as
// a domain route would (a checkout key, a language).
func (sh *shopper) keepInSession(key, value string) {
	sh.t.Helper()
	ctx := context.Background()
	sess, err := sh.store.api.sessions.Load(ctx, sh.cookie("osessionid"))
	if err != nil {
		sh.t.Fatal(err)
	}
	sess.Set(key, value)
	if err := sh.store.api.sessions.Save(ctx, sh.store.db, sess); err != nil {
		sh.t.Fatal(err)
	}
}

// TestLoginCarriesOnlyGuestData: login always rotates the session id, and
// what the session holds carries over from a guest or from the same
// customer, never from another customer logged in on the same browser.
func TestLoginCarriesOnlyGuestData(t *testing.T) {
	ts := newTestStore(t)
	const bob, bobPassword = "bob@example.com", "babbage-difference-1"
	ts.shopper().register(adaEmail, adaPassword)
	ts.shopper().register(bob, bobPassword)
	tests := []struct {
		name     string
		before   func(sh *shopper) // who holds the session when the note is kept
		then     func(sh *shopper) // the login or registration
		wantKept bool
	}{
		{"guest logs in", func(sh *shopper) { sh.do("GET", "/csrf_token/", nil).must(t, 200) },
			func(sh *shopper) { sh.login(adaEmail, adaPassword) }, true},
		{"customer logs in again", func(sh *shopper) { sh.login(adaEmail, adaPassword) },
			func(sh *shopper) { sh.login(adaEmail, adaPassword) }, true},
		{"another customer logs in", func(sh *shopper) { sh.login(adaEmail, adaPassword) },
			func(sh *shopper) { sh.login(bob, bobPassword) }, false},
		{"another customer registers", func(sh *shopper) { sh.login(adaEmail, adaPassword) },
			func(sh *shopper) { sh.register("carol@example.com", adaPassword) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sh := ts.shopper()
			tt.before(sh)
			sh.keepInSession("note", "checkout of the first holder")
			oldID := sh.cookie("osessionid")
			tt.then(sh)
			newID := sh.cookie("osessionid")
			if newID == oldID {
				t.Fatal("login kept the session id")
			}
			sess, err := ts.api.sessions.Load(context.Background(), newID)
			if err != nil {
				t.Fatal(err)
			}
			if kept := sess.Get("note") != ""; kept != tt.wantKept {
				t.Fatalf("note carried over: %v, want %v", kept, tt.wantKept)
			}
			if n := ts.count("SELECT COUNT(*) FROM sessions WHERE id = $1", oldID); n != 0 {
				t.Fatal("the old session row outlived the login")
			}
			ts.raw("GET", "/current_user/", "", "Cookie", "osessionid="+oldID).must(t, 401)
		})
	}
}

// TestLogoutEmptiesGuestSession: logout ends whatever session it gets, a
// guest's too: the data is gone and the id replaced.
func TestLogoutEmptiesGuestSession(t *testing.T) {
	ts := newTestStore(t)
	sh := ts.shopper()
	sh.do("GET", "/csrf_token/", nil).must(t, 200)
	sh.keepInSession("note", "a guest's basket")
	guestID := sh.cookie("osessionid")
	res := sh.do("POST", "/users/logout", url.Values{"csrfmiddlewaretoken": {sh.cookie("csrftoken")}}).must(t, 200)
	if id := res.setCookie("osessionid"); id == "" || id == guestID {
		t.Fatalf("logout session cookie %q (was %q)", id, guestID)
	}
	for _, id := range []string{guestID, sh.cookie("osessionid")} {
		sess, err := ts.api.sessions.Load(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if sess.Get("note") != "" {
			t.Fatalf("session %s still holds the guest's data", id)
		}
	}
	if n := ts.count("SELECT COUNT(*) FROM sessions"); n != 0 {
		t.Fatalf("%d session rows after a guest's logout", n)
	}
}

// TestLoginAnswers: what the real client's api/auth.ts reads from a login:
// key on success; field errors; non_field_errors, the same for an unknown
// e-mail as for a wrong password (no account enumeration). It posts its
// whole credentials object, extra fields included, and no x-csrftoken.
func TestLoginAnswers(t *testing.T) {
	ts := newTestStore(t)
	ts.shopper().register(adaEmail, adaPassword)
	badCredentials := `{"non_field_errors":["Unable to log in with provided credentials."]}`
	tests := []struct {
		name   string
		body   string
		status int
		want   string // the exact body, or "" when it carries a fresh key
	}{
		{"nothing sent", `{}`, 400, `{"email":["This field is required."],"password":["This field is required."]}`},
		{"no password", `{"email":"` + adaEmail + `"}`, 400, `{"password":["This field is required."]}`},
		{"blank e-mail", `{"email":"  ","password":"x"}`, 400, `{"email":["This field is required."]}`},
		{"wrong password", `{"email":"` + adaEmail + `","password":"not-the-password"}`, 400, badCredentials},
		{"unknown e-mail", `{"email":"nobody@example.com","password":"not-the-password"}`, 400, badCredentials},
		{"what auth.ts posts", `{"email":"` + adaEmail + `","password":"` + adaPassword +
			`","formType":"login","locale":"en","captchaValidated":"false","csrfToken":"x","callbackUrl":"/","json":"true"}`, 200, ""},
		{"e-mail in another case", `{"email":"ADA@Example.COM","password":"` + adaPassword + `"}`, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			guest := ts.raw("GET", "/csrf_token/", "")
			cookie := "osessionid=" + guest.setCookie("osessionid") + "; csrftoken=" + guest.setCookie("csrftoken")
			res := ts.raw("POST", "/users/login/", tt.body, "Content-Type", "application/json", "Cookie", cookie).must(t, tt.status)
			if tt.want != "" {
				res.bodyIs(t, tt.want)
				return
			}
			// auth.ts reads headers.get("set-cookie"), which fetch joins
			// with ", ", and takes the first osessionid=\w+ in it.
			joined := strings.Join(res.Header.Values("Set-Cookie"), ", ")
			key := res.json()["key"]
			if key == nil || "osessionid="+key.(string) != regexp.MustCompile(`osessionid=\w+`).FindString(joined) {
				t.Fatalf("key %v, Set-Cookie %q", key, res.Header.Values("Set-Cookie"))
			}
		})
	}
}

// TestSessionSlides: a session used after a day of its lifetime has passed
// gets its expiry moved and its cookie sent again; one used sooner costs no
// write and no cookie.
func TestSessionSlides(t *testing.T) {
	ts := newTestStore(t)
	sh := ts.shopper()
	sh.register(adaEmail, adaPassword)
	id := sh.cookie("osessionid")
	lifetime := ts.api.sessions.Lifetime()
	tests := []struct {
		name   string
		age    time.Duration // how long ago the expiry was last set
		slides bool
	}{
		{"used an hour after login", time.Hour, false},
		{"used two days after login", 48 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expires := time.Now().Add(lifetime - tt.age).UTC()
			if _, err := ts.db.ExecContext(context.Background(), "UPDATE sessions SET expires_at = $1 WHERE id = $2", expires, id); err != nil {
				t.Fatal(err)
			}
			res := ts.raw("GET", "/current_user/", "", "Cookie", "osessionid="+id).must(t, 200)
			var now time.Time
			if err := ts.db.QueryRowContext(context.Background(), "SELECT expires_at FROM sessions WHERE id = $1", id).Scan(&now); err != nil {
				t.Fatal(err)
			}
			moved := now.Sub(expires) > time.Hour
			if moved != tt.slides || (res.setCookie("osessionid") == id) != tt.slides {
				t.Fatalf("expiry moved %v (%s → %s), cookie %q; want sliding %v", moved, expires, now, res.Header.Values("Set-Cookie"), tt.slides)
			}
			if tt.slides {
				for _, c := range res.Cookies() {
					if c.Name == "osessionid" && c.MaxAge != int(lifetime.Seconds()) {
						t.Fatalf("refreshed cookie Max-Age %d", c.MaxAge)
					}
				}
			}
		})
	}
}
