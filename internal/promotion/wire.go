package promotion

import (
	"strconv"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/money"
)

// The account's "my offers" pages (data/client/account.ts) show the
// store's automatic offers and the discounts the customer's orders got.

type labelled struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

type conditionJSON struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// OfferJSON is an offer or a used discount as the account pages show them.
type OfferJSON struct {
	Label         string         `json:"label"`
	Amount        *money.Amount  `json:"amount"`
	Percentage    *string        `json:"percentage"`
	StartDatetime *time.Time     `json:"start_datetime"`
	EndDatetime   *time.Time     `json:"end_datetime"`
	Currency      labelled       `json:"currency"`
	VoucherCode   *string        `json:"voucher_code"`
	OfferType     labelled       `json:"offer_type"`
	Condition     *conditionJSON `json:"condition"`
	BenefitType   *labelled      `json:"benefit_type"`
	// Used discounts only.
	CreatedDate *time.Time `json:"created_date,omitempty"`
	OrderNumber string     `json:"order_number,omitempty"`
}

func currencyJSON(code string) labelled {
	return labelled{Value: strings.ToLower(code), Label: strings.ToUpper(code)}
}

var basketOffer = labelled{"basket_offer", "Basket offer"}

// Wire renders o as shown to a shopper of language and currency.
func (o Offer) Wire(language, currency string) OfferJSON {
	out := OfferJSON{Label: o.LabelIn(language, currency), StartDatetime: o.Starts, EndDatetime: o.Ends,
		Currency: currencyJSON(currency), OfferType: basketOffer}
	switch o.Kind {
	case Percent:
		// Basis points print as a percentage with two decimals, as money does.
		p := money.Amount(o.Value).String()
		out.Percentage = &p
		out.BenefitType = &labelled{"percentage", "Percentage"}
	case BuyXPayY:
		buy, pay := strconv.FormatInt(o.Buy, 10), strconv.FormatInt(o.Pay, 10)
		out.Condition = &conditionJSON{Type: "Quantity", Value: buy}
		out.BenefitType = &labelled{"buy_x_pay_y", "Buy " + buy + " pay " + pay}
	case FreeShipping:
		threshold := o.MinBasket[currency]
		out.Condition = &conditionJSON{Type: "Amount", Value: threshold.String()}
		out.BenefitType = &labelled{"shipping_free", "Shipping Free"}
	}
	return out
}

// UsedDiscount is a discount one of a customer's orders got.
type UsedDiscount struct {
	Label       string
	Amount      money.Amount
	Currency    string
	VoucherCode string // the order's voucher, whether or not this discount is its
	OrderNumber string
	Created     time.Time
}

// Wire renders d; it names the voucher when the discount is the voucher's.
func (d UsedDiscount) Wire() OfferJSON {
	out := OfferJSON{Label: d.Label, Amount: &d.Amount, Currency: currencyJSON(d.Currency), OfferType: basketOffer,
		CreatedDate: &d.Created, OrderNumber: d.OrderNumber}
	if d.VoucherCode != "" && d.Label == (Voucher{Code: d.VoucherCode}).Description() {
		out.VoucherCode, out.OfferType = &d.VoucherCode, labelled{"voucher", "Voucher"}
	}
	return out
}
