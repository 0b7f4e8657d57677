package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/catalog"
)

// productResultJSON is ProductResult of types/commerce/product.ts.
type productResultJSON struct {
	InStock         bool                  `json:"in_stock"`
	Product         catalog.ProductJSON   `json:"product"`
	SelectedVariant *catalog.ProductJSON  `json:"selected_variant"`
	Variants        []variantJSON         `json:"variants"`
	GroupProducts   []catalog.ProductJSON `json:"group_products,omitempty"`
}

type variantJSON struct {
	AttributeKey  string              `json:"attribute_key"`
	AttributeName string              `json:"attribute_name"`
	Options       []variantOptionJSON `json:"options"`
}

type variantOptionJSON struct {
	Label                    string              `json:"label"`
	Value                    string              `json:"value"`
	Order                    int                 `json:"order"`
	InStock                  bool                `json:"in_stock"`
	IsSelectable             bool                `json:"is_selectable"`
	IsSelectableWithoutStock bool                `json:"is_selectable_without_stock"`
	IsSelected               bool                `json:"is_selected"`
	Product                  catalog.ProductJSON `json:"product"`
}

func renderProductPage(page *catalog.ProductPage, loc locale, withGroup bool, offers catalog.Offers) productResultJSON {
	wire := func(p *catalog.Product) catalog.ProductJSON {
		return p.Wire(loc.currency, loc.language, page.Stock[p.ID], offers)
	}
	product := wire(page.Product)
	out := productResultJSON{InStock: product.InStock, Product: product, Variants: []variantJSON{}}
	if page.Selected != nil {
		sel := wire(page.Selected)
		out.SelectedVariant = &sel
	}
	for _, v := range page.Variants {
		vj := variantJSON{AttributeKey: v.Attribute.Key, AttributeName: v.Attribute.Label(loc.language), Options: []variantOptionJSON{}}
		for _, o := range v.Options {
			vj.Options = append(vj.Options, variantOptionJSON{
				Label: v.Attribute.ValueLabel(o.Value, loc.language), Value: o.Value, Order: o.Order, InStock: o.InStock, IsSelectable: o.IsSelectable,
				IsSelectableWithoutStock: o.IsSelectableWithoutStock, IsSelected: o.IsSelected, Product: wire(o.Product),
			})
		}
		out.Variants = append(out.Variants, vj)
	}
	if withGroup {
		out.GroupProducts = []catalog.ProductJSON{}
		for _, p := range page.Group {
			out.GroupProducts = append(out.GroupProducts, wire(p))
		}
	}
	return out
}

func (s *Server) productPage(w http.ResponseWriter, r *http.Request) error {
	m, epoch, err := s.catalog.Fresh(r.Context())
	if err != nil {
		return err
	}
	pk, valid := catalog.ParsePK(r.PathValue("pk"))
	p, found := m.Product(pk)
	if !valid || !found {
		return apperror.ErrNotFound
	}
	return s.serveProduct(w, r, m, epoch, p, strings.HasPrefix(r.URL.Path, "/group-product/"))
}

// serveProduct answers a product page with the current stock of the
// product and its variants.
func (s *Server) serveProduct(w http.ResponseWriter, r *http.Request, m *catalog.Model, epoch catalog.Epoch, p *catalog.Product, withGroup bool) error {
	loc := s.locale(r)
	params := r.URL.Query()
	key := catalog.CacheKey("product", strconv.FormatInt(p.ID, 10), strconv.FormatBool(withGroup), loc.currency, loc.language, canonicalQuery(params))
	return s.serveWithStock(w, r, m, epoch, key, func() ([]int64, func(map[int64]int64, catalog.Offers) any, error) {
		var ids []int64
		for _, q := range m.Group(p) {
			ids = append(ids, q.ID)
		}
		return ids, func(stock map[int64]int64, offers catalog.Offers) any {
			return renderProductPage(m.ProductPage(p, params, stock, loc.currency), loc, withGroup, offers)
		}, nil
	})
}

// categoryListJSON is the DRF list of ProductCategoryResult.
type categoryListJSON struct {
	Count    int                    `json:"count"`
	Next     *string                `json:"next"`
	Previous *string                `json:"previous"`
	Results  []catalog.CategoryJSON `json:"results"`
}

// productFromPath is the product the path's pk names; an unknown one is a 404.
func (s *Server) productFromPath(r *http.Request) (*catalog.Model, *catalog.Product, error) {
	m, err := s.catalog.Current(r.Context())
	if err != nil {
		return nil, nil, err
	}
	pk, valid := catalog.ParsePK(r.PathValue("pk"))
	p, found := m.Product(pk)
	if !valid || !found {
		return nil, nil, apperror.ErrNotFound
	}
	return m, p, nil
}

