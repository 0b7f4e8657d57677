package api

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/vitrin/vitrin/internal/address"
	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/checkout"
	"github.com/vitrin/vitrin/internal/payment"
)

// csrfExempt tells the requests that need no CSRF proof: the answer of
// the bank or of a hosted payment page is forwarded by the storefront
// with the session cookie only; the gateway, not the post, decides
// whether it paid. Stripe's webhook has no session: its signature is
// the proof.
func csrfExempt(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, payment.BankPath) || strings.HasPrefix(r.URL.Path, payment.HostedPath) ||
		strings.TrimRight(r.URL.Path, "/")+"/" == StripeWebhookPath {
		return true
	}
	if strings.TrimRight(r.URL.Path, "/") != "/orders/checkout" {
		return false
	}
	page := r.URL.Query().Get("page")
	return page == checkout.ThreeDPage || page == checkout.RedirectionReturnPage
}

// formInput adapts a parsed body to checkout.Form.
type formInput struct{ in *input }

func (f formInput) Get(key string) string {
	if f.in == nil {
		return ""
	}
	return f.in.str(key)
}

func (f formInput) Has(key string) bool { return f.in != nil && f.in.has(key) }

func (s *Server) checkoutShopper(r *http.Request) (checkout.Shopper, error) {
	sess, err := s.session(r)
	if err != nil {
		return checkout.Shopper{}, err
	}
	owner := address.Owner{CustomerID: sess.CustomerID}
	if !sess.IsCustomer() {
		owner.GuestKey = sess.Get(address.GuestSessionKey)
	}
	return checkout.Shopper{Sess: sess, Owner: owner, Currency: s.currency(r), Language: s.language(r), RemoteAddr: r.RemoteAddr}, nil
}

func (s *Server) checkoutPage(w http.ResponseWriter, r *http.Request) error {
	sh, err := s.checkoutShopper(r)
	if err != nil {
		return err
	}
	var form formInput
	if r.Method == http.MethodPost {
		if form.in, err = s.input(r); err != nil {
			return err
		}
	}
	res, err := s.checkout.Handle(r.Context(), sh, strings.TrimSpace(r.URL.Query().Get("page")), r.Method == http.MethodPost, form)
	if err != nil {
		return err
	}
	for _, c := range res.Contexts {
		if u, ok := c.PageContext["redirect_url"].(string); ok && strings.HasPrefix(u, payment.HostedPath) {
			// The sandbox's hosted page is Vitrin's: the browser leaves
			// the storefront's origin for it.
			c.PageContext["redirect_url"] = origin(r) + u
		}
	}
	body := map[string]any{"context_list": res.Contexts, "errors": res.Errors,
		"template_name": "orders/checkout.html", "redirect_url": nil}
	if res.RedirectURL != "" {
		body["redirect_url"] = res.RedirectURL
	}
	preOrder := res.PreOrder
	if res.Basket != nil {
		wire, err := s.basketWire(r, res.Basket)
		if err != nil {
			return err
		}
		preOrder["basket"] = wire
	}
	body["pre_order"] = preOrder
	return writeJSON(w, res.Status, body)
}

// checkoutProviders lists the hosted-payment providers of the shopper's
// checkout: the redirection payment options offered now.
func (s *Server) checkoutProviders(w http.ResponseWriter, r *http.Request) error {
	sh, err := s.checkoutShopper(r)
	if err != nil {
		return err
	}
	list, err := s.checkout.Providers(r.Context(), sh)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, paginate(r, list, 1000))
}

