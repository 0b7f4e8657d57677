package order

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/money"
)

// The order in the Akinon wire shape (types/commerce/order.ts): the order
// pages, the thank-you page and the order history answer it.

type labelled struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

type ItemJSON struct {
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
	// The parcel the line left in (the merchant's shipment).
	ShippingCompany *string `json:"shipping_company"`
	TrackingNumber  *string `json:"tracking_number"`
	TrackingURL     *string `json:"tracking_url"`
}

type StatusChangeJSON struct {
	Status      labelled  `json:"status"`
	Note        string    `json:"note"`
	CreatedDate time.Time `json:"created_date"`
}

// JSON is the Order shape of types/commerce/order.ts.
type JSON struct {
	ID                        int64              `json:"id"`
	Number                    string             `json:"number"`
	Status                    labelled           `json:"status"`
	Currency                  labelled           `json:"currency"`
	OrderItems                []ItemJSON         `json:"orderitem_set"`
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
	LoyaltyMoney              money.Amount       `json:"loyalty_money"` // paid by loyalty money, on top of amount
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
	StatusHistory             []StatusChangeJSON `json:"status_history"`
}

func optionalID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// Wire renders o with texts in lang, each line's product as the product
// card of model m with the offers running ({"pk": id} for a product the
// catalog no longer has).
func (o *Order) Wire(m *catalog.Model, offers catalog.Offers, lang string) JSON {
	status := labelled{o.Status, Label(o.Status)}
	currency := labelled{strings.ToLower(o.Currency), o.Currency}
	var option struct {
		Slug string `json:"slug"`
	}
	_ = json.Unmarshal(o.PaymentOption, &option)
	j := JSON{ID: o.ID, Number: o.Number, Status: status, Currency: currency, OrderItems: []ItemJSON{},
		DiscountItems: []map[string]any{}, IsCancelled: o.Status == Cancelled, IsCancellable: o.Cancellable(),
		IsRefundable: o.Cancellable() && o.GatewayRef != "", ShippingAddress: o.ShippingAddress, BillingAddress: o.BillingAddress,
		ClientType: "default", PaymentOption: o.PaymentOption, PaymentChoice: o.PaymentChoice, BankAccount: o.BankAccount,
		AmountWithoutDiscount: o.ProductAmount, IsPayable: o.Status == WaitingPayment, CreatedDate: o.Created,
		ModifiedDate: o.Updated, Amount: o.Amount, DiscountAmount: o.DiscountAmount, ShippingAmount: o.ShippingAmount,
		PayOnDeliveryFee: o.FeeAmount, RefundAmount: o.RefundAmount, LoyaltyMoney: o.LoyaltyAmount, RemoteAddr: o.RemoteAddr, LanguageCode: o.Language,
		UserEmail: o.Email, ShippingOptionSlug: o.ShippingOptionSlug, PaymentOptionSlug: option.Slug,
		DeliveryOptionSlug: o.DeliveryOption, InstallmentCount: o.Installments, InstallmentInterestAmount: o.InterestAmount,
		User: optionalID(o.CustomerID), Basket: optionalID(o.BasketID), ShippingOption: optionalID(o.ShippingOptionID),
		TrackingNumber: o.TrackingNumber, TrackingURL: o.TrackingURL, Notes: o.Notes, CardBrand: o.CardBrand,
		CardLastFour: o.CardLastFour, StatusHistory: []StatusChangeJSON{}}
	var discounts []map[string]any
	_ = json.Unmarshal(o.Discounts, &discounts)
	for i, d := range discounts {
		j.DiscountItems = append(j.DiscountItems, map[string]any{"pk": i + 1, "name": d["name"], "amount": d["amount"],
			"cancel_amount": "0.00", "code": nil, "offer_type": "basket", "order": o.ID, "promotion": nil,
			"session_offer_type": nil, "created_date": o.Created, "modified_date": o.Updated})
	}
	for _, it := range o.Items {
		var product any = map[string]any{"pk": it.ProductID}
		if p, ok := m.Product(it.ProductID); ok {
			product = p.Wire(o.Currency, lang, 0, offers)
		}
		itemStatus := labelled{it.Status, Label(it.Status)}
		item := ItemJSON{ID: it.ID, Status: itemStatus, PriceCurrency: currency,
			Product: product, IsCancelled: it.Status == Cancelled, IsCancellable: o.Cancellable() && it.Status != Cancelled && it.ShipmentID == 0,
			IsRefundable: j.IsRefundable && it.Status != Cancelled, EasyReturnCompanies: []any{}, ActiveCancellation: []any{},
			CreatedDate: it.Created, ModifiedDate: it.Updated, Price: it.Total, TaxRate: it.TaxRate, RetailPrice: it.RetailPrice,
			Order: o.ID, Quantity: strconv.FormatInt(it.Quantity, 10), UnitPrice: it.UnitPrice, DiscountAmount: it.Discount,
			TotalAmount: it.Total, Attributes: it.Attributes}
		if it.ShipmentID != 0 {
			item.ShippingCompany, item.TrackingNumber, item.TrackingURL = &it.Carrier, &it.TrackingNumber, &it.TrackingURL
		}
		j.OrderItems = append(j.OrderItems, item)
	}
	for _, h := range o.History {
		j.StatusHistory = append(j.StatusHistory, StatusChangeJSON{Status: labelled{h.Status, Label(h.Status)}, Note: h.Note, CreatedDate: h.At})
	}
	return j
}
