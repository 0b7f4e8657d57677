package payment

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/config"
	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/stripetest"
	"github.com/vitrin/vitrin/internal/testdb"
)

// A Checkout Session is opened for the exact amount and currency, with an
// idempotency key of the checkout's step; a refund names the
// PaymentIntent, its amount and a key of its own.
func TestStripeSessionAndRefund(t *testing.T) {
	mock := stripetest.Start(t)
	s := NewStripe(testdb.Open(t), StripeSettings{SecretKey: "sk_test_123", APIBase: mock.URL})
	ctx := context.Background()

	sess, err := s.StartSession(ctx, "checkout-42-1", money.Amount(24990), "TRY", "https://shop.example/ok", "https://shop.example/cancel")
	if err != nil || sess.ID == "" || sess.URL == "" {
		t.Fatalf("session %+v, %v", sess, err)
	}
	call := mock.Last()
	want := map[string]string{"line_items[0][price_data][unit_amount]": "24990", "line_items[0][price_data][currency]": "try",
		"line_items[0][quantity]": "1", "mode": "payment", "client_reference_id": "checkout-42-1",
		"success_url": "https://shop.example/ok", "cancel_url": "https://shop.example/cancel"}
	for k, v := range want {
		if call.Form.Get(k) != v {
			t.Errorf("%s: %s = %q, want %q", call.Path, k, call.Form.Get(k), v)
		}
	}
	if call.Path != "POST /v1/checkout/sessions" || call.IdempotencyKey != "session-checkout-42-1" {
		t.Fatalf("session call %s with key %q", call.Path, call.IdempotencyKey)
	}

	if _, err := s.Confirm(ctx, sess.ID); err != nil {
		t.Fatalf("confirm: %v", err)
	}

	if err := s.Refund(ctx, "refund-7", "pi_123", money.Amount(1000)); err != nil {
		t.Fatalf("refund: %v", err)
	}
	call = mock.Last()
	if call.Path != "POST /v1/refunds" || call.IdempotencyKey != "refund-refund-7" ||
		call.Form.Get("payment_intent") != "pi_123" || call.Form.Get("amount") != "1000" {
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
	s := NewStripe(nil, StripeSettings{SecretKey: "sk_test_123", APIBase: srv.URL})
	_, err := s.StartSession(context.Background(), "k", 100, "TRY", "https://a/", "https://b/")
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err %v, want ErrUnavailable", err)
	}
}

// Webhook deliveries: only Stripe's signature within five minutes counts,
// and an event is handled once, whatever order events arrive in.
func TestStripeWebhookEvents(t *testing.T) {
	const secret = "whsec_test"
	s := NewStripe(nil, StripeSettings{SecretKey: "sk_test_123", WebhookSecret: secret})
	now := time.Now()
	event := func(id string) []byte {
		return []byte(`{"id":"` + id + `","object":"event","type":"checkout.session.completed","api_version":"2025-01-27.acacia","data":{"object":{"id":"cs_1","object":"checkout.session"}}}`)
	}
	sign := stripetest.Signed
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
		first, err := RecordEvent(ctx, db, e.ID, string(e.Type), now)
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
		_, ok := Gateways(NewSandbox(nil), StripeFrom(cfg, nil))["stripe"]
		if ok != c.want {
			t.Errorf("secret key %q: stripe gateway %v, want %v", c.key, ok, c.want)
		}
	}
}

// A hosted payment through Stripe: one session per attempt, and what
// Stripe says of it decides, for the return (CompleteHosted) and for
// ReleaseStale (Lookup, which expires a session still open first).
func TestStripeHosted(t *testing.T) {
	mock := stripetest.Start(t)
	db := testdb.Open(t)
	s := NewStripe(db, StripeSettings{SecretKey: "sk_test_123", APIBase: mock.URL})
	ctx := context.Background()
	const ret = "https://shop.example/orders/checkout/?page=RedirectionPageCompletePage"
	if _, err := s.StartHosted(ctx, Charge{Key: "k0", Amount: 100, Currency: "TRY"}, "/orders/checkout/"); !errors.As(err, new(*Declined)) {
		t.Fatalf("a relative return address: %v", err)
	}
	paid := stripetest.Session{Status: "complete", PaymentStatus: "paid", Currency: "try", AmountTotal: 5000, PaymentIntent: "pi_1"}
	for _, c := range []struct {
		name                     string
		state                    *stripetest.Session // nil: as stripe-mock answers, open
		paid, declined, failed   bool                // CompleteHosted
		lookupPaid, lookupFailed bool
	}{
		{name: "open", lookupPaid: false},
		{name: "paid", state: &paid, paid: true, lookupPaid: true},
		{name: "paid another amount", state: &stripetest.Session{Status: "complete", PaymentStatus: "paid", Currency: "try",
			AmountTotal: 4999, PaymentIntent: "pi_2"}, failed: true, lookupFailed: true},
		{name: "expired", state: &stripetest.Session{Status: "expired", PaymentStatus: "unpaid"}, declined: true},
	} {
		charge := Charge{Key: "attempt-" + c.name, Amount: 5000, Currency: "TRY"}
		url, err := s.StartHosted(ctx, charge, ret)
		again, err2 := s.StartHosted(ctx, charge, ret)
		if err != nil || err2 != nil || url == "" || again != url {
			t.Fatalf("%s: pages %q and %q (%v, %v)", c.name, url, again, err, err2)
		}
		var id string
		_ = db.QueryRow("SELECT session_id FROM stripe_sessions WHERE attempt_key = $1", charge.Key).Scan(&id)
		if c.state != nil {
			mock.Set(id, *c.state)
		}
		p, ok, err := s.CompleteHosted(ctx, charge.Key)
		declined := errors.As(err, new(*Declined))
		if ok != c.paid || declined != c.declined || (err != nil && !declined) != c.failed || (ok && p.Reference != "pi_1") {
			t.Errorf("%s: CompleteHosted %+v, %v, %v", c.name, p, ok, err)
		}
		_, ok, err = s.Lookup(ctx, charge.Key)
		if ok != c.lookupPaid || (err != nil) != c.lookupFailed {
			t.Errorf("%s: Lookup %v, %v", c.name, ok, err)
		}
	}
	if _, ok, err := s.Lookup(ctx, "no-such-attempt"); ok || err != nil {
		t.Errorf("an attempt with no session: %v, %v", ok, err)
	}
}
