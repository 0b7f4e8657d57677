package api

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/config"
	"github.com/vitrin/vitrin/internal/stripetest"
	"github.com/vitrin/vitrin/internal/token"
)

const (
	stripeSecret     = "whsec_vitrin_test"
	stripeStorefront = "https://shop.example"
)

// stripeStore is the checkout fixture with a Stripe option ("stripe", a
// redirection through Stripe Checkout), Stripe being stripe-mock behind
// stripetest's proxy.
type stripeStore struct {
	*checkoutStore
	mock *stripetest.Mock
}

func newStripeStore(t *testing.T) *stripeStore {
	t.Helper()
	mock := stripetest.Start(t)
	ts := newTestStore(t, func(c *config.Config) {
		c.StripeSecretKey, c.StripeWebhookSecret, c.StripeAPIURL = "sk_test_vitrin", stripeSecret, mock.URL
		c.StorefrontURL = stripeStorefront
	})
	doc := checkoutFixture()
	doc["payment_options"] = append(doc["payment_options"].([]any),
		map[string]any{"slug": "stripe", "name": "Pay with Stripe", "type": "redirection", "gateway": "stripe"})
	return &stripeStore{checkoutStore: checkoutStoreOf(t, ts, doc), mock: mock}
}

// stripeBuy is one shopper's order on its way through Stripe.
type stripeBuy struct {
	sh                 *shopper
	email, key, sessID string
	amount             int64
}

// start takes a new guest buyer of one sku to Stripe's page: the answer's
// redirect_url is the session's URL.
func (ss *stripeStore) start(t *testing.T, email string) *stripeBuy {
	t.Helper()
	b := &stripeBuy{sh: ss.buyer(t, true, email, "TEE-B", 1), email: email}
	nextPage(t, step(b.sh, "PaymentOptionSelectionPage", "payment_option", ss.id("payment:stripe")).must(t, 200), "RedirectionPaymentSelectedPage")
	redirect := ss.redirect(t, b)
	var url string
	err := ss.db.QueryRow(`SELECT o.idempotency_key, o.amount, s.session_id, s.url FROM orders o
		JOIN stripe_sessions s ON s.attempt_key = o.idempotency_key WHERE o.email = $1 AND o.status = 'pending'`, email).
		Scan(&b.key, &b.amount, &b.sessID, &url)
	if err != nil {
		t.Fatal(err)
	}
	if redirect != url || !strings.HasPrefix(url, "https://checkout.stripe.com/") {
		t.Fatalf("redirect_url %q, session URL %q", redirect, url)
	}
	return b
}

// redirect confirms the Stripe option and returns the redirect_url.
func (ss *stripeStore) redirect(t *testing.T, b *stripeBuy) string {
	t.Helper()
	c := nextPage(t, step(b.sh, "RedirectionPaymentSelectedPage", "agreement", "true").must(t, 200), "RedirectionPaymentSelectedPage")
	redirect, _ := c.ContextList[0].PageContext["redirect_url"].(string)
	return redirect
}

// pay is the shopper paying on Stripe's page (Stripe then knows it).
func (ss *stripeStore) pay(b *stripeBuy) { ss.mock.Pay(b.sessID, b.amount, "TRY") }

// returns is the storefront forwarding the shopper back from Stripe.
func (b *stripeBuy) returns() *response { return step(b.sh, "RedirectionPageCompletePage") }

// deliver posts a webhook event signed with secret at time at.
func (ss *stripeStore) deliver(payload []byte, secret string, at time.Time) *response {
	return ss.deliverSigned(payload, stripetest.Signed(payload, secret, at))
}

// deliverSigned posts a webhook event with a Stripe-Signature header.
func (ss *stripeStore) deliverSigned(payload []byte, signature string) *response {
	return ss.shopper().do("POST", "/payments/stripe/webhook/", string(payload), "Content-Type", "application/json",
		"Stripe-Signature", signature)
}

// event is a new event of typ about b's session, signed now.
func (ss *stripeStore) event(b *stripeBuy, typ string) []byte {
	return stripetest.Event("evt_"+token.New(16), typ, map[string]any{"id": b.sessID, "object": "checkout.session",
		"client_reference_id": b.key, "payment_intent": stripetest.PaymentIntentOf(b.sessID)})
}

