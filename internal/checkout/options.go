package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/vitrin/vitrin/internal/payment"
	"slices"
	"strings"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/money"
)

// The store's checkout settings, imported (storeimport/checkout.go).

type DeliveryOption struct {
	PK        int64  `json:"pk"`
	Slug      string `json:"slug"`
	Name      string `json:"name"`
	Type      string `json:"delivery_option_type"`
	SortOrder int    `json:"sort_order"`
}

type ShippingOption struct {
	PK          int64
	Slug        string
	Name        string
	Description string
	Countries   []string
	Prices      map[string]int64 // currency → minor units
	FreeAbove   map[string]int64
}

// Offers reports whether the option ships to country (a lower-case code)
// in currency.
func (o *ShippingOption) Offers(country, currency string) bool {
	_, priced := o.Prices[currency]
	return priced && slices.Contains(o.Countries, strings.ToLower(country))
}

// Price is the shipping amount for a basket worth productsAfterDiscount.
func (o *ShippingOption) Price(currency string, productsAfterDiscount money.Amount) money.Amount {
	if free, ok := o.FreeAbove[currency]; ok && productsAfterDiscount >= money.Amount(free) {
		return 0
	}
	return money.Amount(o.Prices[currency])
}

type Installment struct {
	Count        int    `json:"count"`
	InterestRate string `json:"interest_rate"`
}

