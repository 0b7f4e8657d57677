package api

import (
	"fmt"
	"testing"
)

// A product page's installment table: per card family, the card payment
// option's installments for the product's price in the shopper's
// currency, priced as the checkout prices them (3 at 4.5 %).
func TestProductInstallments(t *testing.T) {
	cs := newCheckoutStore(t)
	sh := cs.shopper()
	type option struct {
		PK      int    `json:"pk"`
		Count   int    `json:"installment_count"`
		Label   string `json:"label"`
		Price   string `json:"price_with_accrued_interest"`
		Monthly string `json:"monthly_price_with_accrued_interest"`
	}
	type table struct {
		CardType     struct{ Name, Slug, Logo string } `json:"card_type"`
		Installments []option                          `json:"installments"`
	}
	cases := []struct {
		name, path, currency string
		status               int
		want                 []option // of every family
	}{
		{"in the store currency", "/payments/cards/product/" + fmt.Sprint(cs.ids["TEE-B"]) + "/", "", 200, []option{
			{1, 1, "Single payment", "200.00", "200.00"}, {3, 3, "3 installments", "209.00", "69.66"}}},
		{"in another currency", "/payments/cards/product/" + fmt.Sprint(cs.ids["TEE-B"]) + "/", "usd", 200, []option{
			{1, 1, "Single payment", "8.00", "8.00"}, {3, 3, "3 installments", "8.36", "2.78"}}},
		{"not priced in the currency", "/payments/cards/product/" + fmt.Sprint(cs.ids["DRESS2"]) + "/", "USD", 200, nil},
		{"an unknown product", "/payments/cards/product/999999/", "", 404, nil},
		{"not a pk", "/payments/cards/product/tee-b/", "", 404, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := sh.do("GET", c.path, nil, "x-currency", c.currency).must(t, c.status)
			if c.status != 200 {
				return
			}
			var got []table
			r.decode(t, &got)
			if c.want == nil {
				if len(got) != 0 {
					t.Fatalf("tables %s, want none", r.body)
				}
				return
			}
			families := map[string]bool{}
			for _, tb := range got {
				families[tb.CardType.Slug] = true
				if fmt.Sprint(tb.Installments) != fmt.Sprint(c.want) || tb.CardType.Name != tb.CardType.Slug {
					t.Fatalf("%s: %+v, want %+v", tb.CardType.Slug, tb, c.want)
				}
			}
			if len(got) != 4 || !families["visa"] || !families["mastercard"] || !families["amex"] || !families["troy"] {
				t.Fatalf("card families: %s", r.body)
			}
		})
	}
}
