package basket

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/promotion"
)

// JSON is a basket in the wire shape of types/commerce/basket.ts, plus
// what a storefront needs to show lines that cannot be bought as they are
// (is_available, unavailable_reason, price_changed, added_price) and why
// the voucher gives nothing (voucher_message).
type JSON struct {
	PK                  int64               `json:"pk"`
	Segment             segmentJSON         `json:"segment"`
	BasketItems         []ItemJSON          `json:"basketitem_set"`
	Unavailable         []UnavailableJSON   `json:"unavailable_basket_products"`
	UpsellDetails       []UpsellJSON        `json:"upsell_details"`
	UpsellMessages      []string            `json:"upsell_messages"`
	VoucherCode         *string             `json:"voucher_code"`
	VoucherMessage      *string             `json:"voucher_message"`
	Discounts           []promotion.Applied `json:"discounts"`
	TotalProductAmount  money.Amount        `json:"total_product_amount"`
	TotalDiscountAmount money.Amount        `json:"total_discount_amount"`
	TotalAmount         money.Amount        `json:"total_amount"`
	TotalQuantity       int64               `json:"total_quantity"`
	CurrencyType        string              `json:"currency_type"`
	CreatedDate         time.Time           `json:"created_date"`
	ModifiedDate        time.Time           `json:"modified_date"`
}

type segmentJSON struct {
	PK        int64 `json:"pk"`
	PriceList int64 `json:"price_list"`
	StockList int64 `json:"stock_list"`
}

// ItemJSON is one basketitem_set entry.
type ItemJSON struct {
	ID                int64               `json:"id"`
	Product           any                 `json:"product"`
	Quantity          int64               `json:"quantity"`
	Attributes        any                 `json:"attributes"`
	AttributesKwargs  map[string]any      `json:"attributes_kwargs"`
	Price             money.Amount        `json:"price"`
	RetailPrice       money.Amount        `json:"retail_price"`
	UnitPrice         money.Amount        `json:"unit_price"`
	DiscountAmount    money.Amount        `json:"discount_amount"`
	TotalAmount       money.Amount        `json:"total_amount"`
	ShippingDiscount  money.Amount        `json:"shipping_discount"`
	OfferBadges       []promotion.Applied `json:"offer_badges"`
	Parent            any                 `json:"parent"`
	Stock             int64               `json:"stock"`
	CurrencyType      string              `json:"currency_type"`
	CurrencyTypeLabel string              `json:"currency_type_label"`
	Image             *string             `json:"image"`
	TaxRate           string              `json:"tax_rate"`
	IsAvailable       bool                `json:"is_available"`
	UnavailableReason *string             `json:"unavailable_reason"`
	PriceChanged      bool                `json:"price_changed"`
	AddedPrice        *money.Amount       `json:"added_price"`
}

// UnavailableJSON names a line that cannot be bought as it is, and why.
type UnavailableJSON struct {
	ID       int64  `json:"id"`
	Product  int64  `json:"product"`
	Quantity int64  `json:"quantity"`
	Stock    int64  `json:"stock"`
	Reason   string `json:"reason"`
	Message  string `json:"message"`
}

// UpsellJSON is an upsell_details entry (types/commerce/misc.ts).
type UpsellJSON struct {
	Message string           `json:"message"`
	Params  upsellParamsJSON `json:"params"`
}

// The client types these as numbers; money goes out as an exact decimal
// literal (750.00), never through a float.
type upsellParamsJSON struct {
	PartialPercentage int64     `json:"partial_percentage"`
	Required          upsellNum `json:"required"`
	Partial           upsellNum `json:"partial"`
	Remaining         upsellNum `json:"remaining"`
}

type upsellNum struct {
	amount money.Amount
	units  bool
}

func (n upsellNum) MarshalJSON() ([]byte, error) {
	if n.units {
		return strconv.AppendInt(nil, int64(n.amount), 10), nil
	}
	return []byte(n.amount.String()), nil
}

