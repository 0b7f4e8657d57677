package catalog

import (
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/money"
)

// Paging limits of listings.
const (
	DefaultPageSize = 24
	MaxPageSize     = 100
)

// CategoryFacetKey is the query parameter (and facet key) that filters by
// category; attribute facets use AttributeSearchKey.
const CategoryFacetKey = "category_ids"

// AttributeSearchKey is the query parameter that filters by an attribute.
func AttributeSearchKey(attr string) string { return "attributes_" + attr }

// ListRequest is one listing to compute.
type ListRequest struct {
	Params   url.Values
	Currency string
	Language string
	// Category restricts the listing to a category page's subtree.
	Category *Category
	// Curated restricts the listing to a special page's products, in the
	// page's order (the default sort).
	Curated []int64
}

// Listing is a page of products with facets, sorters and paging.
type Listing struct {
	Products   []*Product
	Facets     []Facet
	Sorters    []Sorter
	Page       int
	PageSize   int
	NumPages   int
	Total      int
	SearchText *string
}

// Facet is one filter offered on a listing, in the wire shape.
type Facet struct {
	Key         string         `json:"key"`
	Name        string         `json:"name"`
	SearchKey   string         `json:"search_key"`
	WidgetType  string         `json:"widget_type"`
	Order       int            `json:"order"`
	ExtraParams map[string]any `json:"extra_params"`
	Data        FacetData      `json:"data"`
}

// FacetData repeats the facet's identity around its choices, as the wire
// format does.
type FacetData struct {
	Choices    []FacetChoice `json:"choices"`
	Key        string        `json:"key"`
	Name       string        `json:"name"`
	Order      int           `json:"order"`
	SearchKey  string        `json:"search_key"`
	WidgetType string        `json:"widget_type"`
}

// FacetChoice is one value of a facet. Category choices also carry their
// place in the tree.
type FacetChoice struct {
	Label      string `json:"label"`
	Value      any    `json:"value"`
	Quantity   int    `json:"quantity"`
	IsSelected bool   `json:"is_selected"`
	URL        string `json:"url,omitempty"`
	Depth      *int   `json:"depth,omitempty"`
	ParentPK   *int64 `json:"parent_pk,omitempty"`
}

// Sorter is one sort order the listing offers.
type Sorter struct {
	Label      string `json:"label"`
	Value      string `json:"value"`
	IsSelected bool   `json:"is_selected"`
}

var sorterLabels = []struct{ value, tr, en string }{
	{"default", "Önerilen", "Recommended"},
	{"newcomers", "En yeniler", "Newest"},
	{"price", "Artan fiyat", "Price: low to high"},
	{"-price", "Azalan fiyat", "Price: high to low"},
}

// param returns the first value of key, trimmed (clients send stray spaces).
func param(v url.Values, key string) string { return strings.TrimSpace(v.Get(key)) }

// positiveInt reads a positive integer parameter, or def when it is absent
// or not one.
func positiveInt(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return def
	}
	return n
}

// List computes one listing page. Facet counts are disjunctive: each
// facet's counts apply every active filter except its own, so a shopper
// sees how many products each further choice would add.
func (m *Model) List(req ListRequest) (*Listing, error) {
	l := &listing{m: m, req: req, out: newListing(req.Params)}
	l.restrictScope()
	if err := l.filterScope(); err != nil {
		return nil, err
	}
	if err := l.readFacetFilters(); err != nil {
		return nil, err
	}
	result := l.filteredExcept("")
	l.out.Total = result.count()
	l.out.NumPages = max(1, (l.out.Total+l.out.PageSize-1)/l.out.PageSize)
	l.categoryFacet()
	l.attributeFacets()
	l.priceFacet()
	sorter := l.sorters()
	l.fillPage(result, sorter)
	return l.out, nil
}

// listing is one List call in progress, phase by phase.
type listing struct {
	m   *Model
	req ListRequest
	out *Listing
	// scope is what every count starts from: the page's listable
	// products that match the filters that are not facets.
	scope   bitset
	curated []int32 // a special page's products in its order, in scope
	// filters are the facet filters, each the union of its selected
	// values; category, attributes (by key) and price are among them.
	filters    []*facetFilter
	category   *facetFilter
	attributes map[string]*facetFilter
	price      *facetFilter
}

type facetFilter struct {
	key      string
	selected map[string]bool
	products bitset
}

// newListing reads the paging parameters.
func newListing(p url.Values) *Listing {
	out := &Listing{
		Page:     positiveInt(param(p, "page"), 1),
		PageSize: positiveInt(param(p, "page_size"), 0),
	}
	if out.PageSize == 0 {
		out.PageSize = positiveInt(param(p, "limit"), DefaultPageSize)
	}
	out.PageSize = min(out.PageSize, MaxPageSize)
	return out
}