func (s *Server) productCategoryNodes(w http.ResponseWriter, r *http.Request) error {
	m, p, err := s.productFromPath(r)
	if err != nil {
		return err
	}
	lang := s.language(r)
	categories := m.ProductCategories(p)
	out := categoryListJSON{Count: len(categories), Results: []catalog.CategoryJSON{}}
	limit := len(categories)
	if raw := strings.TrimSpace(r.URL.Query().Get("limit")); raw != "" {
		if n, err := strconv.Atoi(raw); err == nil && n > 0 && n < limit {
			limit = n
		}
	}
	for _, c := range categories[:limit] {
		out.Results = append(out.Results, c.Wire(lang))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) productCategory(w http.ResponseWriter, r *http.Request) error {
	m, p, err := s.productFromPath(r)
	if err != nil {
		return err
	}
	categories := m.ProductCategories(p)
	if len(categories) == 0 {
		return apperror.ErrNotFound
	}
	return writeJSON(w, http.StatusOK, categories[0].Wire(s.language(r)))
}

func (s *Server) menu(w http.ResponseWriter, r *http.Request) error {
	m, err := s.catalog.Current(r.Context())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	depth := 3
	if n, err := strconv.Atoi(strings.TrimSpace(q.Get("depth_height"))); err == nil && n > 0 {
		depth = min(n, catalog.MaxMenuDepth)
	}
	parent := strings.TrimSpace(q.Get("parent"))
	lang := s.language(r)
	return writeCached(w, r, m, catalog.CacheKey("menu", strconv.Itoa(depth), parent, lang), func() (any, error) {
		return map[string]any{"menu": m.Menu(parent, depth, lang)}, nil
	})
}

func (s *Server) breadcrumb(w http.ResponseWriter, r *http.Request) error {
	m, err := s.catalog.Current(r.Context())
	if err != nil {
		return err
	}
	item := strings.TrimSpace(r.URL.Query().Get("item"))
	lang := s.language(r)
	return writeCached(w, r, m, catalog.CacheKey("breadcrumb", item, lang), func() (any, error) {
		return map[string]any{"menu": m.Breadcrumb(item, lang)}, nil
	})
}

// Autocomplete answers every keystroke, so its answers are cached per query.
const autocompleteLimit = 8

type suggestionGroup struct {
	SuggestionType string            `json:"suggestion_type"`
	Entries        []suggestionEntry `json:"entries"`
}

type suggestionEntry struct {
	Label          string         `json:"label"`
	URL            string         `json:"url"`
	SuggestionType string         `json:"suggestion_type"`
	Extra          map[string]any `json:"extra"`
}

func (s *Server) autocomplete(w http.ResponseWriter, r *http.Request) error {
	m, err := s.catalog.Current(r.Context())
	if err != nil {
		return err
	}
	query := r.URL.Query().Get("search_text")
	loc := s.locale(r)
	return writeCached(w, r, m, catalog.CacheKey("autocomplete", query, loc.currency, loc.language), func() (any, error) {
		found := m.Autocomplete(query, autocompleteLimit)
		groups := []suggestionGroup{}
		if len(found.Categories) > 0 {
			g := suggestionGroup{SuggestionType: "Category"}
			for _, c := range found.Categories {
				parents := []string{}
				for _, a := range c.Ancestors() {
					if a != c {
						parents = append(parents, a.Label(loc.language))
					}
				}
				g.Entries = append(g.Entries, suggestionEntry{Label: c.Label(loc.language), URL: c.URL(), SuggestionType: "Category",
					Extra: map[string]any{"category_id": c.ID, "parent_categories": parents}})
			}
			groups = append(groups, g)
		}
		if len(found.Products) > 0 {
			g := suggestionGroup{SuggestionType: "Product"}
			for _, p := range found.Products {
				pj := p.Wire(loc.currency, loc.language, p.Stock, catalog.Offers{}) // suggestions show no offers
				extra := map[string]any{"image": pj.Image, "price": pj.Price, "retail_price": pj.RetailPrice, "product_type": pj.ProductType}
				g.Entries = append(g.Entries, suggestionEntry{Label: pj.Name, URL: pj.AbsoluteURL, SuggestionType: "Product", Extra: extra})
			}
			groups = append(groups, g)
		}
		return map[string]any{"groups": groups}, nil
	})
}
