package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/vitrin/vitrin/internal/app"
	"github.com/vitrin/vitrin/internal/config"
	"github.com/vitrin/vitrin/internal/csrf"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/testdb"
)

// testStore is a running Vitrin on a fresh database.
type testStore struct {
	t   testing.TB
	db  *database.DB
	srv *httptest.Server
	api *Server
}

func newTestStore(t testing.TB, configure ...func(*config.Config)) *testStore {
	t.Helper()
	db := testdb.Open(t)
	s := newTestServer(t, db, configure...)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &testStore{t: t, db: db, srv: srv, api: s}
}

// newTestServer builds the handler stack on db (benchmarks call it
// directly, without a network in between).
func newTestServer(tb testing.TB, db *database.DB, configure ...func(*config.Config)) *Server {
	tb.Helper()
	cfg, err := config.Parse("test", nil, func(string) string { return "" })
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range configure {
		f(cfg)
	}
	svc, err := app.New(context.Background(), cfg, db)
	if err != nil {
		tb.Fatal(err)
	}
	s := New(cfg, svc)
	// Ready as a node is before the balancer sends it anything.
	if _, err := s.catalog.Sync(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return s
}

// shopper is a client the way a storefront drives Vitrin: a cookie jar and
// the CSRF token sent back as x-csrftoken.
type shopper struct {
	t     testing.TB
	store *testStore
	http  *http.Client
	// noCSRF makes requests without the x-csrftoken header.
	noCSRF bool
}

func (ts *testStore) shopper() *shopper {
	jar, _ := cookiejar.New(nil)
	return &shopper{t: ts.t, store: ts, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (sh *shopper) cookie(name string) string {
	u, _ := url.Parse(sh.store.srv.URL)
	for _, c := range sh.http.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// response is an answer with its body read.
type response struct {
	*http.Response
	body []byte
}

// json decodes the body into a generic map.
func (r *response) json() map[string]any {
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		panic("body is not a JSON object: " + string(r.body))
	}
	return m
}

func (r *response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// do sends a request. body may be nil, a string (sent as form-encoded
// unless it starts with '{'), url.Values (form) or anything else (JSON).
func (sh *shopper) do(method, path string, body any, headers ...string) *response {
	sh.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
		ct = "application/x-www-form-urlencoded"
		if strings.HasPrefix(b, "{") {
			ct = "application/json"
		}
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			sh.t.Fatal(err)
		}
		rd, ct = strings.NewReader(string(raw)), "application/json"
	}
	req, err := http.NewRequest(method, sh.store.srv.URL+path, rd)
	if err != nil {
		sh.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if tok := sh.cookie(csrf.CookieName); tok != "" && !sh.noCSRF && method != http.MethodGet {
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
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		sh.t.Fatal(err)
	}
	return &response{Response: resp, body: raw}
}

// must asserts the status and returns the response.
func (r *response) must(t testing.TB, status int) *response {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d; body %s", r.Request.Method, r.Request.URL.Path, r.StatusCode, status, r.body)
	}
	return r
}

// register creates a customer through the API and leaves the shopper
// logged in.
func (sh *shopper) register(email, password string) {
	sh.t.Helper()
	sh.do("GET", "/csrf_token/", nil).must(sh.t, 200)
	sh.do("POST", "/users/registration/", map[string]any{
		"email": email, "password": password, "first_name": "Ada", "last_name": "Lovelace",
	}).must(sh.t, 200)
}

// login logs an existing customer in.
func (sh *shopper) login(email, password string) {
	sh.t.Helper()
	sh.do("GET", "/csrf_token/", nil).must(sh.t, 200)
	sh.do("POST", "/users/login/", map[string]any{"email": email, "password": password}).must(sh.t, 200)
}
