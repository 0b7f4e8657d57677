package checkout

import (
	"context"

	"github.com/vitrin/vitrin/internal/money"
)

// cardFamilies are the card networks a product page shows installment
// tables for, named as payment.Brand names them from a card's first digits.
var cardFamilies = []string{"visa", "mastercard", "amex", "troy"}

// InstallmentTable is one card family's installments for an amount: a
// CreditCardType and the InstallmentOption list of
// types/commerce/checkout.ts, as InstallmentSelectionPage shows them.
type InstallmentTable struct {
	CardType     map[string]any   `json:"card_type"`
	Installments []map[string]any `json:"installments"`
}

// ProductInstallments is the installment table of a product page: per card
// family, what a shopper paying price by card is offered at
// InstallmentSelectionPage, from the first card payment option (the one
// the checkout lists first). A store without card payments has none.
func (s *Service) ProductInstallments(ctx context.Context, price money.Amount) ([]InstallmentTable, error) {
	opts, err := s.options(ctx)
	if err != nil {
		return nil, err
	}
	out := []InstallmentTable{}
	card := find(opts.payment, func(o *PaymentOption) bool { return o.Type == "credit_card" })
	if card == nil {
		return out, nil
	}
	for _, family := range cardFamilies {
		out = append(out, InstallmentTable{CardType: cardType(family), Installments: installmentOptions(price, card.Installments)})
	}
	return out, nil
}

// cardType is a CreditCardType of types/commerce/checkout.ts.
func cardType(brand string) map[string]any {
	return map[string]any{"name": brand, "slug": brand, "logo": ""}
}

// installmentOptions are the InstallmentOptions of types/commerce/checkout.ts
// for paying total in each of installments.
func installmentOptions(total money.Amount, installments []Installment) []map[string]any {
	list := []map[string]any{}
	for _, i := range installments {
		list = append(list, installmentWire(i.Count, total+i.Interest(total)))
	}
	return list
}
