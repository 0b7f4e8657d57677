package api

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/vitrin/vitrin/internal/payment"
)

// startHosted takes sh, at the payment step, to the sandbox's hosted page:
// it chooses the redirection option and confirms, and returns the page's
// URL that the answer's context carries.
func startHosted(t *testing.T, cs *checkoutStore, sh *shopper) string {
	t.Helper()
	nextPage(t, step(sh, "PaymentOptionSelectionPage", "payment_option", cs.id("payment:hosted")).must(t, 200), "RedirectionPaymentSelectedPage")
	c := nextPage(t, step(sh, "RedirectionPaymentSelectedPage", "agreement", "true").must(t, 200), "RedirectionPaymentSelectedPage")
	redirect, _ := c.ContextList[0].PageContext["redirect_url"].(string)
	if !strings.HasPrefix(redirect, cs.srv.URL+payment.HostedPath) {
		t.Fatalf("redirect_url %q is not the sandbox's hosted page", redirect)
	}
	return redirect
}

// decideHosted clicks Pay or Cancel on the sandbox's hosted page.
func decideHosted(t *testing.T, cs *checkoutStore, sh *shopper, page, decision string) {
	t.Helper()
	sh.do("POST", strings.TrimPrefix(page, cs.srv.URL), url.Values{"decision": {decision}}).must(t, 200)
}

// The shopper's return from the hosted page places the order once, however
// many copies of it race (a double-clicked button, a retrying proxy), and
// the order is the basket's, paid for its exact amount.
func TestCheckoutHostedReturnRace(t *testing.T) {
	cs := newCheckoutStore(t)
	stock := cs.stock("TEE-B")
	sh := cs.buyer(t, true, "race@example.com", "TEE-B", 2)
	page := startHosted(t, cs, sh)
	decideHosted(t, cs, sh, page, "pay")
	const returns = 8
	answers := make(chan *response, returns)
	var wg sync.WaitGroup
	for range returns {
		wg.Add(1)
		go func() { defer wg.Done(); answers <- step(sh, "RedirectionPageCompletePage", "payment_id", "whatever") }()
	}
	wg.Wait()
	close(answers)
	ids := map[int64]bool{}
	for r := range answers {
		id, _ := placed(t, r)
		ids[id] = true
	}
	if len(ids) != 1 {
		t.Fatalf("the returns placed orders %v, want one", ids)
	}
	if n := cs.count("SELECT COUNT(*) FROM orders WHERE email = 'race@example.com'"); n != 1 || cs.stock("TEE-B") != stock-2 {
		t.Fatalf("%d orders, stock %d (want 1, %d)", n, cs.stock("TEE-B"), stock-2)
	}
	if n := cs.count(`SELECT COUNT(*) FROM sandbox_charges c JOIN orders o ON o.idempotency_key = c.idempotency_key
		WHERE o.email = 'race@example.com' AND c.amount = o.amount`); n != 1 {
		t.Fatalf("%d charges of the order's amount, want 1", n)
	}
}

// A return that the gateway does not back places nothing: with no payment
// waiting, with the page still open (the order stays pending, its stock
// held), after Cancel (released, stock back); the page refuses a bad
// decision and an unknown session.
func TestCheckoutHostedRefusals(t *testing.T) {
	cs := newCheckoutStore(t)
	stock := cs.stock("TEE-B")
	sh := cs.buyer(t, true, "refused@example.com", "TEE-B", 1)
	ret := func() *response { return step(sh, "RedirectionPageCompletePage") }
	nothingWaiting := checkoutOf(t, ret().must(t, 400))
	page := startHosted(t, cs, sh)
	stillOpen := checkoutOf(t, ret().must(t, 400))
	if cs.count("SELECT COUNT(*) FROM orders WHERE status = 'pending'") != 1 || cs.stock("TEE-B") != stock-1 {
		t.Fatal("a return while the page is open released the reservation")
	}
	path := strings.TrimPrefix(page, cs.srv.URL)
	if errs := sh.do("POST", path, url.Values{"decision": {"maybe"}}).must(t, 400).json(); errs["decision"] == nil {
		t.Fatalf("a bad decision: %v", errs)
	}
	sh.do("GET", payment.HostedPath+"nosuchsession/", nil).must(t, 404)
	decideHosted(t, cs, sh, page, "cancel")
	cancelled := checkoutOf(t, ret().must(t, 400))
	for name, c := range map[string]checkoutJSON{"nothing waiting": nothingWaiting, "still open": stillOpen, "cancelled": cancelled} {
		if c.Errors["non_field_errors"] == nil {
			t.Errorf("%s: errors %v", name, c.Errors)
		}
	}
	if cs.count("SELECT COUNT(*) FROM orders") != 0 || cs.stock("TEE-B") != stock {
		t.Fatalf("after Cancel: %d orders, stock %d, want none and %d", cs.count("SELECT COUNT(*) FROM orders"), cs.stock("TEE-B"), stock)
	}
	decideHosted(t, cs, sh, page, "pay") // too late: the page decided once
	checkoutOf(t, ret().must(t, 400))
	if cs.count("SELECT COUNT(*) FROM orders") != 0 || cs.count("SELECT COUNT(*) FROM sandbox_charges") != 0 {
		t.Fatal("a second decision on a cancelled page charged or placed")
	}
}

// A shopper who paid on the hosted page and closed the tab still gets the
// order and its mail: ReleaseStale asks the gateway, which tells the truth.
func TestCheckoutHostedClosedTab(t *testing.T) {
	cs := newCheckoutStore(t)
	sh := cs.buyer(t, true, "gone@example.com", "TEE-B", 1)
	decideHosted(t, cs, sh, startHosted(t, cs, sh), "pay")
	cs.exec("UPDATE orders SET created_at = $1 WHERE status = 'pending'", "2000-01-01 00:00:00")
	if err := cs.api.checkout.ReleaseStale(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := cs.count("SELECT COUNT(*) FROM orders WHERE email = 'gone@example.com' AND status = 'approved'"); n != 1 {
		t.Fatalf("%d approved orders, want 1", n)
	}
	if n := cs.count("SELECT COUNT(*) FROM mail_outbox WHERE recipient = 'gone@example.com'"); n != 1 {
		t.Fatalf("%d confirmation mails, want 1", n)
	}
}
