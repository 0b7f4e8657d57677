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

func registerOrders(s *Server) {
	s.handle("GET /orders/completed/{token}", s.completedOrder)
	s.handle("GET /users/orders", s.listOrders)
	s.handle("GET /users/orders/{id}", s.customerOrder)
	s.handle("POST /orders/{id}/cancel", s.cancelOrder)
	s.handle("POST /users/orders/bulk_cancellation_requests", s.bulkCancel)
	s.handle("GET /users/orders/cancellation_reasons", s.cancellationReasons)
	s.handle("POST /users/orders/anonymous", s.anonymousOrder)
	s.handle("GET /orders/contract", s.contract)
}

type labelled struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

type orderItemJSON struct {
	ID                  int64           `json:"id"`
	Status              labelled        `json:"status"`
	PriceCurrency       labelled        `json:"price_currency"`
	Product             any             `json:"product"`
	IsCancelled         bool            `json:"is_cancelled"`
	IsCancellable       bool            `json:"is_cancellable"`
	IsRefundable        bool            `json:"is_refundable"`
	IsTradable          bool            `json:"is_tradable"`
	EasyReturnCompanies []any           `json:"available_easy_return_shipping_companies"`
	ActiveCancellation  []any           `json:"active_cancellation_request"`
	CreatedDate         time.Time       `json:"created_date"`
	ModifiedDate        time.Time       `json:"modified_date"`
	Price               money.Amount    `json:"price"`
	TaxRate             string          `json:"tax_rate"`
	RetailPrice         money.Amount    `json:"retail_price"`
	Order               int64           `json:"order"`
	Quantity            string          `json:"quantity"`
	UnitPrice           money.Amount    `json:"unit_price"`
	DiscountAmount      money.Amount    `json:"discount_amount"`
	TotalAmount         money.Amount    `json:"total_amount"`
	Attributes          json.RawMessage `json:"attributes"`
	// The parcel the line left in (the merchant's shipment, issue 14).
	ShippingCompany *string `json:"shipping_company"`
	TrackingNumber  *string `json:"tracking_number"`
	TrackingURL     *string `json:"tracking_url"`
}

type statusChangeJSON struct {
	Status      labelled  `json:"status"`
	Note        string    `json:"note"`
	CreatedDate time.Time `json:"created_date"`
}

// orderJSON is the Order shape of types/commerce/order.ts.
type orderJSON struct {
	ID                        int64              `json:"id"`
	Number                    string             `json:"number"`
	Status                    labelled           `json:"status"`
	Currency                  labelled           `json:"currency"`
	OrderItems                []orderItemJSON    `json:"orderitem_set"`
	DiscountItems             []map[string]any   `json:"discountitem_set"`
	IsCancelled               bool               `json:"is_cancelled"`
	IsCancellable             bool               `json:"is_cancellable"`
	IsRefundable              bool               `json:"is_refundable"`
	ShippingAddress           json.RawMessage    `json:"shipping_address"`
	BillingAddress            json.RawMessage    `json:"billing_address"`
	ClientType                string             `json:"client_type"`
	PaymentOption             json.RawMessage    `json:"payment_option"`
	PaymentChoice             string             `json:"payment_choice"`
	BankAccount               json.RawMessage    `json:"bank_account"`
	AmountWithoutDiscount     money.Amount       `json:"amount_without_discount"`
	IsPayable                 bool               `json:"is_payable"`
	CreatedDate               time.Time          `json:"created_date"`
	ModifiedDate              time.Time          `json:"modified_date"`
	Amount                    money.Amount       `json:"amount"`
	DiscountAmount            money.Amount       `json:"discount_amount"`
	ShippingAmount            money.Amount       `json:"shipping_amount"`
	PayOnDeliveryFee          money.Amount       `json:"pay_on_delivery_fee"`
	RefundAmount              money.Amount       `json:"refund_amount"`
	DiscountRefundAmount      money.Amount       `json:"discount_refund_amount"`
	ShippingRefundAmount      money.Amount       `json:"shipping_refund_amount"`
	RemoteAddr                string             `json:"remote_addr"`
	HasGiftBox                bool               `json:"has_gift_box"`
	LanguageCode              string             `json:"language_code"`
	UserEmail                 string             `json:"user_email"`
	ShippingOptionSlug        string             `json:"shipping_option_slug"`
	PaymentOptionSlug         string             `json:"payment_option_slug"`
	DeliveryOptionSlug        string             `json:"delivery_option_slug"`
	InstallmentCount          int                `json:"installment_count"`
	InstallmentInterestAmount money.Amount       `json:"installment_interest_amount"`
	User                      *int64             `json:"user"`
	Basket                    *int64             `json:"basket"`
	ShippingOption            *int64             `json:"shipping_option"`
	TrackingNumber            string             `json:"tracking_number"`
	TrackingURL               string             `json:"tracking_url"`
	Notes                     string             `json:"notes"`
	CardBrand                 string             `json:"card_brand"`
	CardLastFour              string             `json:"card_last_four"`
	StatusHistory             []statusChangeJSON `json:"status_history"`
}