// state is what the database holds of b: its order's status ("" when
// there is none), its confirmation mails, the stock of TEE-B.
func (ss *stripeStore) state(b *stripeBuy) string {
	var status string
	_ = ss.db.QueryRow("SELECT status FROM orders WHERE email = $1", b.email).Scan(&status)
	return fmt.Sprintf("order %q, %d mails, stock %d", status,
		ss.count("SELECT COUNT(*) FROM mail_outbox WHERE recipient = $1", b.email), ss.stock("TEE-B"))
}

// Stripe's option opens a Checkout Session for the order's exact amount,
// under the attempt's idempotency key, returning to the storefront; a
// retried step answers the same page and opens nothing more; the return
// after paying places the order, paid by the session's PaymentIntent.
func TestStripeCheckoutSession(t *testing.T) {
	ss := newStripeStore(t)
	stock := ss.stock("TEE-B")
	b := ss.start(t, "session@example.com")
	create := ss.mock.Last()
	returnURL := stripeStorefront + "/orders/checkout/?page=RedirectionPageCompletePage"
	want := map[string]string{"line_items[0][price_data][unit_amount]": fmt.Sprint(b.amount),
		"line_items[0][price_data][currency]": "try", "success_url": returnURL, "cancel_url": returnURL,
		"client_reference_id": b.key, "payment_intent_data[metadata][vitrin_attempt]": b.key}
	for k, v := range want {
		if got := create.Form.Get(k); got != v {
			t.Errorf("session create: %s = %q, want %q", k, got, v)
		}
	}
	if create.Path != "POST /v1/checkout/sessions" || create.IdempotencyKey != "session-"+b.key {
		t.Fatalf("session create %s under key %q", create.Path, create.IdempotencyKey)
	}
	calls := len(ss.mock.Calls())
	var url string
	_ = ss.db.QueryRow("SELECT url FROM stripe_sessions").Scan(&url)
	if again := ss.redirect(t, b); again != url || len(ss.mock.Calls()) != calls {
		t.Fatalf("a retried step answered %q (first %q) after %d Stripe calls", again, url, len(ss.mock.Calls())-calls)
	}
	if n := ss.count("SELECT COUNT(*) FROM stripe_sessions"); n != 1 || ss.stock("TEE-B") != stock-1 {
		t.Fatalf("%d sessions, stock %d, want 1 and %d", n, ss.stock("TEE-B"), stock-1)
	}
	if c := checkoutOf(t, b.returns().must(t, 400)); c.Errors["non_field_errors"] == nil {
		t.Fatalf("a return while the page is open: %v", c.Errors)
	}
	ss.pay(b)
	placed(t, b.returns())
	if n := ss.count("SELECT COUNT(*) FROM orders WHERE gateway = 'stripe' AND gateway_reference = $1 AND status = 'approved'",
		stripetest.PaymentIntentOf(b.sessID)); n != 1 {
		t.Fatalf("%d approved orders paid by the session's PaymentIntent; %s", n, ss.state(b))
	}
}

