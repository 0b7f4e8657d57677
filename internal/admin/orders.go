package admin

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/order"
)

// orderJSON is an order in full, as the management API shows it.
type orderJSON struct {
	ID                 int64           `json:"id"`
	Number             string          `json:"number"`
	Status             string          `json:"status"`
	CustomerID         *int64          `json:"customer_id"`
	Email              string          `json:"email"`
	Phone              string          `json:"phone"`
	Currency           string          `json:"currency"`
	Language           string          `json:"language"`
	ProductAmount      money.Amount    `json:"product_amount"`
	DiscountAmount     money.Amount    `json:"discount_amount"`
	ShippingAmount     money.Amount    `json:"shipping_amount"`
	InterestAmount     money.Amount    `json:"interest_amount"`
	FeeAmount          money.Amount    `json:"fee_amount"`
	Amount             money.Amount    `json:"amount"`
	RefundAmount       money.Amount    `json:"refund_amount"`
	LoyaltyAmount      money.Amount    `json:"loyalty_amount"`   // paid by loyalty money, on top of amount
	LoyaltyReturned    money.Amount    `json:"loyalty_returned"` // of it, given back by cancellations
	Installments       int             `json:"installment_count"`
	PaymentOption      json.RawMessage `json:"payment_option"`
	PaymentChoice      string          `json:"payment_choice"`
	Gateway            string          `json:"gateway"`
	GatewayReference   string          `json:"gateway_reference"`
	ShippingOptionSlug string          `json:"shipping_option_slug"`
	DeliveryOptionSlug string          `json:"delivery_option_slug"`
	ShippingAddress    json.RawMessage `json:"shipping_address"`
	BillingAddress     json.RawMessage `json:"billing_address"`
	VoucherCode        string          `json:"voucher_code"`
	Notes              string          `json:"notes"`
	TrackingNumber     string          `json:"tracking_number"`
	TrackingURL        string          `json:"tracking_url"`
	Items              []itemJSON      `json:"items"`
	History            []historyJSON   `json:"status_history"`
	Created            time.Time       `json:"created_at"`
	Updated            time.Time       `json:"updated_at"`
}

type itemJSON struct {
	ID        int64         `json:"id"`
	ProductID int64         `json:"product_id"`
	SKU       string        `json:"sku"`
	Quantity  int64         `json:"quantity"`
	UnitPrice money.Amount  `json:"unit_price"`
	Discount  money.Amount  `json:"discount_amount"`
	Total     money.Amount  `json:"total_amount"`
	TaxRate   string        `json:"tax_rate"`
	Status    string        `json:"status"`
	Shipment  *shipmentJSON `json:"shipment"`
}

type shipmentJSON struct {
	ID             int64  `json:"id"`
	Carrier        string `json:"carrier"`
	TrackingNumber string `json:"tracking_number"`
	TrackingURL    string `json:"tracking_url"`
}

type historyJSON struct {
	Status string    `json:"status"`
	Note   string    `json:"note"`
	At     time.Time `json:"created_at"`
}

func orderWire(o *order.Order) orderJSON {
	j := orderJSON{ID: o.ID, Number: o.Number, Status: o.Status, Email: o.Email, Phone: o.Phone, Currency: o.Currency,
		Language: o.Language, ProductAmount: o.ProductAmount, DiscountAmount: o.DiscountAmount, ShippingAmount: o.ShippingAmount,
		InterestAmount: o.InterestAmount, FeeAmount: o.FeeAmount, Amount: o.Amount, RefundAmount: o.RefundAmount,
		LoyaltyAmount: o.LoyaltyAmount, LoyaltyReturned: o.LoyaltyReturned,
		Installments: o.Installments, PaymentOption: o.PaymentOption, PaymentChoice: o.PaymentChoice, Gateway: o.Gateway,
		GatewayReference: o.GatewayRef, ShippingOptionSlug: o.ShippingOptionSlug, DeliveryOptionSlug: o.DeliveryOption,
		ShippingAddress: o.ShippingAddress, BillingAddress: o.BillingAddress, VoucherCode: o.VoucherCode, Notes: o.Notes,
		TrackingNumber: o.TrackingNumber, TrackingURL: o.TrackingURL, Items: []itemJSON{}, History: []historyJSON{},
		Created: o.Created, Updated: o.Updated}
	if o.CustomerID != 0 {
		j.CustomerID = &o.CustomerID
	}
	for _, it := range o.Items {
		item := itemJSON{ID: it.ID, ProductID: it.ProductID, SKU: it.SKU, Quantity: it.Quantity, UnitPrice: it.UnitPrice,
			Discount: it.Discount, Total: it.Total, TaxRate: it.TaxRate, Status: it.Status}
		if it.ShipmentID != 0 {
			item.Shipment = &shipmentJSON{ID: it.ShipmentID, Carrier: it.Carrier, TrackingNumber: it.TrackingNumber, TrackingURL: it.TrackingURL}
		}
		j.Items = append(j.Items, item)
	}
	for _, h := range o.History {
		j.History = append(j.History, historyJSON{Status: h.Status, Note: h.Note, At: h.At})
	}
	return j
}

