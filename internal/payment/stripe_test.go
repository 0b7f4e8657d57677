package payment

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/vitrin/vitrin/internal/config"
	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/testdb"
)

// stripeCall is one request that reached stripe-mock.
type stripeCall struct {
	path, idempotencyKey string
	form                 url.Values
}

// stripeMock is stripe-mock (VITRIN_TEST_STRIPE_MOCK, or one of the test's
// own from the PATH or $GOPATH/bin) behind a proxy that records what Vitrin
// sent. Without it the test is skipped, except with CI=true.
type stripeMock struct {
	URL   string
	mu    sync.Mutex
	calls []stripeCall
}

func startStripeMock(t *testing.T) *stripeMock {
	t.Helper()
	target := os.Getenv("VITRIN_TEST_STRIPE_MOCK")
	if target == "" {
		target = runStripeMock(t)
	}
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	m := &stripeMock{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		m.mu.Lock()
		m.calls = append(m.calls, stripeCall{path: r.Method + " " + r.URL.Path, idempotencyKey: r.Header.Get("Idempotency-Key"), form: form})
		m.mu.Unlock()
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	m.URL = srv.URL
	return m
}

func (m *stripeMock) last() stripeCall {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[len(m.calls)-1]
}

func runStripeMock(t *testing.T) string {
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

// A Checkout Session is opened for the exact amount and currency, with an
// idempotency key of the checkout's step; a refund names the
// PaymentIntent, its amount and a key of its own.
func TestStripeSessionAndRefund(t *testing.T) {
	mock := startStripeMock(t)
	s := NewStripe(StripeSettings{SecretKey: "sk_test_123", APIBase: mock.URL})
	ctx := context.Background()

	sess, err := s.StartSession(ctx, "checkout-42-1", money.Amount(24990), "TRY", "https://shop.example/ok", "https://shop.example/cancel")
	if err != nil || sess.ID == "" || sess.URL == "" {
		t.Fatalf("session %+v, %v", sess, err)
	}
	call := mock.last()
	want := map[string]string{"line_items[0][price_data][unit_amount]": "24990", "line_items[0][price_data][currency]": "try",
		"line_items[0][quantity]": "1", "mode": "payment", "client_reference_id": "checkout-42-1",
		"success_url": "https://shop.example/ok", "cancel_url": "https://shop.example/cancel"}
	for k, v := range want {
		if call.form.Get(k) != v {
			t.Errorf("%s: %s = %q, want %q", call.path, k, call.form.Get(k), v)
		}
	}
	if call.path != "POST /v1/checkout/sessions" || call.idempotencyKey != "session-checkout-42-1" {
		t.Fatalf("session call %s with key %q", call.path, call.idempotencyKey)
	}

	if _, _, err := s.Confirm(ctx, sess.ID); err != nil {
		t.Fatalf("confirm: %v", err)
	}

	if err := s.Refund(ctx, "refund-7", "pi_123", money.Amount(1000)); err != nil {
		t.Fatalf("refund: %v", err)
	}
	call = mock.last()
	if call.path != "POST /v1/refunds" || call.idempotencyKey != "refund-refund-7" ||
		call.form.Get("payment_intent") != "pi_123" || call.form.Get("amount") != "1000" {
		t.Fatalf("refund call %+v", call)
	}
	if _, err := s.Charge(ctx, Charge{}); !errors.As(err, new(*Declined)) {
		t.Fatalf("a card charge through Stripe: %v", err)
	}
}

// Stripe is unreachable: nothing was charged, asking later may work.
func TestStripeUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	s := NewStripe(StripeSettings{SecretKey: "sk_test_123", APIBase: srv.URL})
	_, err := s.StartSession(context.Background(), "k", 100, "TRY", "https://a/", "https://b/")
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err %v, want ErrUnavailable", err)
	}
}

// Webhook deliveries: only Stripe's signature within five minutes counts,
// and an event is handled once, whatever order events arrive in.
func TestStripeWebhookEvents(t *testing.T) {
	const secret = "whsec_test"
	s := NewStripe(StripeSettings{SecretKey: "sk_test_123", WebhookSecret: secret})
	now := time.Now()
	event := func(id string) []byte {
		return []byte(`{"id":"` + id + `","object":"event","type":"checkout.session.completed","api_version":"2025-01-27.acacia","data":{"object":{"id":"cs_1","object":"checkout.session"}}}`)
	}
	sign := func(payload []byte, secret string, at time.Time) string {
		return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at}).Header
	}
	cases := []struct {
		name      string
		payload   []byte
		signature string
		ok        bool
	}{
		{"valid", event("evt_1"), sign(event("evt_1"), secret, now), true},
		{"four minutes old", event("evt_1"), sign(event("evt_1"), secret, now.Add(-4*time.Minute)), true},
		{"forged", event("evt_1"), sign(event("evt_1"), "whsec_other", now), false},
		{"stale", event("evt_1"), sign(event("evt_1"), secret, now.Add(-6*time.Minute)), false},
		{"payload changed", event("evt_2"), sign(event("evt_1"), secret, now), false},
		{"no signature", event("evt_1"), "", false},
	}
	for _, c := range cases {
		e, err := s.VerifyEvent(c.payload, c.signature)
		if c.ok != (err == nil) || (c.ok && e.ID != "evt_1") {
			t.Errorf("%s: event %q, err %v", c.name, e.ID, err)
		}
	}

	db := testdb.Open(t)
	ctx := context.Background()
	for _, c := range []struct {
		id    string
		first bool
	}{{"evt_2", true}, {"evt_1", true}, {"evt_2", false}, {"evt_1", false}} {
		e, err := s.VerifyEvent(event(c.id), sign(event(c.id), secret, now))
		if err != nil {
			t.Fatal(err)
		}
		first, err := RecordEvent(ctx, db, e, now)
		if err != nil || first != c.first {
			t.Fatalf("%s: first %v, want %v (%v)", c.id, first, c.first, err)
		}
	}
}

// Payment options name Stripe as their gateway once a secret key is set.
func TestStripeGatewayWhenConfigured(t *testing.T) {
	for _, c := range []struct {
		key  string
		want bool
	}{{"", false}, {"sk_test_123", true}} {
		cfg := &config.Config{StripeSecretKey: c.key, StripeAPIURL: "https://api.stripe.com"}
		_, ok := Gateways(NewSandbox(nil), StripeFrom(cfg))["stripe"]
		if ok != c.want {
			t.Errorf("secret key %q: stripe gateway %v, want %v", c.key, ok, c.want)
		}
	}
}
