package api

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/vitrin/vitrin/internal/storeimport"
)

// fixtureProduct is one product of the catalog tests' store, kept in Go
// so the tests can count the expected answers by brute force.
type fixtureProduct struct {
	sku, base, name, nameEn, slug string
	color, size, brand, category  string
	try, usd                      int64 // minor units; usd 0: no USD price
	stock                         int
	listable                      bool
}

// fixtureCategories: code → parent code, slug, name.
var fixtureCategories = []struct{ code, parent, slug, name, nameEn string }{
	{"women", "", "kadin", "Kadın", "Women"},
	{"women-dresses", "women", "kadin/elbise", "Elbise", "Dresses"},
	{"women-shoes", "women", "kadin/ayakkabi", "Ayakkabı", "Shoes"},
	{"men", "", "erkek", "Erkek", "Men"},
	{"men-tshirts", "men", "erkek/tisort", "Tişört", "T-shirts"},
}

// fixtureProducts builds a small catalog with variants, stock-outs, a
// product without a USD price and an unlisted variant.
func fixtureProducts() []fixtureProduct {
	type model struct {
		base, name, nameEn, category, brand string
		colors, sizes                       []string
	}
	models := []model{
		{"D1", "Keten Elbise", "Linen Dress", "women-dresses", "Nova", []string{"Red", "Blue"}, []string{"S", "M", "L"}},
		{"D2", "Yazlık Elbise", "Summer Dress", "women-dresses", "Luna", []string{"Red"}, []string{"S", "M"}},
		{"D3", "Gece Elbisesi", "Evening Dress", "women-dresses", "Nova", []string{"Black", "Blue"}, []string{"M", "L"}},
		{"S1", "Deri Ayakkabı", "Leather Shoe", "women-shoes", "Nova", []string{"Black"}, []string{"38", "39", "40"}},
		{"T1", "Basic Tişört", "Basic T-shirt", "men-tshirts", "Mira", []string{"White", "Red"}, []string{"M", "L"}},
		{"T2", "Baskılı Tişört", "Printed T-shirt", "men-tshirts", "Luna", []string{"White"}, []string{"M", "L", "XL"}},
	}
	var out []fixtureProduct
	i := 0
	for _, m := range models {
		for _, color := range m.colors {
			for _, size := range m.sizes {
				sku := fmt.Sprintf("%s-%s-%s", m.base, strings.ToUpper(color), size)
				p := fixtureProduct{
					sku: sku, base: m.base, name: m.name + " " + color, nameEn: m.nameEn + " " + color,
					slug: strings.ToLower(sku), color: color, size: size, brand: m.brand, category: m.category,
					try: int64(10000 + i*1550), usd: int64(300 + i*45), stock: (i * 7) % 5, listable: true,
				}
				out = append(out, p)
				i++
			}
		}
	}
	out[3].usd = 0          // D1-BLUE-S: not sold in USD
	out[4].listable = false // D1-BLUE-M: a variant that is not listed
	return out
}

