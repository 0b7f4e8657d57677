package catalog

import "strconv"

// The wire shapes of the catalog's pages (types/commerce/category.ts and
// product.ts): listings, product pages, search suggestions and the
// find-in-store answer. Product cards and categories are in wire.go.

// ListingJSON is GetCategoryResponse of types/commerce/category.ts.
type ListingJSON struct {
	Category    *CategoryJSON  `json:"category,omitempty"`
	SpecialPage any            `json:"special_page,omitempty"`
	Facets      []Facet        `json:"facets"`
	Pagination  paginationJSON `json:"pagination"`
	Products    []ProductJSON  `json:"products"`
	SearchText  *string        `json:"search_text"`
	Sorters     []Sorter       `json:"sorters"`
}

type paginationJSON struct {
	CurrentPage int `json:"current_page"`
	NumPages    int `json:"num_pages"`
	PageSize    int `json:"page_size"`
	TotalCount  int `json:"total_count"`
}

// Wire renders the listing; its products show their stock and offers.
func (l *Listing) Wire(currency, language string, stock map[int64]int64, offers Offers) ListingJSON {
	out := ListingJSON{
		Facets:     l.Facets,
		Pagination: paginationJSON{CurrentPage: l.Page, NumPages: l.NumPages, PageSize: l.PageSize, TotalCount: l.Total},
		Products:   make([]ProductJSON, len(l.Products)),
		SearchText: l.SearchText,
		Sorters:    l.Sorters,
	}
	if out.Facets == nil {
		out.Facets = []Facet{}
	}
	for i, p := range l.Products {
		out.Products[i] = p.Wire(currency, language, stock[p.ID], offers)
	}
	return out
}

// ProductResultJSON is ProductResult of types/commerce/product.ts.
type ProductResultJSON struct {
	InStock         bool          `json:"in_stock"`
	Product         ProductJSON   `json:"product"`
	SelectedVariant *ProductJSON  `json:"selected_variant"`
	Variants        []VariantJSON `json:"variants"`
	GroupProducts   []ProductJSON `json:"group_products,omitempty"`
}

type VariantJSON struct {
	AttributeKey  string              `json:"attribute_key"`
	AttributeName string              `json:"attribute_name"`
	Options       []VariantOptionJSON `json:"options"`
}

type VariantOptionJSON struct {
	Label                    string      `json:"label"`
	Value                    string      `json:"value"`
	Order                    int         `json:"order"`
	InStock                  bool        `json:"in_stock"`
	IsSelectable             bool        `json:"is_selectable"`
	IsSelectableWithoutStock bool        `json:"is_selectable_without_stock"`
	IsSelected               bool        `json:"is_selected"`
	Product                  ProductJSON `json:"product"`
}

// Wire renders the page; withGroup adds the products of its group.
func (page *ProductPage) Wire(currency, language string, withGroup bool, offers Offers) ProductResultJSON {
	wire := func(p *Product) ProductJSON {
		return p.Wire(currency, language, page.Stock[p.ID], offers)
	}
	product := wire(page.Product)
	out := ProductResultJSON{InStock: product.InStock, Product: product, Variants: []VariantJSON{}}
	if page.Selected != nil {
		sel := wire(page.Selected)
		out.SelectedVariant = &sel
	}
	for _, v := range page.Variants {
		vj := VariantJSON{AttributeKey: v.Attribute.Key, AttributeName: v.Attribute.Label(language), Options: []VariantOptionJSON{}}
		for _, o := range v.Options {
			vj.Options = append(vj.Options, VariantOptionJSON{
				Label: v.Attribute.ValueLabel(o.Value, language), Value: o.Value, Order: o.Order, InStock: o.InStock, IsSelectable: o.IsSelectable,
				IsSelectableWithoutStock: o.IsSelectableWithoutStock, IsSelected: o.IsSelected, Product: wire(o.Product),
			})
		}
		out.Variants = append(out.Variants, vj)
	}
	if withGroup {
		out.GroupProducts = []ProductJSON{}
		for _, p := range page.Group {
			out.GroupProducts = append(out.GroupProducts, wire(p))
		}
	}
	return out
}

// StoreStockJSON is one entry of StockResultType.
type StoreStockJSON struct {
	Name       string `json:"name"`
	Address    string `json:"address"`
	Latitude   string `json:"latitude"`
	Longitude  string `json:"longitude"`
	Stock      string `json:"stock"`
	StoreHours any    `json:"store_hours"`
	PK         int64  `json:"pk"`
	Phone      string `json:"phone"`
}

// StoreStockWire renders stores with the stock each holds.
func StoreStockWire(stores []RetailStore, stock []int64) []StoreStockJSON {
	out := []StoreStockJSON{}
	for i, st := range stores {
		out = append(out, StoreStockJSON{Name: st.Name, Address: st.Address, Latitude: st.Latitude, Longitude: st.Longitude,
			Stock: strconv.FormatInt(stock[i], 10), StoreHours: st.StoreHours, PK: st.PK, Phone: st.Phone})
	}
	return out
}

// SuggestionGroup is one group of the autocomplete's answer.
type SuggestionGroup struct {
	SuggestionType string            `json:"suggestion_type"`
	Entries        []SuggestionEntry `json:"entries"`
}

type SuggestionEntry struct {
	Label          string         `json:"label"`
	URL            string         `json:"url"`
	SuggestionType string         `json:"suggestion_type"`
	Extra          map[string]any `json:"extra"`
}

// Wire renders the suggestions in language; the products show their
// price in currency and no offers.
func (found Suggestions) Wire(currency, language string) []SuggestionGroup {
	groups := []SuggestionGroup{}
	if len(found.Categories) > 0 {
		g := SuggestionGroup{SuggestionType: "Category"}
		for _, c := range found.Categories {
			parents := []string{}
			for _, a := range c.Ancestors() {
				if a != c {
					parents = append(parents, a.Label(language))
				}
			}
			g.Entries = append(g.Entries, SuggestionEntry{Label: c.Label(language), URL: c.URL(), SuggestionType: "Category",
				Extra: map[string]any{"category_id": c.ID, "parent_categories": parents}})
		}
		groups = append(groups, g)
	}
	if len(found.Products) > 0 {
		g := SuggestionGroup{SuggestionType: "Product"}
		for _, p := range found.Products {
			pj := p.Wire(currency, language, p.Stock, Offers{})
			extra := map[string]any{"image": pj.Image, "price": pj.Price, "retail_price": pj.RetailPrice, "product_type": pj.ProductType}
			g.Entries = append(g.Entries, SuggestionEntry{Label: pj.Name, URL: pj.AbsoluteURL, SuggestionType: "Product", Extra: extra})
		}
		groups = append(groups, g)
	}
	return groups
}
