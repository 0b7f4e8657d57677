package api

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/checkout"

	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/order"
	"github.com/vitrin/vitrin/internal/ratelimit"
)

func (s *Server) writeOrder(w http.ResponseWriter, r *http.Request, o *order.Order, wrap bool) error {
	model, err := s.catalog.Current(r.Context())
	if err != nil {
		return err
	}
	wire := o.Wire(model, model.OffersAt(time.Now()), s.language(r))
	if wrap {
		return writeJSON(w, http.StatusOK, map[string]any{"order": wire})
	}
	return writeJSON(w, http.StatusOK, wire)
}

// completedOrder is the thank-you page's order; the token is the proof.
func (s *Server) completedOrder(w http.ResponseWriter, r *http.Request) error {
	o, err := order.ByToken(r.Context(), s.db, r.PathValue("token"))
	if err != nil {
		return err
	}
	return s.writeOrder(w, r, o, true)
}

// dateParam reads a created_date filter: a date (the whole day counts) or
// an RFC 3339 time. The real client sends values with spaces around them.
func dateParam(r *http.Request, name string, endOfDay bool) (time.Time, error) {
	raw := strings.TrimSpace(r.URL.Query().Get(name))
	if raw == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, raw); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.DateOnly, raw)
	if err != nil {
		return time.Time{}, apperror.Field(name, "Enter a valid date such as 2026-01-31.")
	}
	if endOfDay {
		t = t.Add(24*time.Hour - time.Nanosecond)
	}
	return t, nil
}

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.customer(r)
	if err != nil {
		return err
	}
	from, err1 := dateParam(r, "created_date__gte", false)
	to, err2 := dateParam(r, "created_date__lte", true)
	if err := errors.Join(err1, err2); err != nil {
		return apperror.Merge(err1, err2)
	}
	q := r.URL.Query()
	limit := min(positiveParam(strings.TrimSpace(q.Get("limit")), 10), 100)
	page := pageParam(q.Get("page"))
	list, count, err := order.List(r.Context(), s.db, sess.CustomerID, order.Filter{From: from, To: to, Limit: limit, Offset: (page - 1) * limit})
	if err != nil {
		return err
	}
	model, err := s.catalog.Current(r.Context())
	if err != nil {
		return err
	}
	results := make([]order.JSON, len(list))
	offers, lang := model.OffersAt(time.Now()), s.language(r)
	for i, o := range list {
		results[i] = o.Wire(model, offers, lang)
	}
	body := map[string]any{"count": count, "results": results, "next": nil, "previous": nil}
	if page*limit < count {
		body["next"] = pageURL(r, page+1)
	}
	if page > 1 {
		body["previous"] = pageURL(r, page-1)
	}
	return writeJSON(w, http.StatusOK, body)
}

func pageURL(r *http.Request, page int) string {
	q := r.URL.Query()
	q.Set("page", strconv.Itoa(page))
	return r.URL.Path + "/?" + q.Encode()
}

func (s *Server) customerOrder(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.customer(r)
	if err != nil {
		return err
	}
	id, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	o, err := order.OfCustomer(r.Context(), s.db, sess.CustomerID, id)
	if err != nil {
		return err
	}
	return s.writeOrder(w, r, o, false)
}

// cancelLines reads cancel_order_items.
func cancelLines(in *input) ([]order.CancelLine, error) {
	var raw []map[string]any
	if err := in.decode("cancel_order_items", &raw); err != nil {
		return nil, err
	}
	lines := make([]order.CancelLine, 0, len(raw))
	for _, item := range raw {
		id, ok := catalog.ParsePK(strings.TrimSpace(toText(item["order_item"])))
		if !ok {
			return nil, apperror.Field("cancel_order_items", "Each item needs an order_item pk.")
		}
		line := order.CancelLine{ItemID: id, Description: toText(item["description"])}
		if reason := strings.TrimSpace(toText(item["reason"])); reason != "" {
			if line.ReasonID, ok = catalog.ParsePK(reason); !ok {
				return nil, apperror.Field("reason", "Incorrect type. Expected pk value.")
			}
		}
		lines = append(lines, line)
	}
	return lines, nil
}

func toText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	}
	return ""
}

// afterCancel sends the refunds of committed cancellations (recorded in
// their transaction, as their stock alerts fired there) at once; whatever
// fails is retried by the refunder of `vitrin serve`. A shopper who hangs
// up must not stop refunds, so the request's cancellation is ignored.
func (s *Server) afterCancel(r *http.Request, done *order.CancelResult) {
	if err := s.refunder.Send(context.WithoutCancel(r.Context()), done.Refunds); err != nil {
		// A database failure: the refunds stay pending and are retried
		// once their lease runs out, under the same idempotency keys.
		slog.Error("refund attempt not recorded", "err", err)
	}
}

func (s *Server) cancelOrder(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.customer(r)
	if err != nil {
		return err
	}
	id, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	in, err := s.input(r)
	if err != nil {
		return err
	}
	lines, err := cancelLines(in)
	if err != nil {
		return err
	}
	done, err := order.Cancel(r.Context(), s.db, sess.CustomerID, []order.Cancellation{{OrderID: id, Lines: lines}}, s.svc.Restocked)
	if err != nil {
		return err
	}
	s.afterCancel(r, done)
	o, err := order.OfCustomer(r.Context(), s.db, sess.CustomerID, id)
	if err != nil {
		return err
	}
	return s.writeOrder(w, r, o, false)
}

