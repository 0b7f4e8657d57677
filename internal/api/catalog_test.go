package api

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

type listingBody struct {
	Products []struct {
		PK       int64  `json:"pk"`
		SKU      string `json:"sku"`
		Name     string `json:"name"`
		Price    string `json:"price"`
		InStock  bool   `json:"in_stock"`
		Currency string `json:"currency_type"`
	} `json:"products"`
	Facets []struct {
		Key       string `json:"key"`
		SearchKey string `json:"search_key"`
		Data      struct {
			Choices []struct {
				Label      string `json:"label"`
				Value      any    `json:"value"`
				Quantity   int    `json:"quantity"`
				IsSelected bool   `json:"is_selected"`
			} `json:"choices"`
		} `json:"data"`
	} `json:"facets"`
	Pagination struct {
		CurrentPage int `json:"current_page"`
		NumPages    int `json:"num_pages"`
		PageSize    int `json:"page_size"`
		TotalCount  int `json:"total_count"`
	} `json:"pagination"`
	Sorters []struct {
		Value      string `json:"value"`
		IsSelected bool   `json:"is_selected"`
	} `json:"sorters"`
	Category *struct {
		PK            int64  `json:"pk"`
		MenuItemModel string `json:"menuitemmodel"`
	} `json:"category"`
	SpecialPage map[string]any `json:"special_page"`
}

func (sh *shopper) listing(t *testing.T, path string, headers ...string) listingBody {
	t.Helper()
	var body listingBody
	sh.do("GET", path, nil, headers...).must(t, http.StatusOK).decode(t, &body)
	return body
}

// categoryIDs maps fixture category codes to their pks, read from the menu.
func categoryIDs(t *testing.T, sh *shopper) map[string]int64 {
	t.Helper()
	var menu struct {
		Menu []menuItemBody `json:"menu"`
	}
	sh.do("GET", "/menus/generate/?depth_height=3", nil).must(t, http.StatusOK).decode(t, &menu)
	bySlug := map[string]int64{}
	var walk func([]menuItemBody)
	walk = func(items []menuItemBody) {
		for _, it := range items {
			bySlug[strings.Trim(it.URL, "/")] = it.Extra.Attributes.CategoryID
			walk(it.Children)
		}
	}
	walk(menu.Menu)
	ids := map[string]int64{}
	for _, c := range fixtureCategories {
		ids[c.code] = bySlug[c.slug]
		if ids[c.code] == 0 {
			t.Fatalf("category %s missing from the menu", c.code)
		}
	}
	return ids
}

type menuItemBody struct {
	Label    string        `json:"label"`
	URL      string        `json:"url"`
	PK       string        `json:"pk"`
	Level    int           `json:"level"`
	ParentPK *string       `json:"parent_pk"`
	Parent   *menuItemBody `json:"parent"`
	Extra    struct {
		Attributes struct {
			CategoryID int64 `json:"category_id"`
		} `json:"attributes"`
		NumChild int `json:"numchild"`
	} `json:"extra_context"`
	Children []menuItemBody `json:"children"`
}

