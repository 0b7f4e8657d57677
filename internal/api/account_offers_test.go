package api

import (
	"slices"
	"testing"
	"time"
)

// TestAccountOffersAndUsedDiscounts walks the account's "my offers" page
// as the client loads it: the offers running, to come and ended, and the
// discounts the customer's own orders got.
func TestAccountOffersAndUsedDiscounts(t *testing.T) {
	now := time.Now().UTC()
	day := 24 * time.Hour
	cs := newCheckoutStore(t)
	cs.importStore(map[string]any{"promotions": map[string]any{"offers": []any{
		map[string]any{"slug": "3for2-tshirts", "label": "3 for 2 on t-shirts", "kind": "buy_x_pay_y", "buy": 3, "pay": 2,
			"categories": []string{"men-tshirts"}, "ends": now.Add(7 * day).Format(time.RFC3339)},
		map[string]any{"slug": "free-shipping-750", "kind": "free_shipping", "min_basket": map[string]any{"TRY": "750.00"}},
		map[string]any{"slug": "later", "label": "Later", "kind": "percent", "value": "5", "starts": now.Add(day).Format(time.RFC3339)},
		map[string]any{"slug": "over", "label": "Over", "kind": "percent", "value": "12.5",
			"starts": now.Add(-2 * day).Format(time.RFC3339), "ends": now.Add(-day).Format(time.RFC3339)},
	}}})

	for _, path := range []string{"/account/basket-offers/", "/account/future-basket-offers/", "/account/expired-basket-offers/", "/account/discount-items/"} {
		cs.shopper().do("GET", path, nil).must(t, 401)
	}

	// A customer buys three t-shirts (one free) with a voucher.
	sh := cs.buyer(t, false, "offers@example.com", "TEE-A", 3)
	sh.do("PATCH", "/baskets/basket/", map[string]any{"voucher_code": "EACH10"}).must(t, 200)
	nextPage(t, step(sh, "PaymentOptionSelectionPage", "payment_option", cs.id("payment:transfer")).must(t, 200), "FundsTransferChoicePage")
	nextPage(t, step(sh, "FundsTransferChoicePage", "bank_account", cs.id("bank:TR330006100519786457841326")).must(t, 200), "FundsTransferPage")
	orderID, _ := placed(t, step(sh, "FundsTransferPage", "agreement", "1"))
	var number string
	if err := cs.db.QueryRow("SELECT number FROM orders WHERE id = $1", orderID).Scan(&number); err != nil {
		t.Fatal(err)
	}

	type offer struct {
		Label       string  `json:"label"`
		Amount      *string `json:"amount"`
		Percentage  *string `json:"percentage"`
		VoucherCode *string `json:"voucher_code"`
		OrderNumber string  `json:"order_number"`
		EndDatetime *string `json:"end_datetime"`
		Currency    struct {
			Value string `json:"value"`
		} `json:"currency"`
		Condition *struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"condition"`
		BenefitType *struct {
			Value string `json:"value"`
		} `json:"benefit_type"`
	}
	labels := func(offers []offer) []string {
		out := []string{}
		for _, o := range offers {
			out = append(out, o.Label)
		}
		return out
	}

	var running struct {
		Discounts    []offer `json:"discounts"`
		AllDiscounts []offer `json:"all_discounts"`
	}
	sh.do("GET", "/account/basket-offers/", nil).must(t, 200).decode(t, &running)
	if got := labels(running.Discounts); !slices.Equal(got, []string{"3 for 2 on t-shirts", "Free shipping over 750.00"}) ||
		len(running.AllDiscounts) != 2 {
		t.Fatalf("running offers: %q", got)
	}
	tees, shipping := running.Discounts[0], running.Discounts[1]
	if tees.BenefitType.Value != "buy_x_pay_y" || tees.Condition.Value != "3" || tees.EndDatetime == nil ||
		shipping.BenefitType.Value != "shipping_free" || shipping.Condition.Value != "750.00" || shipping.Currency.Value != "try" {
		t.Fatalf("running offers: %+v", running.Discounts)
	}
	sh.do("GET", "/account/basket-offers/", nil, "x-currency", "USD").must(t, 200).decode(t, &running)
	if got := labels(running.Discounts); !slices.Equal(got, []string{"3 for 2 on t-shirts"}) {
		t.Fatalf("running offers in USD (free shipping has no USD threshold): %q", got)
	}

	var page struct {
		Count   int     `json:"count"`
		Results []offer `json:"results"`
	}
	sh.do("GET", "/account/future-basket-offers/", nil).must(t, 200).decode(t, &page)
	if page.Count != 1 || page.Results[0].Label != "Later" || *page.Results[0].Percentage != "5.00" {
		t.Fatalf("future offers: %+v", page)
	}
	sh.do("GET", "/account/expired-basket-offers/", nil).must(t, 200).decode(t, &page)
	if page.Count != 1 || page.Results[0].Label != "Over" || *page.Results[0].Percentage != "12.50" {
		t.Fatalf("expired offers: %+v", page)
	}

	var used struct {
		Count     int     `json:"count"`
		Results   []offer `json:"results"`
		Discounts []offer `json:"discounts"`
	}
	sh.do("GET", "/account/discount-items/", nil).must(t, 200).decode(t, &used)
	if used.Count != 2 || len(used.Discounts) != 2 || !slices.Equal(labels(used.Results), []string{"3 for 2 on t-shirts", "Voucher EACH10"}) {
		t.Fatalf("used discounts: %+v", used)
	}
	tee, voucher := used.Results[0], used.Results[1]
	if *tee.Amount != "300.00" || tee.VoucherCode != nil || tee.OrderNumber != number ||
		*voucher.Amount != "10.00" || voucher.VoucherCode == nil || *voucher.VoucherCode != "EACH10" || voucher.OrderNumber != number {
		t.Fatalf("used discounts: %+v", used.Results)
	}
	// Another customer sees none of them.
	other := cs.shopper()
	other.register("other@example.com", "correct horse 2")
	other.do("GET", "/account/discount-items/", nil).must(t, 200).decode(t, &used)
	if used.Count != 0 || len(used.Results) != 0 || used.Discounts == nil {
		t.Fatalf("another customer's used discounts: %+v", used)
	}
}