// basisPoints reads "4.5" as 450 hundredths of a percent.
func (i Installment) basisPoints() int64 {
	whole, frac, _ := strings.Cut(i.InterestRate, ".")
	frac = (frac + "00")[:2]
	var n int64
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// Interest is what paying amount in these installments costs on top.
func (i Installment) Interest(amount money.Amount) money.Amount {
	return amount.Percent(i.basisPoints())
}

type PaymentOption struct {
	PK           int64
	Slug         string
	Name         string
	Type         string
	Gateway      string
	Installments []Installment
	Fee          map[string]int64
}

// Wire is the PaymentOption shape of types/commerce/order.ts.
func (p *PaymentOption) Wire() map[string]any {
	return map[string]any{"pk": p.PK, "slug": p.Slug, "name": p.Name, "payment_type": p.Type, "payment_type_label": paymentTypeLabels[p.Type]}
}

// offers reports whether the checkout takes payments of this option from
// this shopper now: the import knows more types than the checkout does, a
// card or hosted option is offered only while its gateway is configured
// (and, for a hosted one, can show its own page), and loyalty money is a
// customer's.
func (s *Service) offers(p *PaymentOption, sh Shopper) bool {
	switch p.Type {
	case "funds_transfer", "pay_on_delivery":
		return true
	case "credit_card":
		return s.gateways[p.Gateway] != nil
	case "redirection":
		_, hosted := s.gateways[p.Gateway].(payment.Hosted)
		return hosted
	case "loyalty_money":
		return sh.Sess.IsCustomer()
	}
	return false
}

var paymentTypeLabels = map[string]string{"credit_card": "Credit Card", "funds_transfer": "Funds Transfer",
	"pay_on_delivery": "Pay on Delivery", "redirection": "Redirection", "loyalty_money": "Loyalty Money"}

type BankAccount struct {
	PK          int64
	IBAN        string
	Bank        string
	Holder      string
	Description string
	SortOrder   int
}

// Wire is the BankAccount shape of types/commerce/checkout.ts.
func (b *BankAccount) Wire() map[string]any {
	slug := strings.ToLower(strings.ReplaceAll(b.Bank, " ", "-"))
	return map[string]any{"pk": b.PK, "iban": b.IBAN, "holder_name": b.Holder, "description": b.Description,
		"sort_order": b.SortOrder, "bank": map[string]any{"pk": b.PK, "name": b.Bank, "slug": slug, "logo": ""}}
}

func deliveryOptions(ctx context.Context, q database.Querier) ([]DeliveryOption, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, slug, name, type, sort_order FROM delivery_options WHERE is_active ORDER BY sort_order, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []DeliveryOption{}
	for rows.Next() {
		var d DeliveryOption
		if err := rows.Scan(&d.PK, &d.Slug, &d.Name, &d.Type, &d.SortOrder); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func shippingOptions(ctx context.Context, q database.Querier) ([]ShippingOption, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, slug, name, description, countries, prices, free_above FROM shipping_options WHERE is_active ORDER BY sort_order, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ShippingOption{}
	for rows.Next() {
		var o ShippingOption
		var countries, prices, free string
		if err := rows.Scan(&o.PK, &o.Slug, &o.Name, &o.Description, &countries, &prices, &free); err != nil {
			return nil, err
		}
		if err := errors.Join(json.Unmarshal([]byte(countries), &o.Countries), json.Unmarshal([]byte(prices), &o.Prices),
			json.Unmarshal([]byte(free), &o.FreeAbove)); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func paymentOptions(ctx context.Context, q database.Querier) ([]PaymentOption, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, slug, name, type, gateway, installments, pay_on_delivery_fee FROM payment_options WHERE is_active ORDER BY sort_order, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []PaymentOption{}
	for rows.Next() {
		var p PaymentOption
		var inst, fee string
		if err := rows.Scan(&p.PK, &p.Slug, &p.Name, &p.Type, &p.Gateway, &inst, &fee); err != nil {
			return nil, err
		}
		if err := errors.Join(json.Unmarshal([]byte(inst), &p.Installments), json.Unmarshal([]byte(fee), &p.Fee)); err != nil {
			return nil, err
		}
		if len(p.Installments) == 0 {
			p.Installments = []Installment{{Count: 1, InterestRate: "0"}}
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func bankAccounts(ctx context.Context, q database.Querier) ([]BankAccount, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, iban, bank, holder_name, description, sort_order FROM bank_accounts WHERE is_active ORDER BY sort_order, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []BankAccount{}
	for rows.Next() {
		var b BankAccount
		if err := rows.Scan(&b.PK, &b.IBAN, &b.Bank, &b.Holder, &b.Description, &b.SortOrder); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// options is every checkout setting, read once per request.
type options struct {
	delivery []DeliveryOption
	shipping []ShippingOption
	payment  []PaymentOption
	banks    []BankAccount
}

func loadOptions(ctx context.Context, q database.Querier) (*options, error) {
	var o options
	var err error
	if o.delivery, err = deliveryOptions(ctx, q); err != nil {
		return nil, err
	}
	if o.shipping, err = shippingOptions(ctx, q); err != nil {
		return nil, err
	}
	if o.payment, err = paymentOptions(ctx, q); err != nil {
		return nil, err
	}
	o.banks, err = bankAccounts(ctx, q)
	return &o, err
}

func find[T any](list []T, match func(*T) bool) *T {
	for i := range list {
		if match(&list[i]) {
			return &list[i]
		}
	}
	return nil
}

// CancellationReason is one imported reason to cancel.
type CancellationReason struct {
	ID                     int64  `json:"id"`
	Subject                string `json:"subject"`
	CancellationType       string `json:"cancellation_type"`
	ExtraInformationNeeded bool   `json:"extra_information_needed"`
	Order                  int    `json:"order"`
	IsActive               bool   `json:"is_active"`
}

// CancellationReasons lists the active reasons.
func CancellationReasons(ctx context.Context, q database.Querier) ([]CancellationReason, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, subject, cancellation_type, extra_information_needed FROM cancellation_reasons WHERE is_active ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []CancellationReason{}
	for rows.Next() {
		r := CancellationReason{IsActive: true}
		if err := rows.Scan(&r.ID, &r.Subject, &r.CancellationType, &r.ExtraInformationNeeded); err != nil {
			return nil, err
		}
		r.Order = len(out) + 1
		out = append(out, r)
	}
	return out, rows.Err()
}