// TestListingFacetCounts checks totals and every facet count against a
// brute-force count over the fixture, under combined filters.
func TestListingFacetCounts(t *testing.T) {
	ts, products := newCatalogStore(t)
	sh := ts.shopper()
	cats := categoryIDs(t, sh)
	parentOf := map[string]string{}
	categoryNames := map[string]string{} // code → its and its ancestors' names: search finds products by them
	for _, c := range fixtureCategories {
		parentOf[c.code] = c.parent
		categoryNames[c.code] = categoryNames[c.parent] + " " + c.name
	}
	inCategory := func(p fixtureProduct, code string) bool {
		for c := p.category; c != ""; c = parentOf[c] {
			if c == code {
				return true
			}
		}
		return false
	}
	type filters struct {
		category []string // codes, OR
		attrs    map[string][]string
		search   string
		minPrice int64    // TRY minor units, 0 = none
		prices   []string // price facet ranges, OR
	}
	// inRange tells whether a TRY price lies in a price facet range
	// ("100-200": 100 inclusive, 200 exclusive; "250-": 250 and up).
	inRange := func(price int64, r string) bool {
		lo, hi, _ := strings.Cut(r, "-")
		minor := func(s string) int64 {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("range %q: %v", r, err)
			}
			return int64(math.Round(f * 100))
		}
		return price >= minor(lo) && (hi == "" || price < minor(hi))
	}
	attrOf := func(p fixtureProduct, key string) string {
		return map[string]string{"color": p.color, "size": p.size, "brand": p.brand}[key]
	}
	// passes applies every filter but the one named skip.
	passes := func(p fixtureProduct, f filters, skip string) bool {
		if !p.listable {
			return false
		}
		if skip != "category_ids" && len(f.category) > 0 && !slices.ContainsFunc(f.category, func(c string) bool { return inCategory(p, c) }) {
			return false
		}
		for key, values := range f.attrs {
			if key != skip && !slices.Contains(values, attrOf(p, key)) {
				return false
			}
		}
		if skip != "price" && len(f.prices) > 0 && !slices.ContainsFunc(f.prices, func(r string) bool { return inRange(p.try, r) }) {
			return false
		}
		if f.search != "" && !strings.Contains(strings.ToLower(p.name+" "+categoryNames[p.category]), strings.ToLower(f.search)) {
			return false
		}
		return f.minPrice == 0 || p.try >= f.minPrice
	}
	cases := []struct {
		name string
		f    filters
	}{
		{"no filter", filters{}},
		{"one color", filters{attrs: map[string][]string{"color": {"Red"}}}},
		{"two colors OR", filters{attrs: map[string][]string{"color": {"Red", "Blue"}}}},
		{"color AND size", filters{attrs: map[string][]string{"color": {"Red", "White"}, "size": {"M"}}}},
		{"category and brand", filters{category: []string{"women"}, attrs: map[string][]string{"brand": {"Nova"}}}},
		{"two categories and size", filters{category: []string{"women-shoes", "men-tshirts"}, attrs: map[string][]string{"size": {"L", "40"}}}},
		{"search and color", filters{search: "Elbise", attrs: map[string][]string{"color": {"Blue"}}}},
		{"search by category name", filters{search: "tişört", attrs: map[string][]string{"size": {"L"}}}},
		{"price floor and three facets", filters{minPrice: 20000, attrs: map[string][]string{"color": {"Red", "Black"}, "size": {"M", "L"}, "brand": {"Nova", "Luna"}}}},
		{"two price ranges OR", filters{prices: []string{"100-200", "250-"}}},
		{"price range, category and color", filters{prices: []string{"200-250", "250-"}, category: []string{"women"}, attrs: map[string][]string{"color": {"Red", "Black"}}}},
		{"custom price range and size", filters{prices: []string{"150.50-300"}, attrs: map[string][]string{"size": {"M"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{"page_size": {"100"}}
			for _, c := range tc.f.category {
				q.Add("category_ids", strconv.FormatInt(cats[c], 10))
			}
			for key, values := range tc.f.attrs {
				for _, v := range values {
					q.Add("attributes_"+key, v)
				}
			}
			if tc.f.search != "" {
				q.Set("search_text", tc.f.search)
			}
			if tc.f.minPrice > 0 {
				q.Set("price__gte", decimalString(tc.f.minPrice))
			}
			for _, r := range tc.f.prices {
				q.Add("price", r)
			}
			got := sh.listing(t, "/list/?"+q.Encode())

			want := 0
			for _, p := range products {
				if passes(p, tc.f, "") {
					want++
				}
			}
			if got.Pagination.TotalCount != want || len(got.Products) != want {
				t.Fatalf("total %d (%d products), want %d", got.Pagination.TotalCount, len(got.Products), want)
			}
			seenFacets := map[string]bool{}
			for _, facet := range got.Facets {
				seenFacets[facet.Key] = true
				for _, ch := range facet.Data.Choices {
					count := 0
					selected := false
					for _, p := range products {
						if !passes(p, tc.f, facet.Key) {
							continue
						}
						if facet.Key == "category_ids" {
							id := int64(ch.Value.(float64))
							for code, cid := range cats {
								if cid == id && inCategory(p, code) {
									count++
								}
							}
						} else if facet.Key == "price" {
							if inRange(p.try, ch.Value.(string)) {
								count++
							}
						} else if attrOf(p, facet.Key) == ch.Value {
							count++
						}
					}
					if facet.Key == "category_ids" {
						for _, code := range tc.f.category {
							selected = selected || float64(cats[code]) == ch.Value
						}
					} else if facet.Key == "price" {
						selected = slices.Contains(tc.f.prices, ch.Value.(string))
					} else {
						selected = slices.Contains(tc.f.attrs[facet.Key], ch.Value.(string))
					}
					if ch.Quantity != count || ch.IsSelected != selected {
						t.Errorf("facet %s choice %v: quantity %d selected %v, want %d %v", facet.Key, ch.Value, ch.Quantity, ch.IsSelected, count, selected)
					}
				}
				if want := "attributes_" + facet.Key; facet.Key != "category_ids" && facet.Key != "price" && facet.SearchKey != want {
					t.Errorf("facet %s search_key %q, want %q", facet.Key, facet.SearchKey, want)
				}
			}
			for _, key := range []string{"category_ids", "color", "size", "brand", "price"} {
				if !seenFacets[key] {
					t.Errorf("facet %s missing", key)
				}
			}
		})
	}
}

func TestListingPagingSortingAndLocale(t *testing.T) {
	ts, products := newCatalogStore(t)
	sh := ts.shopper()
	listable := 0
	for _, p := range products {
		if p.listable {
			listable++
		}
	}

	page := sh.listing(t, "/list/?page_size=5&page=2")
	if page.Pagination.CurrentPage != 2 || page.Pagination.PageSize != 5 || len(page.Products) != 5 ||
		page.Pagination.NumPages != (listable+4)/5 || page.Pagination.TotalCount != listable {
		t.Fatalf("pagination %+v with %d products", page.Pagination, len(page.Products))
	}
	if !page.Sorters[0].IsSelected || page.Sorters[0].Value != "default" {
		t.Errorf("default sorter not selected: %+v", page.Sorters)
	}

	cheap := sh.listing(t, "/list/?sorter=price&page_size=100")
	expensive := sh.listing(t, "/list/?sorter=-price&page_size=100")
	for i := 1; i < len(cheap.Products); i++ {
		a, _ := strconv.ParseFloat(cheap.Products[i-1].Price, 64)
		b, _ := strconv.ParseFloat(cheap.Products[i].Price, 64)
		if a > b {
			t.Fatalf("sorter=price not ascending at %d: %s > %s", i, cheap.Products[i-1].Price, cheap.Products[i].Price)
		}
	}
	if expensive.Products[0].SKU != cheap.Products[len(cheap.Products)-1].SKU {
		t.Errorf("-price starts with %s, want %s", expensive.Products[0].SKU, cheap.Products[len(cheap.Products)-1].SKU)
	}
	for _, s := range cheap.Sorters {
		if s.IsSelected != (s.Value == "price") {
			t.Errorf("sorter %s is_selected %v", s.Value, s.IsSelected)
		}
	}
	// Either way, products without a price in the shopper's currency come
	// last (products[3] has no USD price), whatever the page size.
	for _, tc := range []struct{ sorter, currency string }{
		{"price", "try"}, {"-price", "try"}, {"price", "usd"}, {"-price", "usd"},
	} {
		for _, size := range []int{100, 4} {
			var got []string // "price sku"
			for page := 1; ; page++ {
				l := sh.listing(t, fmt.Sprintf("/list/?sorter=%s&page_size=%d&page=%d", tc.sorter, size, page), "X-Currency", tc.currency)
				for _, p := range l.Products {
					got = append(got, p.Price+" "+p.SKU)
				}
				if page >= l.Pagination.NumPages {
					break
				}
			}
			if len(got) != listable {
				t.Fatalf("%+v, pages of %d: %d products, want %d", tc, size, len(got), listable)
			}
			unpriced := tc.currency == "usd"
			for i := 1; i < len(got); i++ {
				a, _ := strconv.ParseFloat(strings.Fields(got[i-1])[0], 64)
				b, _ := strconv.ParseFloat(strings.Fields(got[i])[0], 64)
				last := unpriced && i == len(got)-1
				if !last && ((tc.sorter == "price" && a > b) || (tc.sorter == "-price" && a < b)) {
					t.Errorf("%+v, pages of %d: out of order at %d: %v", tc, size, i, got)
					break
				}
			}
			if unpriced && !strings.HasSuffix(got[len(got)-1], products[3].sku) {
				t.Errorf("%+v, pages of %d: the product without a USD price is not last: %v", tc, size, got)
			}
		}
	}

	first := products[0]
	for _, tc := range []struct {
		headers  []string
		price    string
		name     string
		currency string
	}{
		{nil, decimalString(first.try), first.name, "try"},
		{[]string{"X-Currency", "usd"}, decimalString(first.usd), first.name, "usd"},
		{[]string{"X-Currency", "undefined", "Accept-Language", "undefined"}, decimalString(first.try), first.name, "try"},
		{[]string{"X-Currency", "XYZ"}, decimalString(first.try), first.name, "try"},
		{[]string{"Accept-Language", "en-US,en;q=0.9"}, decimalString(first.try), first.nameEn, "try"},
	} {
		got := sh.listing(t, "/list/?search_text="+url.QueryEscape(first.sku), tc.headers...)
		if len(got.Products) != 1 || got.Products[0].Price != tc.price || got.Products[0].Name != tc.name || got.Products[0].Currency != tc.currency {
			t.Errorf("headers %v: %+v, want price %s name %q", tc.headers, got.Products, tc.price, tc.name)
		}
	}

	// Cached answers go out gzip-compressed to clients that accept it.
	zipped := sh.do("GET", "/list/?page_size=5&page=2", nil, "Accept-Encoding", "gzip")
	if zipped.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip: %v", zipped.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped.body))
	if err != nil {
		t.Fatal(err)
	}
	var unzipped listingBody
	if err := json.NewDecoder(zr).Decode(&unzipped); err != nil || unzipped.Pagination != page.Pagination {
		t.Fatalf("gzip body: %v %+v", err, unzipped.Pagination)
	}

	// A product without a USD price is not buyable in USD.
	noUSD := sh.listing(t, "/list/?search_text="+url.QueryEscape(products[3].sku), "X-Currency", "USD")
	if len(noUSD.Products) != 1 || noUSD.Products[0].InStock {
		t.Errorf("product without USD price: %+v", noUSD.Products)
	}

	// The session's currency and language apply when no header says otherwise.
	sh.do("POST", "/users/activate-currency/", map[string]any{"currency": "usd"}).must(t, http.StatusOK)
	sh.do("POST", "/i18n/setlang", url.Values{"language": {"en-us"}}).must(t, http.StatusOK)
	got := sh.listing(t, "/list/?search_text="+url.QueryEscape(first.sku))
	if got.Products[0].Price != decimalString(first.usd) || got.Products[0].Name != first.nameEn {
		t.Errorf("session currency/language not applied: %+v", got.Products[0])
	}
	sh.do("POST", "/users/activate-currency/", map[string]any{"currency": "EUR"}).must(t, http.StatusBadRequest)
}

func TestCategoryPagesAndPrettyURLs(t *testing.T) {
	ts, products := newCatalogStore(t)
	sh := ts.shopper()
	cats := categoryIDs(t, sh)
	dresses := 0
	for _, p := range products {
		if p.listable && p.category == "women-dresses" {
			dresses++
		}
	}
	page := sh.listing(t, fmt.Sprintf("/category/%d/", cats["women-dresses"]))
	if page.Category == nil || page.Category.PK != cats["women-dresses"] || page.Pagination.TotalCount != dresses {
		t.Fatalf("category page: category %+v total %d, want %d", page.Category, page.Pagination.TotalCount, dresses)
	}
	bySlug := sh.listing(t, "/kadin/elbise/")
	if bySlug.Category == nil || bySlug.Category.PK != cats["women-dresses"] {
		t.Fatalf("GET /kadin/elbise/: %+v", bySlug.Category)
	}
	// The women page's category facet shows its subtree only.
	women := sh.listing(t, fmt.Sprintf("/category/%d/", cats["women"]))
	for _, f := range women.Facets {
		if f.Key == "category_ids" && len(f.Data.Choices) != 2 {
			t.Errorf("women subtree facet: %+v", f.Data.Choices)
		}
	}

	var product productBody
	sh.do("GET", "/"+products[0].slug+"/", nil).must(t, http.StatusOK).decode(t, &product)
	if product.Product.SKU != products[0].sku {
		t.Errorf("GET /<product slug>/: %s", product.Product.SKU)
	}
	// The storefront's url-redirection middleware asks for the shopper's
	// path and query, and follows Location.
	for path, location := range map[string]string{
		"/eski-elbise/":                  "/" + products[0].slug + "/",
		"/eski-elbise":                   "/" + products[0].slug + "/",
		"/eski-elbise/?utm_source=x&a=1": "/" + products[0].slug + "/?utm_source=x&a=1",
	} {
		redirect := sh.do("GET", path, nil)
		if redirect.StatusCode != http.StatusMovedPermanently || redirect.Header.Get("Location") != location {
			t.Errorf("redirect %s: %d to %q, want %q", path, redirect.StatusCode, redirect.Header.Get("Location"), location)
		}
	}

	for path, want := range map[string]string{
		"/kadin/elbise/":             fmt.Sprintf("/category/%d/", cats["women-dresses"]),
		"/" + products[0].slug + "/": "/product/",
		"/eski-elbise/":              "/product/",
		"/hakkimizda/":               "/shop-flat-page/",
		"/firsatlar/":                "/special-page/",
	} {
		var list struct {
			Count   int `json:"count"`
			Results []struct {
				OldPath string `json:"old_path"`
				NewPath string `json:"new_path"`
			} `json:"results"`
		}
		sh.do("GET", "/pretty_urls/?new_path__exact="+url.QueryEscape(path), nil).must(t, http.StatusOK).decode(t, &list)
		if list.Count != 1 || !strings.HasPrefix(list.Results[0].OldPath, want) || list.Results[0].NewPath != path {
			t.Errorf("pretty_urls %s: %+v, want old_path %s…", path, list, want)
		}
		rec := sh.do("GET", "/misc/pretty-url"+path, nil).must(t, http.StatusOK).json()
		if !strings.HasPrefix(rec["old_path"].(string), want) {
			t.Errorf("misc/pretty-url%s: %v", path, rec)
		}
	}
	var none struct{ Count int }
	sh.do("GET", "/pretty_urls/?new_path__exact=/yok/", nil).must(t, http.StatusOK).decode(t, &none)
	if none.Count != 0 {
		t.Errorf("unknown pretty url matched")
	}
	sh.do("GET", "/misc/pretty-url/yok/", nil).must(t, http.StatusNotFound)
	sh.do("GET", "/misc/pretty-url//", nil).must(t, http.StatusNotFound) // "/" names nothing here, and is no redirect loop
	sh.do("GET", "/yok/", nil).must(t, http.StatusNotFound)

	// Menus and breadcrumbs follow the tree.
	var menu struct {
		Menu []menuItemBody `json:"menu"`
	}
	sh.do("GET", "/misc/menus/generate/?depth_height=1", nil).must(t, http.StatusOK).decode(t, &menu)
	if len(menu.Menu) != 2 || len(menu.Menu[0].Children) != 0 || menu.Menu[0].Extra.NumChild != 2 {
		t.Fatalf("menu depth 1: %+v", menu.Menu)
	}
	sh.do("GET", "/menus/generate/?depth_height=2&parent="+menu.Menu[0].PK, nil).must(t, http.StatusOK).decode(t, &menu)
	if len(menu.Menu) != 2 || menu.Menu[0].URL != "/kadin/elbise/" {
		t.Fatalf("menu below women: %+v", menu.Menu)
	}
	sh.do("GET", "/menus/generate_breadcrumb/?item="+page.Category.MenuItemModel+"&generator_name=menu_item", nil).must(t, http.StatusOK).decode(t, &menu)
	if len(menu.Menu) != 2 || menu.Menu[0].URL != "/kadin/" || menu.Menu[1].URL != "/kadin/elbise/" {
		t.Fatalf("breadcrumb: %+v", menu.Menu)
	}
	if menu.Menu[0].Parent != nil || menu.Menu[1].Parent == nil || menu.Menu[1].Parent.PK != menu.Menu[0].PK || *menu.Menu[1].ParentPK != menu.Menu[0].PK {
		t.Errorf("breadcrumb parents: %+v", menu.Menu)
	}

	// A product's category nodes, deepest first.
	var nodes struct {
		Count   int `json:"count"`
		Results []struct {
			PK            int64  `json:"pk"`
			MenuItemModel string `json:"menuitemmodel"`
		} `json:"results"`
	}
	sh.do("GET", fmt.Sprintf("/products/%d/category_nodes/?limit=1", product.Product.PK), nil).must(t, http.StatusOK).decode(t, &nodes)
	if nodes.Count != 1 || nodes.Results[0].PK != cats["women-dresses"] || nodes.Results[0].MenuItemModel == "" {
		t.Errorf("category_nodes: %+v", nodes)
	}
	cat := sh.do("GET", fmt.Sprintf("/product/%d/category/", product.Product.PK), nil).must(t, http.StatusOK).json()
	if int64(cat["pk"].(float64)) != cats["women-dresses"] {
		t.Errorf("product category: %v", cat)
	}
}

type productBody struct {
	InStock bool `json:"in_stock"`
	Product struct {
		PK      int64  `json:"pk"`
		SKU     string `json:"sku"`
		Stock   int    `json:"stock"`
		InStock bool   `json:"in_stock"`
		Price   string `json:"price"`
	} `json:"product"`
	SelectedVariant *struct {
		SKU string `json:"sku"`
	} `json:"selected_variant"`
	Variants []struct {
		AttributeKey string `json:"attribute_key"`
		Options      []struct {
			Value                    string `json:"value"`
			InStock                  bool   `json:"in_stock"`
			IsSelectable             bool   `json:"is_selectable"`
			IsSelectableWithoutStock bool   `json:"is_selectable_without_stock"`
			IsSelected               bool   `json:"is_selected"`
			Product                  struct {
				SKU string `json:"sku"`
			} `json:"product"`
		} `json:"options"`
	} `json:"variants"`
	GroupProducts []struct {
		SKU string `json:"sku"`
	} `json:"group_products"`
}

func TestProductPageVariants(t *testing.T) {
	ts, products := newCatalogStore(t)
	sh := ts.shopper()
	bySKU := map[string]fixtureProduct{}
	for _, p := range products {
		bySKU[p.sku] = p
	}
	var list listingBody
	list = sh.listing(t, "/list/?search_text=D1-RED-S")
	pk := list.Products[0].PK

	var page productBody
	sh.do("GET", fmt.Sprintf("/product/%d/", pk), nil).must(t, http.StatusOK).decode(t, &page)
	if page.Product.SKU != "D1-RED-S" || page.SelectedVariant == nil || page.SelectedVariant.SKU != "D1-RED-S" {
		t.Fatalf("product page: %+v", page)
	}
	if len(page.Variants) != 2 || page.Variants[0].AttributeKey != "color" || page.Variants[1].AttributeKey != "size" {
		t.Fatalf("variants: %+v", page.Variants)
	}
	sizes := page.Variants[1].Options
	if got := []string{sizes[0].Value, sizes[1].Value, sizes[2].Value}; !slices.Equal(got, []string{"S", "M", "L"}) {
		t.Errorf("size order %v", got)
	}
	for _, o := range sizes {
		want := bySKU["D1-RED-"+o.Value]
		if o.Product.SKU != want.sku || o.InStock != (want.stock > 0) || o.IsSelectable != (want.stock > 0) || !o.IsSelectableWithoutStock || o.IsSelected != (o.Value == "S") {
			t.Errorf("size option %+v; fixture stock %d", o, want.stock)
		}
	}

	// ?size=L selects another variant of the same color.
	sh.do("GET", fmt.Sprintf("/product/%d/?size=L", pk), nil).must(t, http.StatusOK).decode(t, &page)
	if page.SelectedVariant == nil || page.SelectedVariant.SKU != "D1-RED-L" {
		t.Errorf("?size=L selected %+v", page.SelectedVariant)
	}
	// An unlisted variant is still offered; an unknown value is ignored.
	sh.do("GET", fmt.Sprintf("/product/%d/?color=Blue&size=M&color=Green", pk), nil).must(t, http.StatusOK).decode(t, &page)
	if page.SelectedVariant == nil || page.SelectedVariant.SKU != "D1-BLUE-M" {
		t.Errorf("?color=Blue&size=M selected %+v", page.SelectedVariant)
	}

	// Stock sold by an order shows at once on the product page and in listings.
	if bySKU["D1-RED-M"].stock == 0 {
		t.Fatal("fixture: D1-RED-M must start in stock")
	}
	list = sh.listing(t, "/list/?search_text=D1-RED-M")
	mPK := list.Products[0].PK
	sh.do("GET", fmt.Sprintf("/product/%d/", mPK), nil).must(t, http.StatusOK).decode(t, &page)
	if !list.Products[0].InStock || !page.InStock {
		t.Fatalf("D1-RED-M not in stock before the sale")
	}
	if _, err := ts.db.Exec("UPDATE products SET stock = 0 WHERE sku = 'D1-RED-M'"); err != nil {
		t.Fatal(err)
	}
	sh.do("GET", fmt.Sprintf("/product/%d/", mPK), nil).must(t, http.StatusOK).decode(t, &page)
	if page.Product.Stock != 0 || page.InStock || page.Variants[1].Options[1].IsSelectable || !page.Variants[1].Options[1].IsSelectableWithoutStock {
		t.Errorf("stock not fresh after a sale: %+v %+v", page.Product, page.Variants[1].Options[1])
	}
	if list = sh.listing(t, "/list/?search_text=D1-RED-M"); list.Products[0].InStock {
		t.Errorf("listing shows a sold-out product in stock: %+v", list.Products[0])
	}

	sh.do("GET", fmt.Sprintf("/group-product/%d/", pk), nil).must(t, http.StatusOK).decode(t, &page)
	if len(page.GroupProducts) != 6 {
		t.Errorf("group products: %d", len(page.GroupProducts))
	}
}

func TestAutocomplete(t *testing.T) {
	ts, _ := newCatalogStore(t)
	sh := ts.shopper()
	type body struct {
		Groups []struct {
			SuggestionType string `json:"suggestion_type"`
			Entries        []struct {
				Label string `json:"label"`
				URL   string `json:"url"`
			} `json:"entries"`
		} `json:"groups"`
	}
	for _, q := range []string{"elbıse", "ELBISE", "Elbise", "elb", "ELBİSE"} {
		var b body
		sh.do("GET", "/autocomplete/?search_text="+url.QueryEscape(q), nil).must(t, http.StatusOK).decode(t, &b)
		found := map[string]bool{}
		for _, g := range b.Groups {
			for _, e := range g.Entries {
				if strings.Contains(e.Label, "Elbise") {
					found[g.SuggestionType] = true
				}
			}
		}
		if !found["Category"] || !found["Product"] {
			t.Errorf("%q: %+v", q, b)
		}
	}
	var b body
	sh.do("GET", "/autocomplete/?search_text=tisort", nil).must(t, http.StatusOK).decode(t, &b)
	if len(b.Groups) == 0 {
		t.Errorf("tisort found nothing")
	}
	sh.do("GET", "/autocomplete/?search_text=zzzz", nil).must(t, http.StatusOK).decode(t, &b)
	if len(b.Groups) != 0 {
		t.Errorf("zzzz found %+v", b)
	}
}

func TestContentStoresAndGeography(t *testing.T) {
	ts, products := newCatalogStore(t)
	sh := ts.shopper()

	w := sh.do("GET", "/widgets/home-hero/", nil).must(t, http.StatusOK).json()
	if w["slug"] != "home-hero" || w["template"] != "hero.html" || len(w["products"].([]any)) != 2 {
		t.Errorf("widget: %v", w)
	}
	sh.do("GET", "/widgets/none/", nil).must(t, http.StatusNotFound)

	var pretty struct {
		Results []struct {
			OldPath string `json:"old_path"`
		} `json:"results"`
	}
	sh.do("GET", "/pretty_urls/?new_path__exact=/hakkimizda/", nil).must(t, http.StatusOK).decode(t, &pretty)
	flat := sh.do("GET", pretty.Results[0].OldPath, nil).must(t, http.StatusOK).json()
	if fp := flat["flat_page"].(map[string]any); fp["title"] != "Hakkımızda" || fp["url"] != "/hakkimizda/" {
		t.Errorf("flat page: %v", flat)
	}
	sh.do("GET", "/hakkimizda/", nil).must(t, http.StatusOK)
	sh.do("GET", "/pretty_urls/?new_path__exact=/kampanya/", nil).must(t, http.StatusOK).decode(t, &pretty)
	landing := sh.do("GET", pretty.Results[0].OldPath, nil).must(t, http.StatusOK).json()
	if lp := landing["landing_page"].(map[string]any); lp["template"] != "landing.html" || lp["is_active"] != true {
		t.Errorf("landing page: %v", landing)
	}
	sh.do("GET", "/pretty_urls/?new_path__exact=/firsatlar/", nil).must(t, http.StatusOK).decode(t, &pretty)
	special := sh.listing(t, pretty.Results[0].OldPath)
	if len(special.Products) != 2 || special.Products[0].SKU != products[9].sku || special.SpecialPage["name"] != "Fırsatlar" {
		t.Errorf("special page: %+v", special)
	}
	sh.do("GET", "/shop-flat-page/999999/", nil).must(t, http.StatusNotFound)

	stores := sh.do("GET", "/stores/", nil).must(t, http.StatusOK).json()
	results := stores["results"].([]any)
	if stores["count"] != 1.0 || results[0].(map[string]any)["name"] != "Moda Mağazası" {
		t.Errorf("stores: %v", stores)
	}
	township := results[0].(map[string]any)["township"].(map[string]any)
	if township["name"] != "Kadıköy" || township["city"].(map[string]any)["name"] != "İstanbul" {
		t.Errorf("store township: %v", township)
	}

	type place struct {
		PK   int64  `json:"pk"`
		Name string `json:"name"`
	}
	var countries struct{ Results []place }
	sh.do("GET", "/address/country/", nil).must(t, http.StatusOK).decode(t, &countries)
	if len(countries.Results) != 1 {
		t.Fatalf("countries: %+v", countries)
	}
	var cities struct{ Results []place }
	sh.do("GET", fmt.Sprintf("/address/city/?country=%d", countries.Results[0].PK), nil).must(t, http.StatusOK).decode(t, &cities)
	if len(cities.Results) != 2 {
		t.Fatalf("cities: %+v", cities)
	}
	sh.do("GET", fmt.Sprintf("/address/city/?country=%d&retailstore__isnull=false", countries.Results[0].PK), nil).must(t, http.StatusOK).decode(t, &cities)
	if len(cities.Results) != 1 || cities.Results[0].Name != "İstanbul" {
		t.Fatalf("cities with stores: %+v", cities)
	}
	var townships struct{ Results []place }
	sh.do("GET", fmt.Sprintf("/address/township/?city=%d", cities.Results[0].PK), nil).must(t, http.StatusOK).decode(t, &townships)
	if len(townships.Results) != 2 {
		t.Fatalf("townships: %+v", townships)
	}
	sh.do("GET", fmt.Sprintf("/address/township/?city=%d&retailstore__isnull=false", cities.Results[0].PK), nil).must(t, http.StatusOK).decode(t, &townships)
	if len(townships.Results) != 1 || townships.Results[0].Name != "Kadıköy" {
		t.Fatalf("townships with stores: %+v", townships)
	}
	// Find in store: the stores of the chosen city with their stock of
	// the product, or of the variant that the form's size selects.
	istanbul, ankara := cities.Results[0].PK, int64(0)
	sh.do("GET", fmt.Sprintf("/address/city/?country=%d", countries.Results[0].PK), nil).must(t, http.StatusOK).decode(t, &cities)
	for _, c := range cities.Results {
		if c.Name == "Ankara" {
			ankara = c.PK
		}
	}
	redS := sh.listing(t, "/list/?search_text="+products[0].sku).Products[0].PK
	redM := sh.listing(t, "/list/?search_text="+products[1].sku).Products[0].PK
	if products[0].sku != "D1-RED-S" || products[1].sku != "D1-RED-M" {
		t.Fatal("fixture: the store's stock is of D1-RED-S (3) and D1-RED-M (0)")
	}
	for _, tc := range []struct {
		path  string
		stock []string // per store, "" when the answer is no stores
	}{
		{fmt.Sprintf("/retail_store_stock/%d/", redS), []string{"3"}},
		{fmt.Sprintf("/retail_store_stock/%d/?city_id=%d", redS, istanbul), []string{"3"}},
		{fmt.Sprintf("/retail_store_stock/%d/?city_id=%d&size=S", redS, istanbul), []string{"3"}},
		{fmt.Sprintf("/retail_store_stock/%d/?city_id=%d&size=M", redS, istanbul), []string{"0"}},
		{fmt.Sprintf("/retail_store_stock/%d/?city_id=%d&size=", redM, istanbul), []string{"0"}},
		{fmt.Sprintf("/retail_store_stock/%d/?city_id=%d&size=S", redM, istanbul), []string{"3"}},
		{fmt.Sprintf("/retail_store_stock/%d/?size=XXL", redS), []string{"3"}}, // not offered: the product itself
		{fmt.Sprintf("/retail_store_stock/%d/?city=%d", redS, ankara), nil},
		{fmt.Sprintf("/retail_store_stock/%d/?township=%d", redS, townships.Results[0].PK), []string{"3"}},
	} {
		var entries []struct {
			Name, Address, Latitude, Longitude, Stock string
			StoreHours                                [][]string `json:"store_hours"`
		}
		sh.do("GET", tc.path, nil).must(t, http.StatusOK).decode(t, &entries)
		var stock []string
		for _, e := range entries {
			stock = append(stock, e.Stock)
			if e.Name != "Moda Mağazası" || e.Latitude != "40.98" || e.Address == "" || e.StoreHours[0][0] != "10:00:00" {
				t.Errorf("%s: store %+v", tc.path, e)
			}
		}
		if !slices.Equal(stock, tc.stock) {
			t.Errorf("%s: stock %v, want %v", tc.path, stock, tc.stock)
		}
	}
	sh.do("GET", fmt.Sprintf("/retail_store_stock/%d/?city_id=abc", redS), nil).must(t, http.StatusBadRequest)
	sh.do("GET", "/retail_store_stock/99999999/", nil).must(t, http.StatusNotFound)

	var districts struct{ Results []place }
	sh.do("GET", fmt.Sprintf("/address/district/?township=%d", townships.Results[0].PK), nil).must(t, http.StatusOK).decode(t, &districts)
	if len(districts.Results) != 1 || districts.Results[0].Name != "Moda" {
		t.Fatalf("districts: %+v", districts)
	}

	// Places with a store, and stores by place.
	var allTownships struct{ Results []place }
	sh.do("GET", fmt.Sprintf("/address/township/?city=%d", istanbul), nil).must(t, http.StatusOK).decode(t, &allTownships)
	for _, tw := range allTownships.Results {
		var withStore, stores struct{ Results []place }
		sh.do("GET", fmt.Sprintf("/address/district/?township=%d&retailstore__isnull=false", tw.PK), nil).must(t, http.StatusOK).decode(t, &withStore)
		sh.do("GET", fmt.Sprintf("/stores/?township=%d", tw.PK), nil).must(t, http.StatusOK).decode(t, &stores)
		wantDistricts, wantStores := 0, 0
		if tw.Name == "Kadıköy" {
			wantDistricts, wantStores = 1, 1
		}
		if len(withStore.Results) != wantDistricts || len(stores.Results) != wantStores {
			t.Errorf("%s: districts with a store %+v, stores %+v", tw.Name, withStore.Results, stores.Results)
		}
	}
	for city, want := range map[int64]int{istanbul: 1, ankara: 0} {
		var stores struct{ Results []place }
		sh.do("GET", fmt.Sprintf("/stores/?city=%d", city), nil).must(t, http.StatusOK).decode(t, &stores)
		if len(stores.Results) != want {
			t.Errorf("stores of city %d: %+v, want %d", city, stores.Results, want)
		}
	}
}

// TestCatalogBadInput: nothing a client sends gets a 500.
func TestCatalogBadInput(t *testing.T) {
	ts, _ := newCatalogStore(t)
	sh := ts.shopper()
	huge := strings.Repeat("elbise ", 5000)
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/list/?sorter=nonsense", 200},
		{"/list/?page=9999", 200},
		{"/list/?page=-3&page_size=-5", 200},
		{"/list/?page=abc&page_size=abc&limit=x", 200},
		{"/list/?page_size=100000", 200},
		{"/list/?attributes_nope=1&nope=2&category_ids=abc&category_ids=99999", 200},
		{"/list/?search_text=" + url.QueryEscape(huge), 200},
		{"/list/?search_text=%25%00%ff%27%22%3B--", 400},
		{"/list/?" + strings.Repeat("category_ids=1&attributes_color=Red&", 2000), 200},
		{"/list/?price__gte=abc", 400},
		{"/list/?price__lte=-1", 400},
		{"/list/?price=abc", 400},
		{"/list/?price=-5", 400},
		{"/list/?price=300-100", 400},
		{"/list/?price=99999999-", 200},
		{"/category/abc/", 404},
		{"/category/-1/", 404},
		{"/category/99999999999999999999999/", 404},
		{"/product/abc/", 404},
		{"/product/0/", 404},
		{"/group-product/x/", 404},
		{"/special-page/abc/", 404},
		{"/products/abc/category_nodes/", 404},
		{"/product/abc/category/", 404},
		{"/retail_store_stock/abc/", 404},
		{"/shop-flat-page/abc/", 404},
		{"/landing-page/abc/", 404},
		{"/menus/generate/?depth_height=abc&parent=nope", 200},
		{"/menus/generate/?depth_height=-1", 200},
		{"/menus/generate_breadcrumb/?item=nope", 200},
		{"/autocomplete/?search_text=" + url.QueryEscape(huge), 200},
		{"/autocomplete/", 200},
		{"/address/city/?country=abc", 400},
		{"/stores/?page=abc&limit=-1", 200},
		{"/stores/?page=9000000000000000000&limit=100", 200},
		{"/stores/?city=abc", 400},
		{"/address/country/?page=9000000000000000000", 200},
		{"/address/township/?city=x", 400},
		{"/address/district/?township=-1", 400},
		{"/list/?page=9000000000000000000&page_size=100", 200},
		{"/list/?page=99999999999999999999999", 200},
		{"/list/?sorter=price&page=9000000000000000000", 200},
		{"/widgets/" + strings.Repeat("x", 3000) + "/", 404},
		{"/pretty_urls/?new_path__exact=" + url.QueryEscape(huge), 200},
		{"/misc/pretty-url/%00%ff/", 400}, // NUL is refused wherever it is
		{"/pretty_urls/?new_path__exact=/%00/", 400},
		{"/%ff%00/", 400},
		{"/cms/seo/?url=/%ff/", 404},
		{"/widgets/%00%ff/", 400},
		{"/product/1/?size=" + url.QueryEscape(huge), 200},
		{"/cms/seo/?url=/nope/", 404},
	} {
		r := sh.do("GET", tc.path, nil)
		if r.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d; %.200s", tc.path[:min(len(tc.path), 80)], r.StatusCode, tc.status, r.body)
		}
	}
	for _, path := range []string{"/list/?page=9999", "/list/?page=9000000000000000000&page_size=100", "/list/?sorter=-price&page=9000000000000000000"} {
		if page := sh.listing(t, path); len(page.Products) != 0 {
			t.Errorf("%s: past the end, %d products", path, len(page.Products))
		}
	}
	var stores struct{ Results []any }
	sh.do("GET", "/stores/?page=9000000000000000000&limit=100", nil).must(t, http.StatusOK).decode(t, &stores)
	if len(stores.Results) != 0 {
		t.Errorf("stores past the end: %v", stores.Results)
	}
	capped := sh.listing(t, "/list/?page_size=100000")
	if capped.Pagination.PageSize != 100 {
		t.Errorf("page_size not capped: %d", capped.Pagination.PageSize)
	}
	sorted := sh.listing(t, "/list/?sorter=nonsense")
	if !sorted.Sorters[0].IsSelected {
		t.Errorf("unknown sorter did not fall back to the default")
	}
}

