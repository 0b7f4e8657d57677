package api

import (
	"strings"
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
