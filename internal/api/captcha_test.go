package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/config"
)

const (
	testSiteKey  = "6LeVitrinTestSiteKey_0123456789"
	testSecret   = "vitrin-test-recaptcha-secret"
	solvedAnswer = "solved-captcha-answer"
)

// fakeSiteverify stands in for Google's siteverify API, which the tests
// cannot reach: it answers success for solvedAnswer given our secret, a
// failure for any other answer, and misbehaves for two special ones.
type fakeSiteverify struct {
	*httptest.Server
	mu        sync.Mutex
	asked     int
	remoteIPs []string
}

func newFakeSiteverify(t *testing.T) *fakeSiteverify {
	f := &fakeSiteverify{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.asked++
		f.remoteIPs = append(f.remoteIPs, r.PostFormValue("remoteip"))
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch answer := r.PostFormValue("response"); {
		case r.Method != http.MethodPost || r.PostFormValue("secret") != testSecret:
			w.Write([]byte(`{"success": false, "error-codes": ["invalid-input-secret"]}`))
		case answer == "garbage":
			w.Write([]byte(`<html>not the API</html>`))
		case answer == "outage":
			w.WriteHeader(http.StatusServiceUnavailable)
		case answer == solvedAnswer:
			w.Write([]byte(`{"success": true, "challenge_ts": "2026-01-01T12:00:00Z", "hostname": "shop.example"}`))
		default:
			w.Write([]byte(`{"success": false, "error-codes": ["invalid-input-response"]}`))
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeSiteverify) timesAsked() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.asked
}

// newCaptchaStore is a store with reCAPTCHA keys whose answers verifyURL
// checks.
func newCaptchaStore(t *testing.T, verifyURL string) *testStore {
	return newTestStore(t, func(c *config.Config) {
		c.RecaptchaSiteKey, c.RecaptchaSecret, c.RecaptchaVerifyURL = testSiteKey, testSecret, verifyURL
	})
}

// The real client's parser of the captcha page (data/client/user.ts
// getCaptcha), transcribed: JavaScript's /…/gi is (?i) here.
var (
	clientSiteKey   = regexp.MustCompile(`(?i)sitekey=["|']\w+`)
	clientSiteKeyAt = regexp.MustCompile(`sitekey=["|']`)
	clientToken     = regexp.MustCompile(`(?i)name=['|"]csrfmiddlewaretoken['|"] value=['|"]\w+`)
	clientTokenAt   = regexp.MustCompile(`(?i)name=['|"]csrfmiddlewaretoken['|"] value=['|"]`)
)

// getCaptcha is the real client's getCaptcha: the site key and CSRF token
// it reads from the page.
func (sh *shopper) getCaptcha() (siteKey, csrfToken string, res *response) {
	sh.t.Helper()
	res = sh.do("GET", "/users/pz-captcha/", nil).must(sh.t, 200)
	var page struct {
		HTML string `json:"html"`
	}
	res.decode(sh.t, &page)
	return clientSiteKeyAt.ReplaceAllString(clientSiteKey.FindString(page.HTML), ""),
		clientTokenAt.ReplaceAllString(clientToken.FindString(page.HTML), ""), res
}

// solveCaptcha posts an answer the way the real client's validateCaptcha
// does: form-encoded, with x-csrftoken.
func (sh *shopper) solveCaptcha(answer string) *response {
	sh.t.Helper()
	return sh.do("POST", "/users/pz-captcha/", url.Values{"g-recaptcha-response": {answer}})
}

func (sh *shopper) tryLogin(email, password string) *response {
	sh.t.Helper()
	return sh.do("POST", "/users/login/", map[string]string{"email": email, "password": password})
}

// mustPointToCaptcha asserts a throttled login that asks for the captcha,
// as the real client's api/auth.ts recognises it.
func (r *response) mustPointToCaptcha(t *testing.T) {
	t.Helper()
	r.must(t, 429)
	if got := r.json()["redirect_url"]; got != "/users/pz-captcha/" {
		t.Fatalf("throttled login's redirect_url is %v; body %s", got, r.body)
	}
}

// lockAddress locks the tests' client address as addressLimit failed
// logins would, without spending the time they take.
func (ts *testStore) lockAddress() {
	ts.t.Helper()
	now := time.Now().UTC()
	if _, err := ts.db.ExecContext(context.Background(), `INSERT INTO login_failures (key, failures, window_start, locked_until)
		VALUES ('addr:127.0.0.1', 50, $1, $2)`, now, now.Add(15*time.Minute)); err != nil {
		ts.t.Fatal(err)
	}
}

// TestCaptchaLiftsLoginLock walks the real client's way out of a login
// lock: the 429 sends it to the captcha, the page gives it the site key
// and the CSRF token through its own regular expressions, an answer that
// is not a solved captcha is a 400 that changes nothing, a solved one
// lets the right password in.
func TestCaptchaLiftsLoginLock(t *testing.T) {
	google := newFakeSiteverify(t)
	ts := newCaptchaStore(t, google.URL)
	ts.shopper().register(adaEmail, adaPassword)

	sh := ts.shopper()
	siteKey, token, res := sh.getCaptcha()
	if siteKey != testSiteKey || token == "" || token != res.setCookie("csrftoken") {
		t.Fatalf("the client read site key %q and token %q (cookie %q) from %s", siteKey, token, res.setCookie("csrftoken"), res.body)
	}
	for i := range 4 {
		sh.tryLogin(adaEmail, "wrong-password-"+string(rune('a'+i))).must(t, 400)
	}
	sh.tryLogin(adaEmail, "wrong-password-e").mustPointToCaptcha(t)
	sh.tryLogin(adaEmail, adaPassword).mustPointToCaptcha(t)

	siteKey, again, res := sh.getCaptcha()
	if siteKey != testSiteKey || again != token || res.setCookie("csrftoken") != "" {
		t.Fatalf("second page: site key %q, token %q (was %q), cookie set %q", siteKey, again, token, res.setCookie("csrftoken"))
	}
	for _, tt := range []struct{ answer, body string }{
		{"", `{"g-recaptcha-response":["This field is required."]}`},
		{"forged-answer", `{"g-recaptcha-response":["The captcha was not solved. Please try again."]}`},
		{"garbage", `{"non_field_errors":["The captcha could not be checked. Please try again."]}`},
		{"outage", `{"non_field_errors":["The captcha could not be checked. Please try again."]}`},
	} {
		sh.solveCaptcha(tt.answer).must(t, 400).bodyIs(t, tt.body)
	}
	if n := ts.count("SELECT COUNT(*) FROM captcha_passes"); n != 0 {
		t.Fatalf("%d captcha passes after answers that were not solved captchas", n)
	}
	sh.tryLogin(adaEmail, adaPassword).mustPointToCaptcha(t)

	sh.solveCaptcha(solvedAnswer).must(t, 200).bodyIs(t, `{"location":"/"}`)
	sh.tryLogin(adaEmail, adaPassword).must(t, 200)
	sh.do("GET", "/current_user/", nil).must(t, 200)
	if n := ts.count("SELECT COUNT(*) FROM captcha_passes"); n != 0 {
		t.Fatalf("the good login left %d captcha passes", n)
	}
	google.mu.Lock()
	defer google.mu.Unlock()
	for _, ip := range google.remoteIPs {
		if ip != "127.0.0.1" {
			t.Fatalf("Google was told the client is at %q", ip)
		}
	}
}

// TestCaptchaBuysFewAttempts: a solved captcha lets its own session past
// an address lock for five attempts, wrong passwords included (they are
// told so rather than sent back to the captcha); then the captcha is due
// again. Another session on the locked address stays locked.
func TestCaptchaBuysFewAttempts(t *testing.T) {
	google := newFakeSiteverify(t)
	ts := newCaptchaStore(t, google.URL)
	ts.shopper().register(adaEmail, adaPassword)
	ts.lockAddress()

	sh, other := ts.shopper(), ts.shopper()
	sh.do("GET", "/csrf_token/", nil).must(t, 200)
	other.do("GET", "/csrf_token/", nil).must(t, 200)
	sh.tryLogin(adaEmail, adaPassword).mustPointToCaptcha(t)
	sh.solveCaptcha(solvedAnswer).must(t, 200)

	other.tryLogin(adaEmail, adaPassword).mustPointToCaptcha(t)
	for i := range 5 {
		sh.tryLogin(adaEmail, "wrong-password-"+string(rune('a'+i))).must(t, 400)
	}
	sh.tryLogin(adaEmail, adaPassword).mustPointToCaptcha(t)

	sh.solveCaptcha(solvedAnswer).must(t, 200)
	sh.tryLogin(adaEmail, adaPassword).must(t, 200)
	// The good login cleared the e-mail's failures, not the address lock.
	other.tryLogin(adaEmail, adaPassword).mustPointToCaptcha(t)
}

// TestCaptchaVerifierDown: when Google cannot be reached the answer is a
// 400 in the contract's shape and the lock stays.
func TestCaptchaVerifierDown(t *testing.T) {
	google := newFakeSiteverify(t)
	down := google.URL
	google.Close()
	ts := newCaptchaStore(t, down)
	ts.shopper().register(adaEmail, adaPassword)
	ts.lockAddress()

	sh := ts.shopper()
	sh.do("GET", "/csrf_token/", nil).must(t, 200)
	sh.solveCaptcha(solvedAnswer).must(t, 400).bodyIs(t, `{"non_field_errors":["The captcha could not be checked. Please try again."]}`)
	sh.tryLogin(adaEmail, adaPassword).mustPointToCaptcha(t)
}

// TestCaptchaNeedsCSRF: the answer is posted under the contract's CSRF
// rule; a refused post neither reaches Google nor lets anyone in.
func TestCaptchaNeedsCSRF(t *testing.T) {
	google := newFakeSiteverify(t)
	ts := newCaptchaStore(t, google.URL)
	ts.shopper().register(adaEmail, adaPassword)
	ts.lockAddress()

	sh := ts.shopper()
	sh.do("GET", "/csrf_token/", nil).must(t, 200)
	form := url.Values{"g-recaptcha-response": {solvedAnswer}}
	sh.do("POST", "/users/pz-captcha/", form, "X-CSRFToken", "0123456789abcdef0123456789abcdef").
		must(t, 403).bodyIs(t, `{"detail":"CSRF Failed: CSRF token incorrect."}`)
	sh.noCSRF = true
	sh.do("POST", "/users/pz-captcha/", form, "Origin", "https://evil.example").
		must(t, 403).bodyIs(t, `{"detail":"CSRF Failed: CSRF token missing."}`)

	customer := ts.shopper()
	customer.register("grace@example.com", adaPassword)
	customer.noCSRF = true
	customer.solveCaptcha(solvedAnswer).must(t, 403).bodyIs(t, `{"detail":"CSRF Failed: CSRF token missing."}`)

	if n, asked := ts.count("SELECT COUNT(*) FROM captcha_passes"), google.timesAsked(); n != 0 || asked != 0 {
		t.Fatalf("refused posts made %d captcha passes and asked Google %d times", n, asked)
	}
	sh.noCSRF = false
	sh.tryLogin(adaEmail, adaPassword).mustPointToCaptcha(t)
}

// TestCaptchaNotConfigured: without reCAPTCHA keys there is no captcha
// page, and a throttled login is not sent to one.
func TestCaptchaNotConfigured(t *testing.T) {
	ts := newTestStore(t)
	ts.shopper().register(adaEmail, adaPassword)
	ts.lockAddress()

	sh := ts.shopper()
	sh.do("GET", "/users/pz-captcha/", nil).must(t, 404).bodyIs(t, `{"detail":"Not found."}`)
	sh.do("GET", "/users/pz-captcha", nil).must(t, 404).bodyIs(t, `{"detail":"Not found."}`)
	sh.solveCaptcha(solvedAnswer).must(t, 404).bodyIs(t, `{"detail":"Not found."}`)
	sh.tryLogin(adaEmail, adaPassword).must(t, 429).
		bodyIs(t, `{"detail":"Too many failed login attempts. Please try again later.","error_code":"login_throttled"}`)
}