// TestCatalogCacheInvalidation: an import's new prices and stock show on
// the very next request to every answer that shows them, however often
// those answers were served (and cached) before.
func TestCatalogCacheInvalidation(t *testing.T) {
	ts, products := newCatalogStore(t)
	sh := ts.shopper()
	if products[0].stock != 0 || products[0].usd == 0 {
		t.Fatal("fixture: the first product must start out of stock, with a USD price")
	}
	pk := sh.listing(t, "/list/?search_text="+products[0].sku).Products[0].PK
	type shown struct {
		price   string
		inStock bool
	}
	reads := []struct {
		name string
		read func() shown
	}{
		{"listing", func() shown {
			p := sh.listing(t, "/list/?search_text="+products[0].sku).Products[0]
			return shown{p.Price, p.InStock}
		}},
		{"listing in USD", func() shown {
			p := sh.listing(t, "/list/?search_text="+products[0].sku, "X-Currency", "usd").Products[0]
			return shown{p.Price, p.InStock}
		}},
		{"category page", func() shown {
			for _, p := range sh.listing(t, "/kadin/elbise/?page_size=100").Products {
				if p.SKU == products[0].sku {
					return shown{p.Price, p.InStock}
				}
			}
			t.Fatalf("%s not on its category page", products[0].sku)
			return shown{}
		}},
		{"product page", func() shown {
			var page productBody
			sh.do("GET", fmt.Sprintf("/product/%d/", pk), nil).must(t, http.StatusOK).decode(t, &page)
			return shown{page.Product.Price, page.Product.InStock}
		}},
		{"widget", func() shown {
			var w struct {
				Products []struct {
					Price   string `json:"price"`
					InStock bool   `json:"in_stock"`
				} `json:"products"`
			}
			sh.do("GET", "/widgets/home-hero/", nil).must(t, http.StatusOK).decode(t, &w)
			return shown{w.Products[0].Price, w.Products[0].InStock} // the widget's first product is products[0]
		}},
	}
	want := func(usd bool) shown {
		if usd {
			return shown{decimalString(products[0].usd), products[0].stock > 0}
		}
		return shown{decimalString(products[0].try), products[0].stock > 0}
	}
	check := func(when string) {
		t.Helper()
		for _, r := range reads {
			for range 2 { // the second read comes from the cache
				if got, w := r.read(), want(r.name == "listing in USD"); got != w {
					t.Errorf("%s, %s: %+v, want %+v", when, r.name, got, w)
				}
			}
		}
	}
	check("before any change")
	products[0].try, products[0].usd, products[0].stock = 4242, 1717, 9
	ts.importStore(fixtureStore(products))
	check("after an import of new prices and stock")
	products[0].stock = 0
	ts.importStore(fixtureStore(products))
	check("after an import that sells it out")
}

