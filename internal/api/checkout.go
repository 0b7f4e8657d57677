package api

import (
	"context"
	"database/sql"
	"html/template"
	"net/http"
	"strings"

	"github.com/vitrin/vitrin/internal/address"
	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/checkout"
	"github.com/vitrin/vitrin/internal/mail"
	"github.com/vitrin/vitrin/internal/order"
	"github.com/vitrin/vitrin/internal/payment"
	"github.com/vitrin/vitrin/internal/wishlist"
)

// shop holds the services of addresses, checkout, payments and orders.
type shop struct {
	addresses *address.Service
	checkout  *checkout.Service
	gateways  map[string]payment.Gateway
	sandbox   *payment.Sandbox
	refunder  *order.Refunder
	// restocked fires the stock alerts of products that a cancelled or
	// released order brought back from zero, in that transaction.
	restocked order.Restocked
}

// registerCheckout adds the routes of addresses, checkout, payments and orders (issue 6).
func registerCheckout(s *Server) error {
	sandbox := payment.NewSandbox(s.db)
	mailer := mail.NewMailer(s.db, mail.SettingsFrom(s.cfg))
	alerts := wishlist.NewService(s.db, mailer)
	s.shop = &shop{sandbox: sandbox, gateways: payment.Gateways(sandbox, payment.StripeFrom(s.cfg)),
		restocked: func(ctx context.Context, tx *sql.Tx, productIDs []int64) error {
			_, err := alerts.FireRestocked(ctx, tx, productIDs)
			return err
		}}
	s.shop.refunder = order.NewRefunder(s.db, s.shop.gateways)
	s.metrics.registry.MustRegister(order.NewRefundCollector(s.db))
	registerAddresses(s)
	s.shop.checkout = checkout.New(s.db, s.sessions, s.baskets, s.shop.addresses, s.catalog, s.shop.gateways,
		mailer, s.shop.refunder, s.shop.restocked)
	if s.cfg.StorefrontURL != "" {
		// The bank sends the shopper back to the storefront, whose
		// middleware forwards the post to the 3-D Secure step.
		s.shop.checkout.ThreeDReturnURL = strings.TrimRight(s.cfg.StorefrontURL, "/") + s.shop.checkout.ThreeDReturnURL
	}
	// The bank's answer is forwarded by the storefront with the session
	// cookie only; the gateway, not the post, decides whether it paid.
	s.csrfExempt = append(s.csrfExempt, func(r *http.Request) bool {
		if strings.HasPrefix(r.URL.Path, payment.BankPath) {
			return true
		}
		return strings.TrimRight(r.URL.Path, "/") == "/orders/checkout" && r.URL.Query().Get("page") == checkout.ThreeDPage
	})
	s.handle("GET /orders/checkout", s.checkoutPage)
	s.handle("POST /orders/checkout", s.checkoutPage)
	s.handle("GET /orders/redirect-three-d", s.redirectThreeD)
	s.handle("GET /payment/sandbox/bank/{id}", s.sandboxBank)
	s.handle("POST /payment/sandbox/bank/{id}", s.sandboxBankPost)
	s.handle("GET /payments/cards/product/{pk}", s.productInstallments)
	registerOrders(s)
	return nil
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
		owner.GuestKey = sess.Get(guestAddressKey)
	}
	return checkout.Shopper{Sess: sess, Owner: owner, Currency: s.currency(r), Language: s.language(r), RemoteAddr: r.RemoteAddr}, nil
}

func (s *Server) checkoutPage(w http.ResponseWriter, r *http.Request) {
	sh, err := s.checkoutShopper(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var form formInput
	if r.Method == http.MethodPost {
		if form.in, err = s.input(r); err != nil {
			writeError(w, r, err)
			return
		}
	}
	res, err := s.shop.checkout.Handle(r.Context(), sh, strings.TrimSpace(r.URL.Query().Get("page")), r.Method == http.MethodPost, form)
	if err != nil {
		writeError(w, r, err)
		return
	}
	body := map[string]any{"context_list": res.Contexts, "errors": res.Errors,
		"template_name": "orders/checkout.html", "redirect_url": nil}
	if res.RedirectURL != "" {
		body["redirect_url"] = res.RedirectURL
	}
	preOrder := res.PreOrder
	if res.Basket != nil {
		if wire, err := s.basketWire(r, res.Basket); err == nil {
			preOrder["basket"] = wire
		} else {
			writeError(w, r, err)
			return
		}
	}
	body["pre_order"] = preOrder
	writeJSON(w, res.Status, body)
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
func (s *Server) redirectThreeD(w http.ResponseWriter, r *http.Request) {
	sh, err := s.checkoutShopper(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	td, err := s.shop.checkout.ThreeDForm(r.Context(), sh)
	if err != nil {
		writeError(w, r, err)
		return
	}
	action := td.Action
	if strings.HasPrefix(action, "/") {
		// The storefront submits this form from its own origin, so a
		// path of Vitrin's must carry Vitrin's address.
		action = origin(r) + action
	}
	writeHTML(w, autoPost, map[string]any{"Title": "Redirecting to your bank", "Action": action, "Fields": td.Fields})
}

// origin is the scheme and host this request reached Vitrin at.
func origin(r *http.Request) string {
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

func writeHTML(w http.ResponseWriter, t *template.Template, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = t.Execute(w, data)
}

var bankPage = template.Must(template.New("bank").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sandbox bank: 3-D Secure</title></head>
<body><h1>Vitrin sandbox bank</h1>
<p>Pay {{.Amount}} {{.Currency}} with {{.Brand}} card ending {{.LastFour}}?</p>
<form method="post" action="">
<button type="submit" name="outcome" value="approve">Approve</button>
<button type="submit" name="outcome" value="decline">Decline</button>
</form></body></html>`))

func (s *Server) sandboxBank(w http.ResponseWriter, r *http.Request) {
	b, err := s.shop.sandbox.Bank(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeHTML(w, bankPage, b)
}

// sandboxBankPost is the bank page's POST. Without an outcome it is the
// shopper arriving from /orders/redirect-three-d/ (that form posts the
// amount and currency, and storefronts add fields of their own), so the
// bank page shows; with one it is the shopper's answer from the page's
// own buttons, recorded once, and the shopper is sent back to the
// storefront's return URL with the session token.
func (s *Server) sandboxBankPost(w http.ResponseWriter, r *http.Request) {
	in, err := s.input(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if !in.has("outcome") {
		s.sandboxBank(w, r)
		return
	}
	outcome := in.str("outcome")
	if outcome != "approve" && outcome != "decline" {
		writeError(w, r, apperror.Field("outcome", `Choose "approve" or "decline".`))
		return
	}
	id := r.PathValue("id")
	if err := s.shop.sandbox.Decide(r.Context(), id, outcome == "approve"); err != nil {
		writeError(w, r, err)
		return
	}
	b, err := s.shop.sandbox.Bank(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeHTML(w, autoPost, map[string]any{"Title": "Returning to the shop", "Action": b.ReturnURL,
		"Fields": map[string]string{"three_d_token": id, "outcome": outcome}})
}