// restrictScope starts the scope: listable products of the category
// page, or of the special page in its order.
func (l *listing) restrictScope() {
	m := l.m
	l.scope = m.listable.clone()
	if l.req.Category != nil {
		l.scope.and(l.req.Category.products)
	}
	if l.req.Curated == nil {
		return
	}
	curated := newBitset(m.size())
	for _, id := range l.req.Curated {
		if pos, ok := m.position(id); ok && l.scope.has(pos) && !curated.has(pos) {
			curated.set(pos)
			l.curated = append(l.curated, pos)
		}
	}
	l.scope = curated
}

// filterScope applies the filters that are not facets, and so apply to
// every count: the search text and the price range.
func (l *listing) filterScope() error {
	p := l.req.Params
	if q, ok := p["search_text"]; ok {
		text := strings.TrimSpace(strings.Join(q, " "))
		l.out.SearchText = &text
		if tokens := queryTokens(text); len(tokens) > 0 {
			l.scope.and(l.m.search.match(tokens))
		}
	}
	return l.m.applyPriceRange(l.scope, p, l.req.Currency)
}

// readFacetFilters reads the selected categories, attribute values and
// price ranges.
func (l *listing) readFacetFilters() error {
	m, p := l.m, l.req.Params
	l.category = &facetFilter{key: CategoryFacetKey, selected: map[string]bool{}}
	for _, raw := range firstValues(p[CategoryFacetKey]) {
		for _, v := range firstValues(strings.Split(raw, ",")) {
			id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			c, ok := m.categoryByID[id]
			if err != nil || !ok {
				continue
			}
			l.category.selected[strconv.FormatInt(id, 10)] = true
			if l.category.products == nil {
				l.category.products = newBitset(m.size())
			}
			l.category.products.or(c.products)
		}
	}
	if l.category.products != nil {
		l.filters = append(l.filters, l.category)
	}
	l.attributes = map[string]*facetFilter{}
	for _, a := range m.facets {
		values := p[AttributeSearchKey(a.Key)]
		if len(values) == 0 {
			continue
		}
		f := &facetFilter{key: AttributeSearchKey(a.Key), selected: map[string]bool{}, products: newBitset(m.size())}
		for _, v := range firstValues(values) {
			f.selected[strings.TrimSpace(v)] = true
		}
		for _, av := range a.values {
			if f.selected[av.value] {
				f.products.or(av.products)
			}
		}
		l.attributes[a.Key] = f
		l.filters = append(l.filters, f)
	}
	l.price = &facetFilter{key: PriceFacetKey}
	var err error
	if l.price.products, l.price.selected, err = m.priceRangeFilter(p[PriceFacetKey], l.req.Currency); err != nil {
		return err
	}
	if l.price.products != nil {
		l.filters = append(l.filters, l.price)
	}
	return nil
}

// filteredExcept is the scope with every facet filter but one applied
// ("": all of them).
func (l *listing) filteredExcept(key string) bitset {
	b := l.scope.clone()
	for _, f := range l.filters {
		if f.key != key {
			b.and(f.products)
		}
	}
	return b
}

// categoryFacet offers the tree below the page's category (or the whole
// tree), each node counting its subtree.
func (l *listing) categoryFacet() {
	base := l.filteredExcept(CategoryFacetKey)
	lang, page := l.req.Language, l.req.Category
	facet := newFacet(CategoryFacetKey, categoryFacetName(lang), "category", 0)
	for _, c := range l.m.Categories {
		if page != nil && (c == page || !isDescendant(c, page)) {
			continue
		}
		pk := strconv.FormatInt(c.ID, 10)
		n := base.andCount(c.products)
		if n == 0 && !l.category.selected[pk] {
			continue
		}
		depth := c.Depth
		choice := FacetChoice{Label: c.Label(lang), Value: c.ID, Quantity: n, IsSelected: l.category.selected[pk], URL: c.URL(), Depth: &depth}
		if c.Parent != nil {
			parent := c.Parent.ID
			choice.ParentPK = &parent
		}
		facet.Data.Choices = append(facet.Data.Choices, choice)
	}
	l.addFacet(facet)
}

// attributeFacets offers each facet attribute's values.
func (l *listing) attributeFacets() {
	lang := l.req.Language
	for i, a := range l.m.facets {
		f := l.attributes[a.Key]
		base := l.filteredExcept(AttributeSearchKey(a.Key))
		facet := newFacet(a.Key, a.Label(lang), "multiselect", i+1)
		facet.SearchKey = AttributeSearchKey(a.Key)
		facet.Data.SearchKey = facet.SearchKey
		translated := false
		for _, av := range a.values {
			n := base.andCount(av.products)
			selected := f != nil && f.selected[av.value]
			if n == 0 && !selected {
				continue
			}
			label := a.ValueLabel(av.value, lang)
			translated = translated || label != av.value
			facet.Data.Choices = append(facet.Data.Choices, FacetChoice{Label: label, Value: av.value, Quantity: n, IsSelected: selected})
		}
		if translated { // values are in order; labels in another language need their own
			sort.SliceStable(facet.Data.Choices, func(i, j int) bool {
				return variantLess(facet.Data.Choices[i].Label, facet.Data.Choices[j].Label)
			})
		}
		l.addFacet(facet)
	}
}