func optionalID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// orderWire renders o with the catalog's product cards.
func (s *Server) orderWire(r *http.Request, model *catalog.Model, o *order.Order) orderJSON {
	lang := s.language(r)
	status := labelled{o.Status, order.Label(o.Status)}
	currency := labelled{strings.ToLower(o.Currency), o.Currency}
	var payment struct {
		Slug string `json:"slug"`
	}
	_ = json.Unmarshal(o.PaymentOption, &payment)
	j := orderJSON{ID: o.ID, Number: o.Number, Status: status, Currency: currency, OrderItems: []orderItemJSON{},
		DiscountItems: []map[string]any{}, IsCancelled: o.Status == order.Cancelled, IsCancellable: o.Cancellable(),
		IsRefundable: o.Cancellable() && o.GatewayRef != "", ShippingAddress: o.ShippingAddress, BillingAddress: o.BillingAddress,
		ClientType: "default", PaymentOption: o.PaymentOption, PaymentChoice: o.PaymentChoice, BankAccount: o.BankAccount,
		AmountWithoutDiscount: o.ProductAmount, IsPayable: o.Status == order.WaitingPayment, CreatedDate: o.Created,
		ModifiedDate: o.Updated, Amount: o.Amount, DiscountAmount: o.DiscountAmount, ShippingAmount: o.ShippingAmount,
		PayOnDeliveryFee: o.FeeAmount, RefundAmount: o.RefundAmount, RemoteAddr: o.RemoteAddr, LanguageCode: o.Language,
		UserEmail: o.Email, ShippingOptionSlug: o.ShippingOptionSlug, PaymentOptionSlug: payment.Slug,
		DeliveryOptionSlug: o.DeliveryOption, InstallmentCount: o.Installments, InstallmentInterestAmount: o.InterestAmount,
		User: optionalID(o.CustomerID), Basket: optionalID(o.BasketID), ShippingOption: optionalID(o.ShippingOptionID),
		TrackingNumber: o.TrackingNumber, TrackingURL: o.TrackingURL, Notes: o.Notes, CardBrand: o.CardBrand,
		CardLastFour: o.CardLastFour, StatusHistory: []statusChangeJSON{}}
	var discounts []map[string]any
	_ = json.Unmarshal(o.Discounts, &discounts)
	for i, d := range discounts {
		j.DiscountItems = append(j.DiscountItems, map[string]any{"pk": i + 1, "name": d["name"], "amount": d["amount"],
			"cancel_amount": "0.00", "code": nil, "offer_type": "basket", "order": o.ID, "promotion": nil,
			"session_offer_type": nil, "created_date": o.Created, "modified_date": o.Updated})
	}
	offers := model.OffersAt(time.Now())
	for _, it := range o.Items {
		var product any = map[string]any{"pk": it.ProductID}
		if p, ok := model.Product(it.ProductID); ok {
			product = p.Wire(o.Currency, lang, 0, offers)
		}
		itemStatus := labelled{it.Status, order.Label(it.Status)}
		item := orderItemJSON{ID: it.ID, Status: itemStatus, PriceCurrency: currency,
			Product: product, IsCancelled: it.Status == order.Cancelled, IsCancellable: o.Cancellable() && it.Status != order.Cancelled && it.ShipmentID == 0,
			IsRefundable: j.IsRefundable && it.Status != order.Cancelled, EasyReturnCompanies: []any{}, ActiveCancellation: []any{},
			CreatedDate: it.Created, ModifiedDate: it.Updated, Price: it.Total, TaxRate: it.TaxRate, RetailPrice: it.RetailPrice,
			Order: o.ID, Quantity: strconv.FormatInt(it.Quantity, 10), UnitPrice: it.UnitPrice, DiscountAmount: it.Discount,
			TotalAmount: it.Total, Attributes: it.Attributes}
		if it.ShipmentID != 0 {
			item.ShippingCompany, item.TrackingNumber, item.TrackingURL = &it.Carrier, &it.TrackingNumber, &it.TrackingURL
		}
		j.OrderItems = append(j.OrderItems, item)
	}
	for _, h := range o.History {
		j.StatusHistory = append(j.StatusHistory, statusChangeJSON{Status: labelled{h.Status, order.Label(h.Status)}, Note: h.Note, CreatedDate: h.At})
	}
	return j
}