// feedJSON is a page of the order feed. Next is the cursor to ask with
// next time: a poller keeps it and asks again, getting only what changed
// since.
type feedJSON struct {
	Results []orderJSON `json:"results"`
	Next    string      `json:"next"`
	HasMore bool        `json:"has_more"`
}

// encodeCursor makes a cursor opaque: the time in Unix nanoseconds and the id.
func encodeCursor(c order.Cursor) string {
	if c.ID == 0 {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.At.UnixNano(), 10) + "." + strconv.FormatInt(c.ID, 10)))
}

func decodeCursor(s string) (order.Cursor, error) {
	if s == "" {
		return order.Cursor{}, nil
	}
	bad := apperror.Field("cursor", "This cursor is not one the feed gave.")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return order.Cursor{}, bad
	}
	at, id, ok := strings.Cut(string(raw), ".")
	nanos, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || errors.Join(err1, err2) != nil || n <= 0 {
		return order.Cursor{}, bad
	}
	return order.Cursor{At: time.Unix(0, nanos).UTC(), ID: n}, nil
}

// orderFeed is what an ERP polls: orders changed since ?cursor=, oldest
// change first.
func (s *Server) orderFeed(w http.ResponseWriter, r *http.Request) error {
	after, err := decodeCursor(r.URL.Query().Get("cursor"))
	n, err2 := limit(r, 100, 500)
	if err := apperror.Merge(err, err2); err != nil {
		return err
	}
	list, err := order.Changed(r.Context(), s.db, after, time.Now().Add(-s.FeedSettle), n+1)
	if err != nil {
		return err
	}
	page := feedJSON{Results: []orderJSON{}, HasMore: len(list) > n}
	last := after
	for i, o := range list {
		if i == n {
			break
		}
		page.Results = append(page.Results, orderWire(o))
		last = order.Cursor{At: o.Updated, ID: o.ID}
	}
	page.Next = encodeCursor(last)
	return writeJSON(w, http.StatusOK, page)
}

func (s *Server) oneOrder(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	o, err := order.Get(r.Context(), s.db, id)
	if err != nil {
		return err
	}
	if o.Status == order.Pending {
		return apperror.ErrNotFound // not placed: the bank has not answered
	}
	return writeJSON(w, http.StatusOK, orderWire(o))
}

// moved answers the order as a move left it.
func moved(w http.ResponseWriter, o *order.Order, err error) error {
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, orderWire(o))
}

func (s *Server) approve(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	o, err := s.lifecycle.Approve(r.Context(), id)
	return moved(w, o, err)
}

func (s *Server) prepare(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	o, err := s.lifecycle.Prepare(r.Context(), id)
	return moved(w, o, err)
}

func (s *Server) deliver(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	o, err := s.lifecycle.Deliver(r.Context(), id)
	return moved(w, o, err)
}

func (s *Server) ship(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		Carrier        string  `json:"carrier"`
		TrackingNumber string  `json:"tracking_number"`
		TrackingURL    string  `json:"tracking_url"`
		Lines          []int64 `json:"lines"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	o, err := s.lifecycle.Ship(r.Context(), id, order.Shipment{Carrier: in.Carrier, TrackingNumber: in.TrackingNumber,
		TrackingURL: in.TrackingURL, Lines: in.Lines})
	return moved(w, o, err)
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		Lines  []int64 `json:"lines"`
		Reason string  `json:"reason"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	o, err := s.lifecycle.Cancel(r.Context(), id, in.Lines, strings.TrimSpace(in.Reason))
	return moved(w, o, err)
}
