package api

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// cents reads a wire amount ("1299.90") as minor units.
func cents(t *testing.T, s string) int64 {
	t.Helper()
	whole, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) != 2 {
		t.Fatalf("amount %q is not a decimal with two fraction digits", s)
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	return n
}

var allPromotions = map[string]any{
	"vouchers": []any{
		map[string]any{"code": "TENPCT", "type": "percent", "value": "10.5", "categories": []string{"women"}},
		map[string]any{"code": "AMOUNT", "type": "amount", "value": "33.33", "currency": "TRY", "max_discount": "30.00"},
	},
	"offers": []any{
		map[string]any{"slug": "dresses-15", "label": "Elbiselerde %15 indirim", "kind": "percent", "value": "15", "categories": []string{"women"},
			"translations": map[string]any{"en-us": map[string]any{"label": "15% off dresses"}}},
		map[string]any{"slug": "3for2-tshirts", "label": "3 for 2 on t-shirts", "kind": "buy_x_pay_y", "buy": 3, "pay": 2, "categories": []string{"men-tshirts"}},
		map[string]any{"slug": "free-shipping", "kind": "free_shipping", "min_basket": map[string]any{"TRY": "750.00", "USD": "30.00"}},
	},
}

func TestBasketPercentOffer(t *testing.T) {
	bs := newBasketStore(t, allPromotions)
	sh := bs.shopper()
	// The offer is on "women"; the dress is in its subcategory.
	b := basketOf(t, sh.do("POST", "/baskets/basket/", map[string]any{"product": bs.ids["DRESS"], "quantity": 1}).must(t, 200))
	if b.DiscountTotal != "150.00" || b.Total != "850.00" || b.Discounts[0].Description != "Elbiselerde %15 indirim" ||
		b.Items[0].OfferBadges[0].Discount != "150.00" {
		t.Fatalf("percent offer: %+v", b)
	}
	// Descriptions follow the shopper's language.
	en := basketOf(t, sh.do("GET", "/baskets/basket/", nil, "Accept-Language", "en-US,en;q=0.9").must(t, 200))
	if en.Discounts[0].Description != "15% off dresses" || en.Items[0].OfferBadges[0].Description != "15% off dresses" {
		t.Fatalf("English descriptions: %+v", en)
	}
	b = basketOf(t, sh.do("POST", "/baskets/basket/", map[string]any{"product": bs.ids["LAST"], "quantity": 1}).must(t, 200))
	if b.DiscountTotal != "150.00" || b.Total != "950.00" || len(b.Items[1].OfferBadges) != 0 {
		t.Fatalf("percent offer on another category: %+v", b)
	}
}

// TestBasketTotalsProperty builds random baskets through the API, with
// every kind of promotion live, and checks that the answer adds up to the
// cent: total = Σ price × quantity of the available lines − Σ discounts,
// and = Σ line totals.
func TestBasketTotalsProperty(t *testing.T) {
	bs := newBasketStore(t, allPromotions)
	skus := []string{"DRESS", "DRESS2", "TEE-A", "TEE-B", "LAST"}
	rng := rand.New(rand.NewPCG(7, 11))
	discounted := 0
	for round := range 25 {
		sh := bs.shopper()
		currency := []string{"try", "usd"}[rng.IntN(2)]
		for range 1 + rng.IntN(6) {
			sku := skus[rng.IntN(len(skus))]
			// Refusals (stock, no USD price) are part of the game.
			sh.do("POST", "/baskets/basket/", map[string]any{"product": bs.ids[sku], "quantity": 1 + rng.IntN(4)}, "X-Currency", currency)
		}
		if rng.IntN(2) == 0 {
			sh.do("PATCH", "/baskets/basket/", map[string]any{"voucher_code": []string{"TENPCT", "AMOUNT"}[rng.IntN(2)]}, "X-Currency", currency)
		}
		b := basketOf(t, sh.do("GET", "/baskets/basket/", nil, "X-Currency", currency).must(t, 200))
		var products, lineTotals, discounts, lineDiscounts int64
		var quantity int64
		for _, it := range b.Items {
			if !it.IsAvailable {
				continue
			}
			products += cents(t, it.Price) * it.Quantity
			lineTotals += cents(t, it.Total)
			lineDiscounts += cents(t, it.Discount)
			quantity += it.Quantity
		}
		for _, d := range b.Discounts {
			discounts += cents(t, d.Discount)
		}
		total := cents(t, b.Total)
		if cents(t, b.ProductAmount) != products || total != products-discounts || total != lineTotals ||
			cents(t, b.DiscountTotal) != discounts || discounts != lineDiscounts || b.Quantity != quantity {
			t.Fatalf("round %d (%s): basket does not add up: %+v", round, currency, b)
		}
		if discounts > 0 {
			discounted++
		}
	}
	if discounted < 5 {
		t.Fatalf("only %d of 25 random baskets had a discount; the test proves little", discounted)
	}
}
