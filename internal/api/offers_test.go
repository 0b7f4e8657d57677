package api

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/catalog"
)

// TestProductCardsShowOffers: the automatic offers that reach a product
// (through its category or an ancestor, or store-wide) are named in
// basket_offers on product pages and listings, in the shopper's currency
// and language, and only while they run.
func TestProductCardsShowOffers(t *testing.T) {
	now := time.Now().UTC()
	bs := newBasketStore(t, map[string]any{"offers": []any{
		map[string]any{"slug": "3for2-tshirts", "label": "3 for 2 on t-shirts", "kind": "buy_x_pay_y", "buy": 3, "pay": 2,
			"categories": []string{"men-tshirts"}},
		map[string]any{"slug": "10-off-women", "label": "Kadında %10", "kind": "percent", "value": "10", "categories": []string{"women"},
			"translations": map[string]any{"en-us": map[string]any{"label": "10 % off women"}}},
		map[string]any{"slug": "free-shipping-750", "kind": "free_shipping", "min_basket": map[string]any{"TRY": "750.00"}},
		map[string]any{"slug": "later", "label": "Later", "kind": "percent", "value": "5", "categories": []string{"men"},
			"starts": now.Add(time.Hour).Format(time.RFC3339)},
		map[string]any{"slug": "over", "label": "Over", "kind": "percent", "value": "5", "ends": now.Add(-time.Hour).Format(time.RFC3339)},
	}})
	sh := bs.shopper()
	type card struct {
		SKU          string                `json:"sku"`
		BasketOffers []catalog.BasketOffer `json:"basket_offers"`
	}
	labels := func(offers []catalog.BasketOffer) []string {
		out := []string{}
		for _, o := range offers {
			out = append(out, o.Label)
		}
		return out
	}
	productOffers := func(sku string, headers ...string) []string {
		t.Helper()
		var page struct {
			Product card `json:"product"`
		}
		sh.do("GET", "/product/"+strconv.FormatInt(bs.ids[sku], 10)+"/", nil, headers...).must(t, 200).decode(t, &page)
		return labels(page.Product.BasketOffers)
	}
	for _, c := range []struct {
		sku     string
		headers []string
		want    []string
	}{
		{"TEE-A", nil, []string{"3 for 2 on t-shirts", "Free shipping over 750.00"}},
		// Free shipping has no threshold in USD: it never applies there.
		{"TEE-A", []string{"x-currency", "usd"}, []string{"3 for 2 on t-shirts"}},
		// The women offer reaches dresses through their parent category.
		{"DRESS", nil, []string{"Kadında %10", "Free shipping over 750.00"}},
		{"DRESS", []string{"Accept-Language", "en-us"}, []string{"10 % off women", "Free shipping over 750.00"}},
		{"LAST", nil, []string{"Free shipping over 750.00"}},
	} {
		if got := productOffers(c.sku, c.headers...); !slices.Equal(got, c.want) {
			t.Errorf("%s %v: basket_offers %q, want %q", c.sku, c.headers, got, c.want)
		}
	}

	var listing struct {
		Products []card `json:"products"`
	}
	sh.do("GET", "/list/", nil).must(t, 200).decode(t, &listing)
	for _, p := range listing.Products {
		hasTeeOffer := slices.Contains(labels(p.BasketOffers), "3 for 2 on t-shirts")
		if isTee := p.SKU == "TEE-A" || p.SKU == "TEE-B"; hasTeeOffer != isTee || len(listing.Products) < 4 {
			t.Errorf("listing card %s: basket_offers %q", p.SKU, labels(p.BasketOffers))
		}
	}

	// Once the later offer starts, product cards name it with no import
	// in between: the cached answers are keyed by the offers' phase.
	m, err := bs.api.catalog.Current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tee, _ := m.Product(bs.ids["TEE-A"])
	if m.OffersAt(now).Key() == m.OffersAt(now.Add(2*time.Hour)).Key() {
		t.Fatal("the start of an offer does not change the phase")
	}
	got := labels(tee.Wire("TRY", "tr-tr", 1, m.OffersAt(now.Add(2*time.Hour))).BasketOffers)
	if want := []string{"3 for 2 on t-shirts", "Free shipping over 750.00", "Later"}; !slices.Equal(got, want) {
		t.Fatalf("after the later offer starts: %q, want %q", got, want)
	}
}
