package api

import (
	"net/url"
	"strings"
	"testing"

	"github.com/vitrin/vitrin/internal/config"
)

// The sandbox bank page shows on the post of /orders/redirect-three-d/'s
// form, whatever fields a storefront adds to it; only an outcome from the
// page's own buttons is the shopper's answer, and a bad one changes
// nothing. The answer sends the shopper back to the storefront.
func TestSandboxBankPage(t *testing.T) {
	cs := newCheckoutStore(t, func(c *config.Config) { c.StorefrontURL = "https://shop.example/" })
	sh := cs.buyer(t, true, "guest@example.com", "TEE-B", 1)
	nextPage(t, payByCard(t, cs, sh, "4000 0000 0000 3220", 1, true).must(t, 200), "CreditCardThreeDSecurePage")
	bankURL, redirectFields := htmlForm(t, sh.do("GET", "/orders/redirect-three-d/", nil).must(t, 200).body)
	bankPath := strings.TrimPrefix(bankURL, sh.store.srv.URL)
	withPzParams := url.Values{"pzparams": {`{"session":"x","locale":"en"}`}}
	for k, v := range redirectFields {
		withPzParams[k] = v
	}
	decision := func() string {
		var d string
		if err := cs.db.QueryRow("SELECT decision FROM sandbox_three_d").Scan(&d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	cases := []struct {
		name, method, path string
		body               url.Values
		status             int
		want               string
	}{
		{"the redirect form's post", "POST", bankPath, redirectFields, 200, `value="approve">Approve</button>`},
		{"with a storefront's extra field", "POST", bankPath, withPzParams, 200, `value="decline">Decline</button>`},
		{"opened by address", "GET", bankPath, nil, 200, `value="approve">Approve</button>`},
		{"an unknown answer", "POST", bankPath, url.Values{"outcome": {"maybe"}}, 400, `"outcome"`},
		{"an empty answer", "POST", bankPath, url.Values{"outcome": {""}}, 400, `"outcome"`},
		{"an unknown session", "POST", "/payment/sandbox/bank/nosuchsession/", redirectFields, 404, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body any
			if c.body != nil {
				body = c.body
			}
			r := sh.do(c.method, c.path, body).must(t, c.status)
			if !strings.Contains(string(r.body), c.want) {
				t.Fatalf("body %s lacks %s", r.body, c.want)
			}
			if d := decision(); d != "pending" {
				t.Fatalf("decision %q after %s", d, c.name)
			}
		})
	}
	back := sh.do("POST", bankPath, url.Values{"outcome": {"approve"}}).must(t, 200)
	returnURL, fields := htmlForm(t, back.body)
	if returnURL != "https://shop.example/orders/checkout/?page=CreditCardThreeDSecurePage" || fields.Get("three_d_token") == "" {
		t.Fatalf("the bank returns to %s with %v", returnURL, fields)
	}
	if d := decision(); d != "approved" {
		t.Fatalf("decision %q after approving", d)
	}
}