// fixtureStore is the import document of the catalog tests' store.
func fixtureStore(products []fixtureProduct) map[string]any {
	var cats []any
	for i, c := range fixtureCategories {
		var parent any
		if c.parent != "" {
			parent = c.parent
		}
		cat := map[string]any{"code": c.code, "parent": parent, "slug": c.slug, "name": c.name, "sort_order": i,
			"translations": map[string]any{"en-us": map[string]any{"name": c.nameEn}}}
		if c.code == "women-dresses" { // SEO texts written by the merchant
			cat["attributes"] = map[string]any{"seo_title": "Elbise Modelleri", "seo_description": "Her güne bir elbise."}
			cat["translations"] = map[string]any{"en-us": map[string]any{"name": c.nameEn, "seo_title": "Dresses for every day"}}
		}
		cats = append(cats, cat)
	}
	var prods []any
	for i, p := range products {
		prices := map[string]any{"TRY": map[string]any{"price": decimalString(p.try), "retail_price": decimalString(p.try + 2000)}}
		if p.usd > 0 {
			prices["USD"] = map[string]any{"price": decimalString(p.usd), "retail_price": decimalString(p.usd + 100)}
		}
		prods = append(prods, map[string]any{
			"sku": p.sku, "base_code": p.base, "name": p.name, "description": p.name + " açıklaması", "slug": p.slug,
			"active": true, "listable": p.listable,
			"attributes": map[string]any{"color": p.color, "size": p.size, "brand": p.brand},
			"categories": []string{p.category}, "images": []string{"https://cdn.example/" + p.slug + ".jpg"},
			"tax_rate": "20", "prices": prices, "stock": p.stock,
			"created":      fmt.Sprintf("2026-01-%02dT10:00:00Z", 1+i%28),
			"translations": map[string]any{"en-us": map[string]any{"name": p.nameEn, "description": p.nameEn + " description"}},
		})
	}
	return map[string]any{
		"format": "vitrin.store/1",
		"store": map[string]any{"name": "Test Mağaza", "default_currency": "TRY", "currencies": []string{"TRY", "USD"},
			"default_language": "tr-tr", "languages": []string{"tr-tr", "en-us"}, "country": "tr"},
		"attributes": []any{
			// The fixture's values read the same in both languages but
			// Red and White, so the tests can tell a translated label
			// from a value (and labels sort apart from values).
			map[string]any{"key": "color", "name": "Renk", "type": "text", "facet": true, "variant": true, "sort_order": 1,
				"translations": map[string]any{"en-us": map[string]any{"name": "Color"}},
				"values": []any{
					map[string]any{"value": "Red", "translations": map[string]any{"en-us": map[string]any{"name": "Scarlet"}}},
					map[string]any{"value": "White", "translations": map[string]any{"en-us": map[string]any{"name": "Ivory"}}},
				}},
			map[string]any{"key": "size", "name": "Beden", "type": "text", "facet": true, "variant": true, "sort_order": 2},
			map[string]any{"key": "brand", "name": "Marka", "type": "text", "facet": true, "sort_order": 3},
		},
		"categories": cats,
		"products":   prods,
		"geography": map[string]any{"countries": []any{map[string]any{"code": "tr", "name": "Türkiye", "cities": []any{
			map[string]any{"name": "İstanbul", "postcode": "34000", "townships": []any{
				map[string]any{"name": "Kadıköy", "postcode": "34710", "districts": []any{map[string]any{"name": "Moda", "postcode": "34710"}}},
				map[string]any{"name": "Beşiktaş", "postcode": "34330", "districts": []any{map[string]any{"name": "Levent", "postcode": "34330"}}},
			}},
			map[string]any{"name": "Ankara", "postcode": "06000", "townships": []any{
				map[string]any{"name": "Çankaya", "postcode": "06690", "districts": []any{map[string]any{"name": "Kızılay", "postcode": "06420"}}},
			}},
		}}}},
		"retail_stores": []any{
			map[string]any{"code": "moda", "name": "Moda Mağazası", "address": "Moda Cad. 1", "country": "tr", "city": "İstanbul",
				"township": "Kadıköy", "district": "Moda", "latitude": "40.98", "longitude": "29.02", "phone": "+902160000000",
				"store_hours": []any{[]string{"10:00:00", "22:00:00"}},
				"stock":       map[string]any{products[0].sku: 3, products[1].sku: 0}},
		},
		"pages": []any{
			map[string]any{"url": "/hakkimizda/", "kind": "flat", "title": "Hakkımızda", "content": "<p>Biz</p>", "is_active": true,
				"translations": map[string]any{"en-us": map[string]any{"title": "About us", "content": "<p>Us</p>", "seo_keywords": "about, us"}}},
			map[string]any{"url": "/kampanya/", "kind": "landing", "title": "Kampanya", "template": "landing.html", "is_active": true},
			map[string]any{"url": "/firsatlar/", "kind": "special", "title": "Fırsatlar", "is_active": true,
				"products": []string{products[9].sku, products[0].sku}},
		},
		"widgets": []any{
			map[string]any{"slug": "home-hero", "name": "Vitrin", "template": "hero.html", "attributes": map[string]any{"title": "Yaz"},
				"products": []string{products[0].sku, products[5].sku}},
		},
		"redirects": []any{map[string]any{"old_path": "/eski-elbise/", "new_path": "/" + products[0].slug + "/"}},
	}
}

func decimalString(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }

// importStore loads an import document into the test store's database,
// firing stock alerts as `vitrin import` does.
func (ts *testStore) importStore(doc map[string]any) {
	ts.t.Helper()
	if doc["format"] == nil {
		doc["format"] = "vitrin.store/1"
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		ts.t.Fatal(err)
	}
	opts := storeimport.Options{Restocked: ts.api.svc.Restocked}
	if _, err := storeimport.Run(context.Background(), ts.db, strings.NewReader(string(raw)), opts); err != nil {
		ts.t.Fatalf("import: %v", err)
	}
	// Serve the import at once, as every node does within RefreshPeriod.
	if _, err := ts.api.catalog.Sync(context.Background()); err != nil {
		ts.t.Fatal(err)
	}
}

// newCatalogStore is a test store loaded with the fixture catalog.
func newCatalogStore(t *testing.T) (*testStore, []fixtureProduct) {
	ts := newTestStore(t)
	products := fixtureProducts()
	ts.importStore(fixtureStore(products))
	return ts, products
}
