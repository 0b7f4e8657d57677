package api

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/vitrin/vitrin/internal/payment"
)

// providersOf returns the checkout_providers of the answer's page context.
func providersOf(t *testing.T, c checkoutJSON) []any {
	t.Helper()
	list, ok := c.ContextList[len(c.ContextList)-1].PageContext["checkout_providers"].([]any)
	if !ok {
		t.Fatalf("no checkout_providers in %v", c.ContextList)
	}
	return list
}

// wantHostedProvider asserts that the fixture's one redirection option,
// and nothing else, is listed.
func wantHostedProvider(t *testing.T, cs *checkoutStore, list []any) {
	t.Helper()
	if len(list) != 1 {
		t.Fatalf("providers %v, want the hosted option alone", list)
	}
	p := list[0].(map[string]any)
	if fmt.Sprint(p["pk"]) != cs.id("payment:hosted") || p["slug"] != "hosted" || p["gateway"] != "sandbox" ||
		p["name"] != "Pay on the sandbox's page" || p["payment_type"] != "redirection" {
		t.Fatalf("provider %v", p)
	}
}

// The provider list and index page name the redirection options offered
// now; selecting one opens its hosted page exactly as choosing it on the
// payment pages does, and the return places the order.
func TestCheckoutProviderFlow(t *testing.T) {
	cs := newCheckoutStore(t)
	stock := cs.stock("TEE-B")
	sh := cs.buyer(t, true, "provider@example.com", "TEE-B", 1)
	var list struct {
		Count   int   `json:"count"`
		Results []any `json:"results"`
	}
	sh.do("GET", "/orders/checkout-provider-list/", nil).must(t, 200).decode(t, &list)
	if list.Count != 1 {
		t.Fatalf("list count %d", list.Count)
	}
	wantHostedProvider(t, cs, list.Results)
	for _, method := range []string{"GET", "POST"} {
		c := nextPage(t, sh.do(method, "/orders/checkout/?page=CheckoutProviderIndexPage", nil).must(t, 200), "CheckoutProviderIndexPage")
		wantHostedProvider(t, cs, providersOf(t, c))
	}
	c := nextPage(t, step(sh, "CheckoutProviderSelectionPage", "checkout_provider", cs.id("payment:hosted"), "agreement", "true").must(t, 200),
		"RedirectionPaymentSelectedPage")
	redirect, _ := c.ContextList[0].PageContext["redirect_url"].(string)
	if !strings.HasPrefix(redirect, cs.srv.URL+payment.HostedPath) {
		t.Fatalf("redirect_url %q is not the sandbox's hosted page", redirect)
	}
	if fmt.Sprint(c.PreOrder["payment_option"].(map[string]any)["pk"]) != cs.id("payment:hosted") {
		t.Fatalf("pre_order payment_option %v", c.PreOrder["payment_option"])
	}
	if cs.count("SELECT COUNT(*) FROM orders WHERE status = 'pending'") != 1 || cs.stock("TEE-B") != stock-1 {
		t.Fatal("the selection did not reserve the order")
	}
	decideHosted(t, cs, sh, redirect, "pay")
	placed(t, step(sh, "RedirectionPageCompletePage", "payment_id", "whatever"))
	if n := cs.count("SELECT COUNT(*) FROM orders WHERE email = 'provider@example.com' AND status = 'approved'"); n != 1 {
		t.Fatalf("%d approved orders, want 1", n)
	}
}

// A refused selection answers 400 with the field's error on the selection
// page and changes nothing: the earlier payment choice stays, no order.
// Before the payment step the selection is out of order.
func TestCheckoutProviderRefusals(t *testing.T) {
	cs := newCheckoutStore(t)
	sh := cs.buyer(t, true, "refuse@example.com", "TEE-B", 1)
	nextPage(t, step(sh, "PaymentOptionSelectionPage", "payment_option", cs.id("payment:pod")).must(t, 200), "PayOnDeliveryPaymentChoicePage")
	early := cs.shopper()
	early.do("GET", "/csrf_token/", nil).must(t, 200)
	early.do("POST", "/baskets/basket/", map[string]any{"product": cs.ids["TEE-B"], "quantity": 1}).must(t, 200)
	// refused asserts the answer's field errors are exactly on fields, on
	// the page, and that nothing changed.
	refused := func(page string, fields ...string) func(testing.TB, *response) {
		return func(tb testing.TB, res *response) {
			t := tb.(*testing.T) // a subtest of runScenarios
			c := checkoutOf(t, res)
			if got := c.ContextList[len(c.ContextList)-1].PageName; got != page || len(c.Errors) != len(fields) {
				t.Fatalf("page %s, errors %v; want %s, errors on %v", got, c.Errors, page, fields)
			}
			for _, field := range fields {
				if c.Errors[field] == nil {
					t.Fatalf("errors %v, want one on %s", c.Errors, field)
				}
			}
			if page == "CheckoutProviderSelectionPage" {
				wantHostedProvider(t, cs, providersOf(t, c))
				if got := fmt.Sprint(c.PreOrder["payment_option"].(map[string]any)["pk"]); got != cs.id("payment:pod") {
					t.Fatalf("payment option %s after a refused selection, want pay on delivery's", got)
				}
			}
			if n := cs.count("SELECT COUNT(*) FROM orders"); n != 0 {
				t.Fatalf("%d orders after a refused selection", n)
			}
		}
	}
	selection := func(name string, form url.Values, fields ...string) scenario {
		return scenario{name: name, as: sh, method: "POST", url: "/orders/checkout/?page=CheckoutProviderSelectionPage",
			body: form, status: 400, after: refused("CheckoutProviderSelectionPage", fields...)}
	}
	hosted := cs.id("payment:hosted")
	scenarios := []scenario{
		selection("unknown pk", url.Values{"checkout_provider": {"999999"}, "agreement": {"true"}}, "checkout_provider"),
		selection("not a redirection option", url.Values{"checkout_provider": {cs.id("payment:card")}, "agreement": {"true"}}, "checkout_provider"),
		selection("not a pk", url.Values{"checkout_provider": {"hosted"}, "agreement": {"true"}}, "checkout_provider"),
		selection("no provider", url.Values{"agreement": {"true"}}, "checkout_provider"),
		selection("no agreement", url.Values{"checkout_provider": {hosted}}, "agreement"),
		selection("agreement refused", url.Values{"checkout_provider": {hosted}, "agreement": {"false"}}, "agreement"),
		selection("neither", url.Values{}, "checkout_provider", "agreement"),
		{name: "before the payment step", as: early, method: "POST", url: "/orders/checkout/?page=CheckoutProviderSelectionPage",
			body: url.Values{"checkout_provider": {hosted}, "agreement": {"true"}}, status: 400, after: refused("IndexPage", "non_field_errors")},
	}
	runScenarios(t, cs.testStore, scenarios)
}