// TestCatalogReadsDuringImports: shoppers reading while imports commit
// never get an error, and after each import the next answer has its price.
func TestCatalogReadsDuringImports(t *testing.T) {
	ts, products := newCatalogStore(t)
	path := "/list/?search_text=" + products[0].sku
	stop := make(chan struct{})
	done := make(chan error, 4)
	for range 4 {
		go func() {
			for {
				select {
				case <-stop:
					done <- nil
					return
				default:
				}
				resp, err := http.Get(ts.srv.URL + path)
				if err != nil {
					done <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					done <- fmt.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		}()
	}
	sh := ts.shopper()
	for i := 1; i <= 3; i++ {
		products[0].try = int64(1000 * i)
		ts.importStore(fixtureStore(products))
		if got := sh.listing(t, path).Products[0].Price; got != decimalString(products[0].try) {
			t.Errorf("after import %d: price %s, want %s", i, got, decimalString(products[0].try))
		}
	}
	close(stop)
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// TestCatalogTranslatedLabels: what shoppers read on a listing and a
// product page (facet names, choice labels, sorters, variant options)
// follows Accept-Language, while the values that filter stay the same.
func TestCatalogTranslatedLabels(t *testing.T) {
	ts, products := newCatalogStore(t)
	sh := ts.shopper()
	type labels struct {
		facetName map[string]string // facet key → name
		red       string            // label of the color choice "Red"
		women     string            // label of the category choice of women
		sorter    string            // label of the price sorter
		option    string            // label of the variant option "Red"
		attribute string            // attribute_name of the color variant
		colors    []string          // the color choices' labels, in order
		sizes     []string          // the size choices' labels, in order
	}
	sizes := []string{"S", "M", "L"} // of the red products: the listing filters by Red
	for _, tc := range []struct {
		language string
		want     labels
	}{
		{"", labels{map[string]string{"category_ids": "Kategori", "color": "Renk", "size": "Beden", "price": "Fiyat"}, "Red", "Kadın", "Artan fiyat", "Red", "Renk",
			[]string{"Black", "Blue", "Red", "White"}, sizes}},
		{"tr-TR,tr;q=0.9", labels{map[string]string{"category_ids": "Kategori", "color": "Renk", "price": "Fiyat"}, "Red", "Kadın", "Artan fiyat", "Red", "Renk",
			[]string{"Black", "Blue", "Red", "White"}, sizes}},
		{"en-US,en;q=0.9", labels{map[string]string{"category_ids": "Category", "color": "Color", "size": "Beden", "price": "Price"}, "Scarlet", "Women", "Price: low to high", "Scarlet", "Color",
			[]string{"Black", "Blue", "Ivory", "Scarlet"}, sizes}},
		{"en", labels{map[string]string{"color": "Color"}, "Scarlet", "Women", "Price: low to high", "Scarlet", "Color",
			[]string{"Black", "Blue", "Ivory", "Scarlet"}, sizes}},
	} {
		t.Run(tc.language, func(t *testing.T) {
			var headers []string
			if tc.language != "" {
				headers = []string{"Accept-Language", tc.language}
			}
			var body struct {
				Facets []struct {
					Key  string `json:"key"`
					Name string `json:"name"`
					Data struct {
						Name    string `json:"name"`
						Choices []struct {
							Label      string `json:"label"`
							Value      any    `json:"value"`
							IsSelected bool   `json:"is_selected"`
						} `json:"choices"`
					} `json:"data"`
				} `json:"facets"`
				Sorters []struct{ Label, Value string } `json:"sorters"`
			}
			sh.do("GET", "/list/?attributes_color=Red", nil, headers...).must(t, http.StatusOK).decode(t, &body)
			got := labels{facetName: map[string]string{}}
			for _, f := range body.Facets {
				if f.Name != f.Data.Name {
					t.Errorf("facet %s: name %q, data.name %q", f.Key, f.Name, f.Data.Name)
				}
				got.facetName[f.Key] = f.Name
				for _, c := range f.Data.Choices {
					switch f.Key {
					case "color":
						got.colors = append(got.colors, c.Label)
					case "size":
						got.sizes = append(got.sizes, c.Label)
					}
					switch {
					case f.Key == "color" && c.Value == "Red":
						got.red = c.Label
						if !c.IsSelected {
							t.Errorf("the filtered color is not selected")
						}
					case f.Key == "category_ids" && c.Label != "" && got.women == "":
						got.women = c.Label
					}
				}
			}
			for _, s := range body.Sorters {
				if s.Value == "price" {
					got.sorter = s.Label
				}
			}
			var page struct {
				Variants []struct {
					AttributeKey  string `json:"attribute_key"`
					AttributeName string `json:"attribute_name"`
					Options       []struct{ Label, Value string }
				} `json:"variants"`
			}
			pk := sh.listing(t, "/list/?search_text="+products[0].sku).Products[0].PK
			sh.do("GET", fmt.Sprintf("/product/%d/", pk), nil, headers...).must(t, http.StatusOK).decode(t, &page)
			for _, v := range page.Variants {
				for _, o := range v.Options {
					if v.AttributeKey == "color" && o.Value == "Red" {
						got.option, got.attribute = o.Label, v.AttributeName
					}
				}
			}
			for key, name := range tc.want.facetName {
				if got.facetName[key] != name {
					t.Errorf("facet %s named %q, want %q", key, got.facetName[key], name)
				}
			}
			got.facetName = tc.want.facetName
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("labels %+v\nwant   %+v", got, tc.want)
			}
		})
	}
}

// TestSEO: /cms/seo/ gives what the merchant wrote for a path (a
// translation's seo_* fields, or in the store's language the record's
// attributes), and makes the rest from the record's name and text.
func TestSEO(t *testing.T) {
	ts, products := newCatalogStore(t)
	sh := ts.shopper()
	en := []string{"Accept-Language", "en-us"}
	type seo struct{ Title, Description, Keywords string }
	for _, tc := range []struct {
		url     string
		headers []string
		want    seo
	}{
		{"/kadin/elbise/", nil, seo{"Elbise Modelleri", "Her güne bir elbise.", "Kadın, Elbise"}},
		{"kadin/elbise", nil, seo{"Elbise Modelleri", "Her güne bir elbise.", "Kadın, Elbise"}},
		{"/kadin/elbise/", en, seo{"Dresses for every day", "Dresses", "Women, Dresses"}},
		{"/kadin/", nil, seo{"Kadın", "Kadın", "Kadın"}},
		{"/" + products[0].slug + "/", en, seo{products[0].nameEn, products[0].nameEn + " description", products[0].nameEn}},
		{"/eski-elbise/", nil, seo{products[0].name, products[0].name + " açıklaması", products[0].name}}, // a redirect's target
		{"/hakkimizda/", nil, seo{"Hakkımızda", "Biz", "Hakkımızda"}},
		{"/hakkimizda/", en, seo{"About us", "Us", "about, us"}},
		{"/", nil, seo{"Test Mağaza", "Test Mağaza", ""}},
	} {
		var got seo
		sh.do("GET", "/cms/seo/?url="+url.QueryEscape(tc.url), nil, tc.headers...).must(t, http.StatusOK).decode(t, &got)
		if got != tc.want {
			t.Errorf("%s %v: %+v, want %+v", tc.url, tc.headers, got, tc.want)
		}
	}
	sh.do("GET", "/cms/seo/?url=/yok/", nil).must(t, http.StatusNotFound)
}

// TestDRFListPaging: the content lists page like Django REST framework,
// with links to the neighbouring pages that exist.
func TestDRFListPaging(t *testing.T) {
	ts, _ := newCatalogStore(t)
	sh := ts.shopper()
	var countries struct{ Results []struct{ PK int64 } }
	sh.do("GET", "/address/country/", nil).must(t, http.StatusOK).decode(t, &countries)
	base := fmt.Sprintf("/address/city/?country=%d&limit=1", countries.Results[0].PK) // two cities
	for _, tc := range []struct {
		page           string
		results        int
		next, previous string // the page the link names, "" for none
	}{
		{"1", 1, "2", ""},
		{"2", 1, "", "1"},
		{"3", 0, "", "2"},
		{"4", 0, "", ""},
		{"9000000000000000000", 0, "", ""},
		{"abc", 1, "2", ""},
	} {
		var body struct {
			Count          int
			Next, Previous *string
			Results        []any
		}
		sh.do("GET", base+"&page="+tc.page, nil).must(t, http.StatusOK).decode(t, &body)
		linkPage := func(link *string) string {
			if link == nil {
				return ""
			}
			u, err := url.Parse(*link)
			if err != nil {
				t.Fatal(err)
			}
			return u.Query().Get("page")
		}
		if body.Count != 2 || len(body.Results) != tc.results || linkPage(body.Next) != tc.next || linkPage(body.Previous) != tc.previous {
			t.Errorf("page %s: count %d, %d results, next %q, previous %q; want %d results, next %q, previous %q",
				tc.page, body.Count, len(body.Results), linkPage(body.Next), linkPage(body.Previous), tc.results, tc.next, tc.previous)
		}
	}
}
