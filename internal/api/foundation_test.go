package api

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vitrin/vitrin/internal/config"
	"github.com/vitrin/vitrin/internal/testdb"
)

// TestBadInput: every kind of bad request gets its 4xx in the contract's
// JSON shape and changes nothing; a panic is a 500 with the request id.
func TestBadInput(t *testing.T) {
	ts := newTestStore(t)
	ts.api.handle("GET /test/panic", func(http.ResponseWriter, *http.Request) error { panic("boom") })
	// Every refusal is JSON; a 405 names the methods allowed, a 500 the
	// request id of its log line.
	jsonAnswer := func(t testing.TB, res *response) {
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type %q", ct)
		}
	}
	allows := func(method string) func(testing.TB, *response) {
		return func(t testing.TB, res *response) {
			jsonAnswer(t, res)
			if allow := res.Header.Get("Allow"); allow == "" || strings.Contains(allow, method) {
				t.Fatalf("Allow %q", allow)
			}
		}
	}
	withRequestID := func(t testing.TB, res *response) {
		jsonAnswer(t, res)
		if id := res.Header.Get("X-Request-ID"); id == "" || res.json()["request_id"] != id {
			t.Fatalf("request_id %v, header %q", res.json()["request_id"], id)
		}
	}
	typed := func(contentType string) []string { return []string{"Content-Type", contentType} }
	jsonType, form := typed("application/json"), typed("application/x-www-form-urlencoded")
	runScenarios(t, ts, []scenario{
		{name: "unknown path", method: "GET", url: "/no/such/thing/", status: 404, contains: []string{"Not found."}, after: jsonAnswer},
		{name: "unknown path, POST", method: "POST", url: "/no/such/thing", body: "{}", headers: jsonType, status: 404, contains: []string{"Not found."}, after: jsonAnswer},
		{name: "wrong method", method: "DELETE", url: "/current_user/", status: 405, contains: []string{`Method \"DELETE\" not allowed.`}, after: allows("DELETE")},
		{name: "wrong method, no slash", method: "PUT", url: "/users/login", body: "{}", headers: jsonType, status: 405, contains: []string{`Method \"PUT\" not allowed.`}, after: allows("PUT")},
		{name: "malformed JSON", method: "POST", url: "/users/login/", body: `{"email": "a@b.c",`, headers: jsonType, status: 400, contains: []string{"JSON parse error."}, after: jsonAnswer},
		{name: "JSON that is no object", method: "POST", url: "/users/login/", body: `["a@b.c"]`, headers: jsonType, status: 400, contains: []string{"JSON parse error."}, after: jsonAnswer},
		{name: "malformed text/plain JSON", method: "POST", url: "/users/login/", body: `{"email"`, headers: typed("text/plain"), status: 400, contains: []string{"JSON parse error."}, after: jsonAnswer},
		{name: "malformed form", method: "POST", url: "/users/login/", body: "email=%zz&password=x", headers: form, status: 400, contains: []string{"Form parse error."}, after: jsonAnswer},
		{name: "multipart without boundary", method: "POST", url: "/users/login/", body: "x", headers: typed("multipart/form-data"), status: 400, contains: []string{"Multipart form parse error."}, after: jsonAnswer},
		{name: "body over the limit", method: "POST", url: "/users/login/", body: "email=" + strings.Repeat("a", 1<<20), headers: form, status: 413, contains: []string{"too large"}, after: jsonAnswer},
		{name: "body over the limit, unread by the route", method: "GET", url: "/healthz", body: strings.Repeat("a", 1<<20+1), headers: form, status: 413, contains: []string{"too large"}, after: jsonAnswer},
		{name: "unsupported content type", method: "POST", url: "/users/login/", body: "<login/>", headers: typed("application/xml"), status: 415, contains: []string{"Unsupported media type"}, after: jsonAnswer},
		{name: "panic", method: "GET", url: "/test/panic", status: 500, contains: []string{"Internal server error."}, after: withRequestID},
	})
	if n := ts.count("SELECT COUNT(*) FROM customers") + ts.count("SELECT COUNT(*) FROM login_failures"); n != 0 {
		t.Fatalf("bad input wrote %d rows", n)
	}
	// The panic counts as the 500 it was answered with.
	metrics := string(ts.raw("GET", "/metrics", "").must(t, 200).body)
	if want := `vitrin_http_requests_total{method="GET",route="/test/panic",status="500"} 1`; !strings.Contains(metrics, want) {
		t.Errorf("/metrics lacks %s", want)
	}
}