func (s *Server) writeOrder(w http.ResponseWriter, r *http.Request, o *order.Order, wrap bool) {
	model, err := s.catalog.Current(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	if wrap {
		writeJSON(w, http.StatusOK, map[string]any{"order": s.orderWire(r, model, o)})
		return
	}
	writeJSON(w, http.StatusOK, s.orderWire(r, model, o))
}

// completedOrder is the thank-you page's order; the token is the proof.
func (s *Server) completedOrder(w http.ResponseWriter, r *http.Request) {
	o, err := order.ByToken(r.Context(), s.db, r.PathValue("token"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.writeOrder(w, r, o, true)
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

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	sess, err := s.customer(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	from, err1 := dateParam(r, "created_date__gte", false)
	to, err2 := dateParam(r, "created_date__lte", true)
	if err := errors.Join(err1, err2); err != nil {
		writeError(w, r, apperror.Merge(err1, err2))
		return
	}
	q := r.URL.Query()
	limit := min(positiveParam(strings.TrimSpace(q.Get("limit")), 10), 100)
	page := pageParam(q.Get("page"))
	list, count, err := order.List(r.Context(), s.db, sess.CustomerID, order.Filter{From: from, To: to, Limit: limit, Offset: (page - 1) * limit})
	if err != nil {
		writeError(w, r, err)
		return
	}
	model, err := s.catalog.Current(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	results := make([]orderJSON, len(list))
	for i, o := range list {
		results[i] = s.orderWire(r, model, o)
	}
	body := map[string]any{"count": count, "results": results, "next": nil, "previous": nil}
	if page*limit < count {
		body["next"] = pageURL(r, page+1)
	}
	if page > 1 {
		body["previous"] = pageURL(r, page-1)
	}
	writeJSON(w, http.StatusOK, body)
}

func pageURL(r *http.Request, page int) string {
	q := r.URL.Query()
	q.Set("page", strconv.Itoa(page))
	return r.URL.Path + "/?" + q.Encode()
}

func (s *Server) customerOrder(w http.ResponseWriter, r *http.Request) {
	sess, err := s.customer(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	id, ok := pathPK(w, r, "id")
	if !ok {
		return
	}
	o, err := order.OfCustomer(r.Context(), s.db, sess.CustomerID, id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.writeOrder(w, r, o, false)
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
	if err := s.shop.refunder.Send(context.WithoutCancel(r.Context()), done.Refunds); err != nil {
		// A database failure: the refunds stay pending and are retried
		// once their lease runs out, under the same idempotency keys.
		slog.Error("refund attempt not recorded", "err", err)
	}
}

func (s *Server) cancelOrder(w http.ResponseWriter, r *http.Request) {
	sess, err := s.customer(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	id, ok := pathPK(w, r, "id")
	if !ok {
		return
	}
	in, err := s.input(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	lines, err := cancelLines(in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	done, err := order.Cancel(r.Context(), s.db, sess.CustomerID, []order.Cancellation{{OrderID: id, Lines: lines}}, s.shop.restocked)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.afterCancel(r, done)
	o, err := order.OfCustomer(r.Context(), s.db, sess.CustomerID, id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.writeOrder(w, r, o, false)
}

// bulkCancel cancels items of several orders: each item is found in the
// customer's orders and the items are cancelled order by order.
func (s *Server) bulkCancel(w http.ResponseWriter, r *http.Request) {
	sess, err := s.customer(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	in, err := s.input(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	lines, err := cancelLines(in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if len(lines) == 0 {
		writeError(w, r, apperror.Field("cancel_order_items", "This list may not be empty."))
		return
	}
	// All of the request's cancellations go in one transaction: an item
	// that cannot be cancelled leaves every order as it was.
	var requests []order.Cancellation
	var orderIDs []int64
	at := map[int64]int{}
	for _, l := range lines {
		id, err := order.ItemOrder(r.Context(), s.db, sess.CustomerID, l.ItemID)
		if err != nil {
			writeError(w, r, err)
			return
		}
		i, ok := at[id]
		if !ok {
			i, at[id] = len(requests), len(requests)
			requests = append(requests, order.Cancellation{OrderID: id})
			orderIDs = append(orderIDs, id)
		}
		requests[i].Lines = append(requests[i].Lines, l)
	}
	done, err := order.Cancel(r.Context(), s.db, sess.CustomerID, requests, s.shop.restocked)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.afterCancel(r, done)
	writeJSON(w, http.StatusOK, map[string]any{"orders": orderIDs})
}

func (s *Server) cancellationReasons(w http.ResponseWriter, r *http.Request) {
	if _, err := s.customer(r); err != nil {
		writeError(w, r, err)
		return
	}
	list, err := checkout.CancellationReasons(r.Context(), s.db)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, paginate(r, list, 1000))
}

var trackingLimit = ratelimit.Limit{Max: 20, Window: 10 * time.Minute}

// anonymousOrder lets a guest track an order by e-mail and number.
func (s *Server) anonymousOrder(w http.ResponseWriter, r *http.Request) {
	in, err := s.input(r)
	if err != nil {
		writeError(w, r, err)
		return
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
		writeError(w, r, errs)
		return
	}
	// Per e-mail address, so nobody guesses order numbers of someone else's.
	if err := ratelimit.Hit(r.Context(), s.db, "order-tracking:"+strings.ToLower(email), trackingLimit); err != nil {
		writeError(w, r, err)
		return
	}
	o, err := order.ByEmailAndNumber(r.Context(), s.db, email, number)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.writeOrder(w, r, o, false)
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
func (s *Server) contract(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.URL.Query().Get("contract_name"))
	t, ok := contracts[name]
	if !ok {
		writeError(w, r, apperror.ErrNotFound)
		return
	}
	store := "the store"
	_ = s.db.QueryRowContext(r.Context(), "SELECT name FROM store WHERE id = 1 AND name <> ''").Scan(&store)
	data := struct {
		Store string
		Order *contractOrder
	}{Store: store}
	sh, err := s.checkoutShopper(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	sum, err := s.shop.checkout.Summary(r.Context(), sh)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if sum != nil {
		model, err := s.catalog.Current(r.Context())
		if err != nil {
			writeError(w, r, err)
			return
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
	writeHTML(w, t, data)
}