// Webhook deliveries: only Stripe's signature, within five minutes,
// changes anything; an event acts once, and an event that comes late
// (expired after completed) undoes nothing.
func TestStripeWebhookDeliveries(t *testing.T) {
	ss := newStripeStore(t)
	stock := ss.stock("TEE-B")
	b := ss.start(t, "hook@example.com")
	ss.pay(b)
	completed := ss.event(b, "checkout.session.completed")
	now := time.Now()
	pending := fmt.Sprintf(`order "pending", 0 mails, stock %d`, stock-1)
	placed := fmt.Sprintf(`order "approved", 1 mails, stock %d`, stock-1)
	for _, c := range []struct {
		name    string
		payload []byte
		signed  []byte // what the signature is of; the payload when nil
		secret  string
		at      time.Time
		status  int
		want    string
	}{
		{"forged", completed, nil, "whsec_someone_else", now, 400, pending},
		{"stale", completed, nil, stripeSecret, now.Add(-6 * time.Minute), 400, pending},
		{"changed after signing", completed, ss.event(b, "checkout.session.completed"), stripeSecret, now, 400, pending},
		{"signed but no event", []byte(`{"id": "evt_x", "object": "event", "type": "checkout.session.completed", "data": {"object": "x"}}`),
			nil, stripeSecret, now, 400, pending},
		{"valid", completed, nil, stripeSecret, now, 200, placed},
		{"replayed", completed, nil, stripeSecret, now.Add(time.Minute), 200, placed},
		{"expired after completed", ss.event(b, "checkout.session.expired"), nil, stripeSecret, now, 200, placed},
		{"failed try after completed", ss.event(b, "payment_intent.payment_failed"), nil, stripeSecret, now, 200, placed},
	} {
		if c.signed == nil {
			c.signed = c.payload
		}
		r := ss.deliverSigned(c.payload, stripetest.Signed(c.signed, c.secret, c.at))
		if r.StatusCode != c.status || ss.state(b) != c.want {
			t.Errorf("%s: status %d (want %d), %s (want %s); %s", c.name, r.StatusCode, c.status, ss.state(b), c.want, r.body)
		}
	}
	if n := ss.count("SELECT COUNT(*) FROM stripe_events"); n != 3 {
		t.Errorf("%d events recorded, want 3 (completed, expired, failed)", n)
	}
	// The shopper's return after the webhook placed the order shows it.
	placedID, _ := placedOrder(t, b.returns())
	if n := ss.count("SELECT COUNT(*) FROM orders WHERE id = $1 AND status = 'approved'", placedID); n != 1 {
		t.Fatalf("the return showed order %d", placedID)
	}
}

// placedOrder is placed for a caller that has its own variable "placed".
var placedOrder = placed

// An expired session releases its pending order and stock; a failed try
// on an open page is noted on the order and releases nothing.
func TestStripeWebhookExpiredAndFailed(t *testing.T) {
	ss := newStripeStore(t)
	stock := ss.stock("TEE-B")
	b := ss.start(t, "expired@example.com")
	failed := stripetest.Event("evt_failed_1", "payment_intent.payment_failed", map[string]any{"id": "pi_1", "object": "payment_intent",
		"metadata": map[string]string{"vitrin_attempt": b.key}, "last_payment_error": map[string]any{"message": "Your card was declined."}})
	ss.deliver(failed, stripeSecret, time.Now()).must(t, 200)
	if n := ss.count("SELECT COUNT(*) FROM order_status_history h JOIN orders o ON o.id = h.order_id WHERE o.status = 'pending' AND h.note LIKE '%card was declined%'"); n != 1 {
		t.Fatalf("the failed try is noted %d times on the pending order; %s", n, ss.state(b))
	}
	// Open still: an expired event that Stripe does not back changes nothing.
	ss.deliver(ss.event(b, "checkout.session.expired"), stripeSecret, time.Now()).must(t, 200)
	if got, want := ss.state(b), fmt.Sprintf(`order "pending", 0 mails, stock %d`, stock-1); got != want {
		t.Fatalf("an expired event of an open session: %s, want %s", got, want)
	}
	ss.mock.Set(b.sessID, stripetest.Session{Status: "expired", PaymentStatus: "unpaid"})
	ss.deliver(ss.event(b, "checkout.session.expired"), stripeSecret, time.Now()).must(t, 200)
	if got, want := ss.state(b), fmt.Sprintf(`order "", 0 mails, stock %d`, stock); got != want {
		t.Fatalf("after expiry: %s, want %s", got, want)
	}
	if c := nextPage(t, b.returns().must(t, 400), "RedirectionPaymentSelectedPage"); c.Errors["non_field_errors"] == nil {
		t.Fatalf("a return after expiry: %v", c.Errors)
	}
}

// The shopper's return and Stripe's webhook race for one paid session,
// round after round: one order, paid once, one mail, one unit of stock.
func TestStripeReturnWebhookRace(t *testing.T) {
	ss := newStripeStore(t)
	rounds := 50
	if testing.Short() {
		rounds = 5
	}
	for i := range rounds {
		stock := ss.stock("TEE-B")
		b := ss.start(t, fmt.Sprintf("race%d@example.com", i))
		ss.pay(b)
		var wg sync.WaitGroup
		var ret, hook *response
		wg.Add(2)
		go func() { defer wg.Done(); ret = b.returns() }()
		go func() {
			defer wg.Done()
			hook = ss.deliver(ss.event(b, "checkout.session.completed"), stripeSecret, time.Now())
		}()
		wg.Wait()
		placed(t, ret)
		hook.must(t, 200)
		if got, want := ss.state(b), fmt.Sprintf(`order "approved", 1 mails, stock %d`, stock-1); got != want {
			t.Fatalf("round %d: %s, want %s", i, got, want)
		}
		if n := ss.count(`SELECT COUNT(*) FROM order_status_history h JOIN orders o ON o.id = h.order_id
			WHERE o.email = $1 AND h.note = 'paid'`, b.email); n != 1 {
			t.Fatalf("round %d: paid %d times", i, n)
		}
	}
}