// TestClientQuirks: what the real client's proxy sends must work.
func TestClientQuirks(t *testing.T) {
	ts := newTestStore(t)
	// JSON labelled text/plain registers; "undefined" means no language.
	res := ts.raw("POST", "/users/registration/", `{"email":"`+adaEmail+`","password":"`+adaPassword+`"}`,
		"Content-Type", "text/plain;charset=UTF-8", "Accept-Language", "undefined").must(t, 200)
	key := res.json()["key"].(string)
	user := ts.raw("GET", "/current_user/", "", "Cookie", "osessionid="+key, "Accept-Language", "undefined").must(t, 200).json()
	if user["language"] != "" {
		t.Fatalf("language %q from Accept-Language: undefined", user["language"])
	}
	// Login with JSON labelled text/plain, and with no content type at all.
	ts.raw("POST", "/users/login/", `{"email":"`+adaEmail+`","password":"`+adaPassword+`"}`, "Content-Type", "text/plain").must(t, 200)
	ts.raw("POST", "/users/login", url.Values{"email": {adaEmail}, "password": {adaPassword}}.Encode()).must(t, 200)
	// A multipart login.
	body := "--XyZ\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\n" + adaEmail +
		"\r\n--XyZ\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\n" + adaPassword + "\r\n--XyZ--\r\n"
	ts.raw("POST", "/users/login/", body, "Content-Type", "multipart/form-data; boundary=XyZ").must(t, 200)
}

// TestAnonymousReadsWriteNothing: a visitor's cookie costs no database
// write, so reads scale without touching the sessions table.
func TestAnonymousReadsWriteNothing(t *testing.T) {
	ts := newTestStore(t)
	ts.shopper().register(adaEmail, adaPassword)
	fingerprint := func() string {
		var n int
		var maxExpiry string
		if err := ts.db.QueryRow("SELECT COUNT(*), COALESCE(MAX(CAST(expires_at AS TEXT)), '') FROM sessions").Scan(&n, &maxExpiry); err != nil {
			t.Fatal(err)
		}
		return strings.Repeat("|", n) + maxExpiry
	}
	sessionsBefore, failuresBefore := fingerprint(), ts.count("SELECT COUNT(*) FROM login_failures")

	paths := []string{"/csrf_token/", "/current_user/", "/users/profile/", "/healthz", "/readyz", "/no/such/page/"}
	guest := ts.shopper() // one guest who keeps its cookie
	for i := range 1000 {
		path := paths[i%len(paths)]
		if i%2 == 0 {
			ts.raw("GET", path, "") // a new visitor every time
		} else {
			guest.do("GET", path, nil)
		}
	}
	if after := fingerprint(); after != sessionsBefore {
		t.Fatalf("1,000 anonymous GETs changed the sessions table: %q → %q", sessionsBefore, after)
	}
	if n := ts.count("SELECT COUNT(*) FROM sessions WHERE customer_id IS NULL"); n != 0 {
		t.Fatalf("%d guest session rows", n)
	}
	if after := ts.count("SELECT COUNT(*) FROM login_failures"); after != failuresBefore {
		t.Fatal("anonymous GETs wrote login_failures")
	}
}

// TestGuestCookie: a guest's first GET sets exactly one cookie, osessionid,
// with the contract's attributes; later GETs with it set none.
func TestGuestCookie(t *testing.T) {
	ts := newTestStore(t)
	for _, path := range []string{"/current_user/", "/healthz", "/no/such/page/"} {
		res := ts.raw("GET", path, "")
		lines := res.Header.Values("Set-Cookie")
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "osessionid=") {
			t.Fatalf("GET %s: Set-Cookie %q", path, lines)
		}
		c := res.Cookies()[0]
		if !regexp.MustCompile(`^\w+$`).MatchString(c.Value) || !c.HttpOnly || c.Path != "/" ||
			c.SameSite != http.SameSiteLaxMode || c.MaxAge != 14*24*3600 {
			t.Fatalf("GET %s: cookie %+v", path, c)
		}
		again := ts.raw("GET", path, "", "Cookie", "osessionid="+c.Value)
		if lines := again.Header.Values("Set-Cookie"); len(lines) != 0 {
			t.Fatalf("GET %s again: Set-Cookie %q", path, lines)
		}
	}
	// The cookie's name is configurable (SESSION_COOKIE_NAME).
	renamed := newTestStore(t, func(c *config.Config) { c.SessionCookieName = "sid" })
	if lines := renamed.raw("GET", "/healthz", "").Header.Values("Set-Cookie"); len(lines) != 1 || !strings.HasPrefix(lines[0], "sid=") {
		t.Fatalf("Set-Cookie %q with SESSION_COOKIE_NAME=sid", lines)
	}
}