// bulkCancel cancels items of several orders: each item is found in the
// customer's orders and the items are cancelled order by order.
func (s *Server) bulkCancel(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.customer(r)
	if err != nil {
		return err
	}
	in, err := s.input(r)
	if err != nil {
		return err
	}
	lines, err := cancelLines(in)
	if err != nil {
		return err
	}
	if len(lines) == 0 {
		return apperror.Field("cancel_order_items", "This list may not be empty.")
	}
	// All of the request's cancellations go in one transaction: an item
	// that cannot be cancelled leaves every order as it was.
	var requests []order.Cancellation
	var orderIDs []int64
	at := map[int64]int{}
	for _, l := range lines {
		id, err := order.ItemOrder(r.Context(), s.db, sess.CustomerID, l.ItemID)
		if err != nil {
			return err
		}
		i, ok := at[id]
		if !ok {
			i, at[id] = len(requests), len(requests)
			requests = append(requests, order.Cancellation{OrderID: id})
			orderIDs = append(orderIDs, id)
		}
		requests[i].Lines = append(requests[i].Lines, l)
	}
	done, err := order.Cancel(r.Context(), s.db, sess.CustomerID, requests, s.svc.Restocked)
	if err != nil {
		return err
	}
	s.afterCancel(r, done)
	return writeJSON(w, http.StatusOK, map[string]any{"orders": orderIDs})
}

func (s *Server) cancellationReasons(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.customer(r); err != nil {
		return err
	}
	list, err := checkout.CancellationReasons(r.Context(), s.db)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, paginate(r, list, 1000))
}

var trackingLimit = ratelimit.Limit{Max: 20, Window: 10 * time.Minute}

// anonymousOrder lets a guest track an order by e-mail and number.
func (s *Server) anonymousOrder(w http.ResponseWriter, r *http.Request) error {
	in, err := s.input(r)
	if err != nil {
		return err
	}
	email, number := strings.TrimSpace(in.str("email")), strings.TrimSpace(in.str("number"))
	errs := apperror.Fields{}
	if email == "" {
		errs.Add("email", "This field is required.")
	}
	if number == "" {
		errs.Add("number", "This field is required.")
	}
	if len(errs) > 0 {
		return errs
	}
	// Per e-mail address, so nobody guesses order numbers of someone else's.
	if err := ratelimit.Hit(r.Context(), s.db, "order-tracking:"+strings.ToLower(email), trackingLimit); err != nil {
		return err
	}
	o, err := order.ByEmailAndNumber(r.Context(), s.db, email, number)
	if err != nil {
		return err
	}
	return s.writeOrder(w, r, o, false)
}

// orderSummary is the part of both contracts that names the order being
// agreed to, when the shopper's checkout has one.
const orderSummary = `{{with .Order}}
<h2>The order</h2>
<p>Buyer: {{if .Name}}{{.Name}}, {{end}}{{.Buyer}}{{if .Address}}. Delivery: {{.Address}}{{end}}.</p>
<table><tr><th>Product</th><th>Quantity</th><th>Price including taxes</th></tr>
{{range .Lines}}<tr><td>{{.Name}}</td><td>{{.Quantity}}</td><td>{{.Total}} {{$.Order.Currency}}</td></tr>
{{end}}</table>
<p>Shipping: {{.Shipping}} {{.Currency}}. Total to pay: {{.Total}} {{.Currency}}{{if .Payment}}, by {{.Payment}}{{end}}.</p>
{{end}}`

var contracts = map[string]*template.Template{
	"distance-sales": template.Must(template.New("distance-sales").Parse(`<h1>Distance Sales Agreement</h1>
<p>This agreement is between {{.Store}} (the seller) and the buyer placing the order. The buyer may withdraw
within 14 days of delivery without giving a reason. The goods, their prices including taxes, the shipping cost
and the payment method are as shown on the order summary before the order is confirmed.</p>` + orderSummary)),
	"pre-information": template.Must(template.New("pre-information").Parse(`<h1>Pre-information Form</h1>
<p>Seller: {{.Store}}. Before you confirm, you are shown the goods' main characteristics, the total price
including taxes, shipping costs, the payment and delivery terms and your right of withdrawal (14 days).</p>` + orderSummary)),
}

// contractOrder is a checkout summary with its products named.
type contractOrder struct {
	*checkout.Summary
	Lines []contractLine
}

type contractLine struct {
	Name     string
	Quantity int64
	Total    money.Amount
}

// contract answers the text of a contract shown at checkout (HTML), with
// the order of the shopper's checkout when there is one: what the shopper
// agrees to is this order.
func (s *Server) contract(w http.ResponseWriter, r *http.Request) error {
	name := strings.TrimSpace(r.URL.Query().Get("contract_name"))
	t, ok := contracts[name]
	if !ok {
		return apperror.ErrNotFound
	}
	store := "the store"
	_ = s.db.QueryRowContext(r.Context(), "SELECT name FROM store WHERE id = 1 AND name <> ''").Scan(&store)
	data := struct {
		Store string
		Order *contractOrder
	}{Store: store}
	sh, err := s.checkoutShopper(r)
	if err != nil {
		return err
	}
	sum, err := s.checkout.Summary(r.Context(), sh)
	if err != nil {
		return err
	}
	if sum != nil {
		model, err := s.catalog.Current(r.Context())
		if err != nil {
			return err
		}
		data.Order = &contractOrder{Summary: sum}
		for _, l := range sum.Lines {
			line := contractLine{Name: "#" + strconv.FormatInt(l.ProductID, 10), Quantity: l.Quantity, Total: l.Total}
			if p, ok := model.Product(l.ProductID); ok {
				line.Name = p.Label(sh.Language)
			}
			data.Order.Lines = append(data.Order.Lines, line)
		}
	}
	return writeHTML(w, t, data)
}