// A session paid after its pending order was released (the shopper went
// back and changed the checkout) places nothing: the payment is refunded
// through the refunder, once, however often Stripe tells of it.
func TestStripePaidAfterRelease(t *testing.T) {
	ss := newStripeStore(t)
	stock := ss.stock("TEE-B")
	b := ss.start(t, "late@example.com")
	nextPage(t, step(b.sh, "PaymentOptionSelectionPage", "payment_option", ss.id("payment:stripe")).must(t, 200), "RedirectionPaymentSelectedPage")
	ss.pay(b)
	for range 2 {
		ss.deliver(ss.event(b, "checkout.session.completed"), stripeSecret, time.Now()).must(t, 200)
	}
	if got, want := ss.state(b), fmt.Sprintf(`order "", 0 mails, stock %d`, stock); got != want {
		t.Fatalf("%s, want %s", got, want)
	}
	pi := stripetest.PaymentIntentOf(b.sessID)
	if n := ss.count(`SELECT COUNT(*) FROM refunds WHERE order_id IS NULL AND gateway = 'stripe' AND reference = $1
		AND amount = $2 AND idempotency_key = $3 AND status = 'done'`, pi, b.amount, "refund_attempt_"+b.key); n != 1 {
		t.Fatalf("%d refunds of the payment done", n)
	}
	refunds := 0
	for _, c := range ss.mock.Calls() {
		if c.Path == "POST /v1/refunds" && c.Form.Get("payment_intent") == pi && c.Form.Get("amount") == fmt.Sprint(b.amount) {
			refunds++
		}
	}
	if refunds != 1 {
		t.Fatalf("Stripe was asked for %d refunds, want 1", refunds)
	}
}

// A refund that Stripe tells of is recorded against the order when
// Vitrin did not make it, and never twice; one Vitrin made changes
// nothing.
func TestStripeRefundedElsewhere(t *testing.T) {
	ss := newStripeStore(t)
	b := ss.start(t, "refund@example.com")
	ss.pay(b)
	id, _ := placed(t, b.returns())
	pi := stripetest.PaymentIntentOf(b.sessID)
	refunded := func(amount int64) []byte {
		return stripetest.Event("evt_"+token.New(16), "charge.refunded", map[string]any{"id": "ch_1", "object": "charge",
			"payment_intent": pi, "amount": b.amount, "amount_refunded": amount})
	}
	first := refunded(1000)
	for _, payload := range [][]byte{first, first, refunded(1000), refunded(600)} {
		ss.deliver(payload, stripeSecret, time.Now()).must(t, 200)
	}
	var refund int64
	_ = ss.db.QueryRow("SELECT refund_amount FROM orders WHERE id = $1", id).Scan(&refund)
	if n := ss.count("SELECT COUNT(*) FROM refunds WHERE order_id = $1 AND status = 'done'", id); refund != 1000 || n != 1 {
		t.Fatalf("refund_amount %d in %d refunds, want 1000 in 1", refund, n)
	}
	ss.deliver(refunded(1500), stripeSecret, time.Now()).must(t, 200)
	_ = ss.db.QueryRow("SELECT refund_amount FROM orders WHERE id = $1", id).Scan(&refund)
	if refund != 1500 {
		t.Fatalf("refund_amount %d after 15.00 refunded in all, want 1500", refund)
	}
}