// autoPost is an HTML page holding one form that posts itself.
var autoPost = template.Must(template.New("post").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body onload="document.forms[0].submit()">
<form method="post" action="{{.Action}}">
{{range $k, $v := .Fields}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<noscript><button type="submit">Continue</button></noscript>
</form></body></html>`))

// redirectThreeD sends the shopper to the bank of the pending payment.
func (s *Server) redirectThreeD(w http.ResponseWriter, r *http.Request) error {
	sh, err := s.checkoutShopper(r)
	if err != nil {
		return err
	}
	td, err := s.checkout.ThreeDForm(r.Context(), sh)
	if err != nil {
		return err
	}
	action := td.Action
	if strings.HasPrefix(action, "/") {
		// The storefront submits this form from its own origin, so a
		// path of Vitrin's must carry Vitrin's address.
		action = origin(r) + action
	}
	return writeHTML(w, autoPost, map[string]any{"Title": "Redirecting to your bank", "Action": action, "Fields": td.Fields})
}

// origin is the scheme and host this request reached Vitrin at.
func origin(r *http.Request) string {
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

var bankPage = template.Must(template.New("bank").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sandbox bank: 3-D Secure</title></head>
<body><h1>Vitrin sandbox bank</h1>
<p>Pay {{.Amount}} {{.Currency}} with {{.Brand}} card ending {{.LastFour}}?</p>
<form method="post" action="">
<button type="submit" name="outcome" value="approve">Approve</button>
<button type="submit" name="outcome" value="decline">Decline</button>
</form></body></html>`))

func (s *Server) sandboxBank(w http.ResponseWriter, r *http.Request) error {
	b, err := s.sandbox.Bank(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeHTML(w, bankPage, b)
}

// sandboxBankPost is the bank page's POST. Without an outcome it is the
// shopper arriving from /orders/redirect-three-d/ (that form posts the
// amount and currency, and storefronts add fields of their own), so the
// bank page shows; with one it is the shopper's answer from the page's
// own buttons, recorded once, and the shopper is sent back to the
// storefront's return URL with the session token.
func (s *Server) sandboxBankPost(w http.ResponseWriter, r *http.Request) error {
	in, err := s.input(r)
	if err != nil {
		return err
	}
	if !in.has("outcome") {
		return s.sandboxBank(w, r)
	}
	outcome := in.str("outcome")
	if outcome != "approve" && outcome != "decline" {
		return apperror.Field("outcome", `Choose "approve" or "decline".`)
	}
	id := r.PathValue("id")
	if err := s.sandbox.Decide(r.Context(), id, outcome == "approve"); err != nil {
		return err
	}
	b, err := s.sandbox.Bank(r.Context(), id)
	if err != nil {
		return err
	}
	return writeHTML(w, autoPost, map[string]any{"Title": "Returning to the shop", "Action": b.ReturnURL,
		"Fields": map[string]string{"three_d_token": id, "outcome": outcome}})
}

var hostedPage = template.Must(template.New("hosted").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sandbox payment page</title></head>
<body><h1>Vitrin sandbox payment page</h1>
<p>Pay {{.Amount}} {{.Currency}}?</p>
<form method="post" action="">
<button type="submit" name="decision" value="pay">Pay</button>
<button type="submit" name="decision" value="cancel">Cancel</button>
</form></body></html>`))

// sandboxHosted is the sandbox's hosted payment page, where a shopper
// who chose a "redirection" option of the sandbox pays.
func (s *Server) sandboxHosted(w http.ResponseWriter, r *http.Request) error {
	h, err := s.sandbox.HostedSession(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeHTML(w, hostedPage, h)
}

// sandboxHostedPost records the shopper's Pay or Cancel, once, and sends
// the shopper back to the storefront's return URL, as a hosted provider
// does; the checkout asks the sandbox what was decided.
func (s *Server) sandboxHostedPost(w http.ResponseWriter, r *http.Request) error {
	in, err := s.input(r)
	if err != nil {
		return err
	}
	decision := in.str("decision")
	if decision != "pay" && decision != "cancel" {
		return apperror.Field("decision", `Choose "pay" or "cancel".`)
	}
	id := r.PathValue("id")
	h, err := s.sandbox.HostedSession(r.Context(), id)
	if err != nil {
		return err
	}
	if err := s.sandbox.Decide(r.Context(), id, decision == "pay"); err != nil {
		return err
	}
	return writeHTML(w, autoPost, map[string]any{"Title": "Returning to the shop", "Action": h.ReturnURL,
		"Fields": map[string]string{"payment_id": id}})
}
