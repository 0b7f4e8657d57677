// Package stripetest runs tests against stripe-mock
// (go install github.com/stripe/stripe-mock@v0.203.0) behind a proxy that
// records what Vitrin sent and stands in for the state stripe-mock does
// not keep: stripe-mock is stateless (every session it returns is open and
// unpaid, and it ignores idempotency keys), so a test says what a session
// has become (Pay, Expire) and the proxy answers the session's retrieve
// with it, as Stripe would; everything else is stripe-mock's answer.
//
// VITRIN_TEST_STRIPE_MOCK=http://127.0.0.1:12111 names a running
// stripe-mock; without it each test starts its own. A missing binary
// skips the test, except with CI=true, where it fails it.
package stripetest

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82/webhook"
)

// Call is one request that reached the proxy.
type Call struct {
	Path, IdempotencyKey string
	Form                 url.Values
}

// Session is what Stripe says of a Checkout Session.
type Session struct {
	Status, PaymentStatus, Currency, PaymentIntent string
	AmountTotal                                    int64
}

// Mock is stripe-mock behind the recording proxy.
type Mock struct {
	URL      string
	mu       sync.Mutex
	calls    []Call
	sessions map[string]Session
	replies  map[string][]byte // by idempotency key, as Stripe keeps them
	down     bool
}

// Start returns stripe-mock behind a new proxy, closed with the test.
func Start(t testing.TB) *Mock {
	t.Helper()
	target := os.Getenv("VITRIN_TEST_STRIPE_MOCK")
	if target == "" {
		target = run(t)
	}
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	m := &Mock{sessions: map[string]Session{}, replies: map[string][]byte{}}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ModifyResponse = m.rewrite
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.serve(w, r, proxy)
	}))
	t.Cleanup(srv.Close)
	m.URL = srv.URL
	return m
}

func (m *Mock) serve(w http.ResponseWriter, r *http.Request, proxy http.Handler) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	key := r.Header.Get("Idempotency-Key")
	m.mu.Lock()
	m.calls = append(m.calls, Call{Path: r.Method + " " + r.URL.Path, IdempotencyKey: key, Form: form})
	down, reply := m.down, m.replies[key]
	m.mu.Unlock()
	switch {
	case down:
		w.Header().Set("Stripe-Should-Retry", "false")
		http.Error(w, `{"error": {"type": "api_error", "message": "stripetest: down"}}`, http.StatusServiceUnavailable)
		return
	case key != "" && reply != nil:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Idempotent-Replayed", "true")
		w.Write(reply)
		return
	}
	if id, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/v1/checkout/sessions/"), "/expire"); ok && r.Method == http.MethodPost {
		if refused := m.expire(id); refused {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error": {"type": "invalid_request_error", "message": "This Checkout Session is already complete."}}`))
			return
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	proxy.ServeHTTP(w, r)
}

// expire is Stripe expiring a session: refused for a complete one.
func (m *Mock) expire(id string) (refused bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.sessions[id]
	if s.Status == "complete" {
		return true
	}
	s.Status, s.PaymentStatus = "expired", "unpaid"
	m.sessions[id] = s
	return false
}

// rewrite answers a session's retrieve or expiry with the state a test
// gave it, and keeps a created object's answer for its idempotency key.
func (m *Mock) rewrite(res *http.Response) error {
	if res.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return err
	}
	path := res.Request.URL.Path
	if id, ok := strings.CutPrefix(path, "/v1/checkout/sessions/"); ok {
		body = m.patch(strings.TrimSuffix(id, "/expire"), body)
	}
	if key := res.Request.Header.Get("Idempotency-Key"); key != "" {
		m.mu.Lock()
		m.replies[key] = body
		m.mu.Unlock()
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	res.ContentLength = int64(len(body))
	res.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}

func (m *Mock) patch(id string, body []byte) []byte {
	m.mu.Lock()
	s, ok := m.sessions[id]
	m.mu.Unlock()
	var obj map[string]any
	if !ok || json.Unmarshal(body, &obj) != nil {
		return body
	}
	obj["id"], obj["status"], obj["payment_status"] = id, s.Status, s.PaymentStatus
	if s.Currency != "" {
		obj["currency"], obj["amount_total"] = s.Currency, s.AmountTotal
	}
	if pi, expanded := obj["payment_intent"].(map[string]any); expanded && s.PaymentIntent != "" {
		pi["id"] = s.PaymentIntent
	} else if s.PaymentIntent != "" {
		obj["payment_intent"] = s.PaymentIntent
	}
	patched, _ := json.Marshal(obj)
	return patched
}

// Pay makes session id complete and paid, amount (minor units) in
// currency (Stripe's lower case), by PaymentIntent "pi_" + id.
func (m *Mock) Pay(id string, amount int64, currency string) {
	m.Set(id, Session{Status: "complete", PaymentStatus: "paid", Currency: strings.ToLower(currency), AmountTotal: amount,
		PaymentIntent: PaymentIntentOf(id)})
}

// PaymentIntentOf is the PaymentIntent that Pay gives session id.
func PaymentIntentOf(id string) string { return "pi_" + strings.TrimPrefix(id, "cs_") }

// Set says what session id has become.
func (m *Mock) Set(id string, s Session) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sessions[id] = s
}

// Down makes the proxy answer every request 503, as an outage would.
func (m *Mock) Down(down bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.down = down
}

// Calls returns the requests so far.
func (m *Mock) Calls() []Call {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Call(nil), m.calls...)
}

// Last returns the last request.
func (m *Mock) Last() Call {
	calls := m.Calls()
	return calls[len(calls)-1]
}

// Signed is a webhook delivery: payload and the Stripe-Signature header
// that secret gives it at time at.
func Signed(payload []byte, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at}).Header
}

// Event is the payload of an event of type typ about object.
func Event(id, typ string, object map[string]any) []byte {
	payload, _ := json.Marshal(map[string]any{"id": id, "object": "event", "type": typ, "api_version": "2025-01-27.acacia",
		"created": time.Now().Unix(), "data": map[string]any{"object": object}})
	return payload
}

func run(t testing.TB) string {
	t.Helper()
	binary, err := exec.LookPath("stripe-mock")
	if err != nil {
		home, _ := os.UserHomeDir()
		if p := filepath.Join(home, "go", "bin", "stripe-mock"); fileExists(p) {
			binary = p
		}
	}
	if binary == "" {
		msg := "stripe-mock not found: go install github.com/stripe/stripe-mock@v0.203.0"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(binary, "-http-addr", addr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(30 * time.Second); ; {
		if conn, err := net.Dial("tcp", addr); err == nil {
			conn.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("stripe-mock did not come up on %s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