// Stripe unreachable: opening the page refuses the step (400, nothing
// reserved); the return and the webhook answer 503 and change nothing,
// and both work once Stripe is back.
func TestStripeUnreachable(t *testing.T) {
	ss := newStripeStore(t)
	stock := ss.stock("TEE-B")
	sh := ss.buyer(t, true, "down@example.com", "TEE-B", 1)
	nextPage(t, step(sh, "PaymentOptionSelectionPage", "payment_option", ss.id("payment:stripe")).must(t, 200), "RedirectionPaymentSelectedPage")
	ss.mock.Down(true)
	if c := nextPage(t, step(sh, "RedirectionPaymentSelectedPage", "agreement", "true").must(t, 400), "RedirectionPaymentSelectedPage"); c.Errors["non_field_errors"] == nil {
		t.Fatalf("errors %v", c.Errors)
	}
	if n := ss.count("SELECT COUNT(*) FROM orders") + ss.count("SELECT COUNT(*) FROM stripe_sessions"); n != 0 || ss.stock("TEE-B") != stock {
		t.Fatalf("Stripe down at the start left %d rows, stock %d", n, ss.stock("TEE-B"))
	}
	ss.mock.Down(false)
	b := ss.start(t, "down2@example.com")
	ss.pay(b)
	ss.mock.Down(true)
	before := ss.state(b)
	if r := b.returns().must(t, 503).json(); r["detail"] == nil || r["error_code"] != "payment_provider_unavailable" {
		t.Fatalf("the return while Stripe is down: %v", r)
	}
	completed := ss.event(b, "checkout.session.completed")
	ss.deliver(completed, stripeSecret, time.Now()).must(t, 503)
	if ss.state(b) != before || ss.count("SELECT COUNT(*) FROM stripe_events") != 0 {
		t.Fatalf("Stripe down: %s (was %s), %d events", ss.state(b), before, ss.count("SELECT COUNT(*) FROM stripe_events"))
	}
	ss.mock.Down(false)
	ss.deliver(completed, stripeSecret, time.Now()).must(t, 200)
	placed(t, b.returns())
}

// A shopper who paid and closed the tab, with no webhook either, gets
// the order and its mail from ReleaseStale; a session still open then is
// expired at Stripe and its order released.
func TestStripeClosedTab(t *testing.T) {
	ss := newStripeStore(t)
	stock := ss.stock("TEE-B")
	paid, open := ss.start(t, "gone@example.com"), ss.start(t, "left@example.com")
	ss.pay(paid)
	ss.exec("UPDATE orders SET created_at = $1 WHERE status = 'pending'", "2000-01-01 00:00:00")
	if err := ss.api.checkout.ReleaseStale(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := ss.state(paid), fmt.Sprintf(`order "approved", 1 mails, stock %d`, stock-1); got != want {
		t.Fatalf("paid, tab closed: %s, want %s", got, want)
	}
	if got := ss.state(open); got != fmt.Sprintf(`order "", 0 mails, stock %d`, stock-1) {
		t.Fatalf("left on the open page: %s", got)
	}
	if c := ss.mock.Last(); c.Path != "GET /v1/checkout/sessions/"+open.sessID {
		t.Fatalf("last Stripe call %s, want the open session asked after its expiry", c.Path)
	}
}

var stripeReturnRuns = flag.Int("stripe-return-runs", 0, "measure the Stripe return this many times (TestStripeReturnLatency)")

// TestStripeReturnLatency measures, with -stripe-return-runs=N, the time
// from the shopper's return (POST RedirectionPageCompletePage) to the
// answer with the placed order, Stripe's retrieve included: p50 and p99
// over N paid sessions. It asserts no times.
func TestStripeReturnLatency(t *testing.T) {
	if *stripeReturnRuns == 0 {
		t.Skip("a measurement: -stripe-return-runs=200")
	}
	defer slog.SetLogLoggerLevel(slog.SetLogLoggerLevel(slog.LevelWarn))
	ss := newStripeStore(t)
	ss.exec("UPDATE products SET stock = 1000000")
	took := make([]time.Duration, 0, *stripeReturnRuns)
	for i := range *stripeReturnRuns {
		b := ss.start(t, fmt.Sprintf("timed%d@example.com", i))
		ss.pay(b)
		start := time.Now()
		r := b.returns()
		took = append(took, time.Since(start))
		placed(t, r)
	}
	slices.Sort(took)
	t.Logf("return to placed order, %d runs on %s: p50 %.1f ms, p99 %.1f ms, max %.1f ms", len(took), ss.db.Engine,
		ms(took[len(took)/2]), ms(took[len(took)*99/100]), ms(took[len(took)-1]))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