// Wire renders b with texts in lang, each line's product as the product
// card of model m with the offers running.
func (b *Basket) Wire(m *catalog.Model, offers catalog.Offers, lang string) JSON {
	cur := strings.ToLower(b.Currency)
	out := JSON{
		PK: b.ID, BasketItems: make([]ItemJSON, 0, len(b.Lines)), Unavailable: []UnavailableJSON{},
		UpsellDetails: []UpsellJSON{}, UpsellMessages: []string{}, Discounts: translated(b.Pricing.Discounts, lang),
		TotalProductAmount: b.Pricing.ProductAmount, TotalDiscountAmount: b.Pricing.DiscountAmount,
		TotalAmount: b.Pricing.Total, TotalQuantity: b.TotalQuantity, CurrencyType: cur,
		CreatedDate: b.Created, ModifiedDate: b.Modified,
	}
	if b.VoucherCode != "" {
		out.VoucherCode = &b.VoucherCode
		if b.VoucherProblem != nil {
			msg := problemMessage(b.VoucherProblem)
			out.VoucherMessage = &msg
		}
	}
	for _, u := range b.Pricing.Upsells {
		out.UpsellDetails = append(out.UpsellDetails, UpsellJSON{Message: u.Message, Params: upsellParamsJSON{
			PartialPercentage: u.PartialPercentage,
			Required:          upsellNum{u.Required, u.Units}, Partial: upsellNum{u.Partial, u.Units}, Remaining: upsellNum{u.Remaining, u.Units},
		}})
		out.UpsellMessages = append(out.UpsellMessages, u.Message)
	}
	for i := range b.Lines {
		l := &b.Lines[i]
		var product any = map[string]any{"pk": l.ProductID, "stock": l.Stock}
		var image *string
		// A product imported a moment ago may not be in this node's model yet.
		if p, ok := m.Product(l.ProductID); ok {
			card := p.Wire(b.Currency, lang, l.Stock, offers)
			product, image = card, card.Image
		}
		item := ItemJSON{
			ID: l.ID, Product: product, Quantity: l.Quantity, Attributes: l.Attributes, AttributesKwargs: map[string]any{},
			Price: l.UnitPrice, RetailPrice: l.RetailPrice, UnitPrice: l.UnitPrice, DiscountAmount: l.Discount,
			TotalAmount: l.Total, OfferBadges: translated(l.Badges, lang), Stock: l.Stock, CurrencyType: cur,
			CurrencyTypeLabel: b.Currency, Image: image, TaxRate: l.TaxRate, IsAvailable: l.Available(), PriceChanged: l.PriceChanged,
		}
		if l.PriceChanged {
			item.AddedPrice = &l.AddedPrice
		}
		if !l.Available() {
			// Shown at what it would cost, but not counted in the totals.
			item.TotalAmount = l.UnitPrice * money.Amount(l.Quantity)
			item.UnavailableReason = &l.Problem
			out.Unavailable = append(out.Unavailable, UnavailableJSON{
				ID: l.ID, Product: l.ProductID, Quantity: l.Quantity, Stock: l.Stock, Reason: l.Problem, Message: l.problemText(b.Currency),
			})
		}
		out.BasketItems = append(out.BasketItems, item)
	}
	return out
}

// translated picks each discount's text in lang; never nil, so the wire
// shows [] rather than null.
func translated(list []promotion.Applied, lang string) []promotion.Applied {
	out := make([]promotion.Applied, len(list))
	for i, a := range list {
		out[i] = a.In(lang)
	}
	return out
}

func (l *Line) problemText(currency string) string {
	switch l.Problem {
	case Inactive:
		return "This product is no longer available."
	case Unpriced:
		return "This product cannot be bought in " + currency + "."
	case OutOfStock:
		return "This product is out of stock."
	case InsufficientStock:
		return "Only " + strconv.FormatInt(l.Stock, 10) + " left in stock."
	}
	return ""
}

// problemMessage is the text of a voucher problem (a 400 on voucher_code).
func problemMessage(err error) string {
	var f apperror.Fields
	if errors.As(err, &f) && len(f["voucher_code"]) > 0 {
		return f["voucher_code"][0]
	}
	return err.Error()
}