// priceFacet offers the price ranges of the listing's currency.
func (l *listing) priceFacet() {
	buckets := l.m.priceBuckets[l.req.Currency]
	if buckets == nil {
		return
	}
	base := l.filteredExcept(PriceFacetKey)
	facet := newFacet(PriceFacetKey, priceFacetName(l.req.Language), "multiselect", len(l.m.facets)+1)
	for _, bucket := range buckets {
		n := base.andCount(bucket.products)
		selected := l.price.selected[bucket.value]
		if n == 0 && !selected {
			continue
		}
		facet.Data.Choices = append(facet.Data.Choices, FacetChoice{Label: bucket.label, Value: bucket.value, Quantity: n, IsSelected: selected})
	}
	l.addFacet(facet)
}

// addFacet shows a facet that has choices.
func (l *listing) addFacet(f Facet) {
	if len(f.Data.Choices) > 0 {
		l.out.Facets = append(l.out.Facets, f)
	}
}

// sorters offers the sort orders and returns the one chosen.
func (l *listing) sorters() string {
	sorter := param(l.req.Params, "sorter")
	valid := false
	for _, s := range sorterLabels {
		valid = valid || s.value == sorter
	}
	if !valid {
		sorter = "default"
	}
	for _, s := range sorterLabels {
		label := s.en
		if strings.HasPrefix(l.req.Language, "tr") {
			label = s.tr
		}
		l.out.Sorters = append(l.out.Sorters, Sorter{Label: label, Value: s.value, IsSelected: s.value == sorter})
	}
	return sorter
}

// fillPage puts the page's products of result in sorter's order.
func (l *listing) fillPage(result bitset, sorter string) {
	m, out := l.m, l.out
	// Only a page that exists is multiplied out: a huge page number
	// would overflow.
	if out.Page > out.NumPages || out.Total == 0 {
		return
	}
	skip := (out.Page - 1) * out.PageSize
	take := func(pos int32) bool {
		if !result.has(pos) {
			return true
		}
		if skip > 0 {
			skip--
			return true
		}
		out.Products = append(out.Products, m.at(pos))
		return len(out.Products) < out.PageSize
	}
	switch {
	case sorter == "newcomers":
		walk(m.newest, take)
	case sorter == "price" || sorter == "-price":
		// Products without a price in the currency come last either way.
		order, prices := m.byPrice[l.req.Currency], m.prices[l.req.Currency]
		priced := order.search(func(pos int32) bool { return prices.at(pos) < 0 })
		if order.walk(0, priced, sorter == "-price", take) {
			order.walk(priced, order.len(), false, take)
		}
	case l.curated != nil:
		walk(l.curated, take)
	default:
		result.each(take)
	}
}

// maxFilterValues bounds how many values one filter may select, so a
// crafted query string cannot make a listing do unbounded work.
const maxFilterValues = 100

func firstValues(values []string) []string { return values[:min(len(values), maxFilterValues)] }

// walk calls fn for each position of order until fn returns false.
func walk(order []int32, fn func(int32) bool) {
	for _, pos := range order {
		if !fn(pos) {
			return
		}
	}
}

func newFacet(key, name, widget string, order int) Facet {
	return Facet{
		Key: key, Name: name, SearchKey: key, WidgetType: widget, Order: order, ExtraParams: map[string]any{},
		Data: FacetData{Choices: []FacetChoice{}, Key: key, Name: name, Order: order, SearchKey: key, WidgetType: widget},
	}
}

func categoryFacetName(lang string) string {
	if strings.HasPrefix(lang, "tr") {
		return "Kategori"
	}
	return "Category"
}

func isDescendant(c, ancestor *Category) bool {
	for n := c.Parent; n != nil; n = n.Parent {
		if n == ancestor {
			return true
		}
	}
	return false
}

// applyPriceRange keeps the products whose price in cur lies within
// price__gte and price__lte (decimal strings).
func (m *Model) applyPriceRange(scope bitset, p url.Values, cur string) error {
	bounds := [2]int64{-1, -1}
	for i, key := range []string{"price__gte", "price__lte"} {
		raw := param(p, key)
		if raw == "" {
			continue
		}
		amount, err := money.Parse(raw)
		if err != nil || amount < 0 {
			return apperror.Field(key, "Enter a valid amount, e.g. 199.90.")
		}
		bounds[i] = int64(amount)
	}
	if bounds[0] < 0 && bounds[1] < 0 {
		return nil
	}
	prices, known := m.prices[cur]
	if !known { // no product has a price in cur
		clear(scope)
		return nil
	}
	scope.each(func(pos int32) bool {
		price := prices.at(pos)
		if price < 0 || (bounds[0] >= 0 && price < bounds[0]) || (bounds[1] >= 0 && price > bounds[1]) {
			scope[pos>>6] &^= 1 << (uint(pos) & 63)
		}
		return true
	})
	return nil
}