// TestOperations: health, readiness, metrics and request ids.
func TestOperations(t *testing.T) {
	ts := newTestStore(t)
	ts.raw("GET", "/healthz", "").must(t, 200).bodyIs(t, `{"status":"ok"}`)
	ts.raw("GET", "/readyz", "").must(t, 200).bodyIs(t, `{"status":"ready"}`)
	ts.raw("GET", "/no/such/page", "").must(t, 404)
	ts.raw("POST", "/no/such/page", "").must(t, 404)

	metrics := string(ts.raw("GET", "/metrics", "").must(t, 200).body)
	for _, want := range []string{
		`vitrin_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		`vitrin_http_requests_total{method="GET",route="pretty_url",status="404"} 1`,
		`vitrin_http_requests_total{method="POST",route="unmatched",status="404"} 1`,
		`vitrin_http_request_duration_seconds_bucket{method="GET",route="/readyz"`,
		`go_sql_open_connections`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	if id := ts.raw("GET", "/healthz", "", "X-Request-ID", "lb-7f3a-0001").Header.Get("X-Request-ID"); id != "lb-7f3a-0001" {
		t.Fatalf("X-Request-ID not honoured: %q", id)
	}
	for _, bad := range []string{"", "has space", strings.Repeat("x", 65)} {
		if id := ts.raw("GET", "/healthz", "", "X-Request-ID", bad).Header.Get("X-Request-ID"); id == "" || id == bad {
			t.Fatalf("X-Request-ID %q: answered %q", bad, id)
		}
	}
}

// TestCORS: only the configured storefront origins may call with
// credentials.
func TestCORS(t *testing.T) {
	const storefront = "https://shop.example"
	ts := newTestStore(t, func(c *config.Config) { c.CORSOrigins = []string{storefront} })
	res := ts.raw("GET", "/csrf_token/", "", "Origin", storefront).must(t, 200)
	if res.Header.Get("Access-Control-Allow-Origin") != storefront || res.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("storefront origin: %v", res.Header)
	}
	res = ts.raw("OPTIONS", "/users/login/", "", "Origin", storefront, "Access-Control-Request-Method", "POST").must(t, 204)
	if !strings.Contains(res.Header.Get("Access-Control-Allow-Headers"), "X-CSRFToken") ||
		!strings.Contains(res.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Fatalf("preflight: %v", res.Header)
	}
	for _, origin := range []string{"https://evil.example", "null", ""} {
		res = ts.raw("GET", "/csrf_token/", "", "Origin", origin).must(t, 200)
		if res.Header.Get("Access-Control-Allow-Origin") != "" || res.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Fatalf("origin %s got CORS headers: %v", origin, res.Header)
		}
		// A shared cache keeps this answer apart from the storefront's.
		if res.Header.Get("Vary") != "Origin" {
			t.Fatalf("origin %q: Vary %q", origin, res.Header.Get("Vary"))
		}
	}
	// A preflight from another origin gets no CORS headers either.
	res = ts.raw("OPTIONS", "/users/login/", "", "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
	if res.StatusCode == 204 || res.Header.Get("Access-Control-Allow-Origin") != "" || res.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("foreign preflight: %d %v", res.StatusCode, res.Header)
	}
}

// TestMultipartLeavesNoFiles: a multipart body whose file part is too big
// for memory spills to a temporary file, which is gone after the request.
func TestMultipartLeavesNoFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	ts := newTestStore(t, func(c *config.Config) { c.BodyLimit = 4 << 20 })
	ts.shopper().register(adaEmail, adaPassword)
	body := "--XyZ\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\n" + adaEmail +
		"\r\n--XyZ\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\n" + adaPassword +
		"\r\n--XyZ\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"a.bin\"\r\n\r\n" + strings.Repeat("x", 2<<20) +
		"\r\n--XyZ--\r\n"
	ts.raw("POST", "/users/login/", body, "Content-Type", "multipart/form-data; boundary=XyZ").must(t, 200)
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "multipart-") {
			t.Fatalf("temporary file %s left behind", e.Name())
		}
	}
}

// TestRequestLog: one structured line per request carrying its request id
// (the balancer's or a new one); a panic is logged with its stack under
// the same id.
func TestRequestLog(t *testing.T) {
	var buf bytes.Buffer
	saved := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(saved) })
	ts := newTestStore(t)
	ts.api.handle("GET /test/panic", func(http.ResponseWriter, *http.Request) error { panic("boom") })

	buf.Reset()
	ts.raw("GET", "/current_user/", "", "X-Request-ID", "lb-7f3a-0002").must(t, 401)
	generated := ts.raw("GET", "/test/panic/", "").must(t, 500).Header.Get("X-Request-ID")

	type line struct {
		Msg, RequestID, Method, Path, Stack string
		Status                              int
		MS                                  *float64
	}
	var requests, panics []line
	for _, raw := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var l line
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("log line is not JSON: %s", raw)
		}
		l.Msg, _ = m["msg"].(string)
		l.RequestID, _ = m["request_id"].(string)
		l.Method, _ = m["method"].(string)
		l.Path, _ = m["path"].(string)
		l.Stack, _ = m["stack"].(string)
		if s, ok := m["status"].(float64); ok {
			l.Status = int(s)
		}
		if ms, ok := m["ms"].(float64); ok {
			l.MS = &ms
		}
		switch l.Msg {
		case "request":
			requests = append(requests, l)
		case "panic":
			panics = append(panics, l)
		}
	}
	if len(requests) != 2 {
		t.Fatalf("%d request lines for 2 requests:\n%s", len(requests), buf.String())
	}
	want := []line{
		{RequestID: "lb-7f3a-0002", Method: "GET", Path: "/current_user/", Status: 401},
		{RequestID: generated, Method: "GET", Path: "/test/panic/", Status: 500},
	}
	for i, w := range want {
		got := requests[i]
		if got.RequestID != w.RequestID || got.Method != w.Method || got.Path != w.Path || got.Status != w.Status || got.MS == nil {
			t.Errorf("request line %d: %+v, want %+v", i, got, w)
		}
	}
	if len(panics) != 1 || panics[0].RequestID != generated || !strings.Contains(panics[0].Stack, "TestRequestLog") {
		t.Fatalf("panic lines %+v", panics)
	}
}

// TestReadyzReportsTheDatabase: /readyz is 503 while the database cannot
// be reached; /healthz, the process's own, stays 200.
func TestReadyzReportsTheDatabase(t *testing.T) {
	ts := newTestStore(t)
	ts.db.Close()
	ts.raw("GET", "/readyz", "").must(t, 503).bodyIs(t, `{"detail":"Database unreachable."}`)
	ts.raw("GET", "/healthz", "").must(t, 200)
}

// TestClientAddress: X-Forwarded-For is believed only from the configured
// trusted proxies, read from the right.
func TestClientAddress(t *testing.T) {
	s := newTestServer(t, testdb.Open(t), func(c *config.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32")}
	})
	tests := []struct {
		name       string
		peer       string
		forwarded  []string // X-Forwarded-For headers
		addr       string
		identified bool
	}{
		{"direct caller", "198.51.100.1:5000", nil, "198.51.100.1", true},
		{"untrusted peer's header ignored", "198.51.100.1:5000", []string{"203.0.113.5"}, "198.51.100.1", true},
		{"balancer names the client", "10.1.2.3:5000", []string{"203.0.113.5"}, "203.0.113.5", true},
		{"through two trusted proxies", "10.1.2.3:5000", []string{"203.0.113.5, 10.9.9.9"}, "203.0.113.5", true},
		{"a spoofed entry on the left is not read", "10.1.2.3:5000", []string{"1.1.1.1, 203.0.113.5"}, "203.0.113.5", true},
		{"several headers", "192.0.2.7:5000", []string{"203.0.113.5", "10.0.0.1"}, "203.0.113.5", true},
		{"IPv4-mapped peer", "[::ffff:10.1.2.3]:5000", []string{"203.0.113.5"}, "203.0.113.5", true},
		{"storefront server names nobody", "10.1.2.3:5000", nil, "10.1.2.3", false},
		{"only trusted hops", "10.1.2.3:5000", []string{"10.9.9.9"}, "10.9.9.9", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/users/login/", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.forwarded {
				r.Header.Add("X-Forwarded-For", v)
			}
			if addr, identified := s.client(r); addr != tt.addr || identified != tt.identified {
				t.Fatalf("client = %q, %v; want %q, %v", addr, identified, tt.addr, tt.identified)
			}
		})
	}
}

// TestLoginThrottleBehindProxies: behind a trusted proxy a failed login
// counts against the client it names; the storefront's server-side login,
// which names none, counts against the e-mail only, so one shopper's typos
// cannot lock every shopper out.
func TestLoginThrottleBehindProxies(t *testing.T) {
	ts := newTestStore(t, func(c *config.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
	tests := []struct {
		name    string
		headers []string
		key     string // the address record the failure counts against, "" for none
	}{
		{"server-side login naming no client", nil, ""},
		{"balancer naming the client", []string{"X-Forwarded-For", "203.0.113.7"}, "addr:203.0.113.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts.raw("POST", "/users/login/", `{"email":"nobody@example.com","password":"not-the-password"}`,
				append([]string{"Content-Type", "application/json"}, tt.headers...)...).must(t, 400)
			var keys []string
			rows, err := ts.db.QueryContext(context.Background(), "SELECT key FROM login_failures WHERE key LIKE 'addr:%'")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var k string
				rows.Scan(&k)
				keys = append(keys, k)
			}
			var want []string
			if tt.key != "" {
				want = []string{tt.key}
			}
			if !slices.Equal(keys, want) {
				t.Fatalf("address records %v, want %v", keys, want)
			}
		})
	}
}
