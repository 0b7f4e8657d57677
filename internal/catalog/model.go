package catalog

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/promotion"
	"github.com/vitrin/vitrin/internal/searchtext"
)

// Model is one node's immutable picture of the catalog at one version.
// Products are addressed by their position (int32), their rank by id;
// bitsets and sort orders hold positions. The lookups are sorted arrays
// of ids and positions rather than maps: a million entries of a map take
// several times the memory.
type Model struct {
	Version int64
	Store   StoreSettings

	products   chunked[*Product]
	ids        []int64 // by position, ascending
	slugOrder  []int32 // positions by slug (trimmed of slashes), then position
	groupOrder []int32 // positions by base code, then position
	listable   bitset

	Categories     []*Category // tree order
	categoryByID   map[int64]*Category
	categoryBySlug map[string]*Category
	roots          []*Category

	Attributes     []*Attribute // by sort_order
	attributeByKey map[string]*Attribute
	facets         []*Attribute
	variantAttrs   []*Attribute

	// Sort orders over all products, listable or not.
	newest  []int32
	byPrice map[string]sortedChunks   // currency → ascending, unpriced last
	prices  map[string]chunked[int64] // currency → price per position, -1 unpriced

	priceBuckets map[string][]priceBucket // currency → the price facet's ranges

	search *searchIndex

	redirects map[string]string // old path → new path

	offers offerPhases

	cache     *responseCache
	installed time.Time // when it began to serve
}

// Product is one sellable item (a SKU). A model holds a million of
// them, so a product is kept small: what it shares with its variants is
// held once for them all (Texts), times are Unix nanoseconds, and the
// search text, needed only to build the search index, is a hash.
type Product struct {
	ID   int64
	SKU  string
	Slug string
	*Texts
	attrs      *attributes
	Stock      int64
	Prices     Prices
	Listable   bool
	created    int64
	modified   int64
	searchHash uint64 // of the folded search text
}

// Texts are what the sizes of one model and color mostly share (texts,
// images, categories); equal ones are held once (shareTexts).
type Texts struct {
	BaseCode     string
	Name         string
	Description  string
	TaxRate      string
	Translations Translations
	Images       []string
	Categories   []int64 // as imported, in id order
}

// attributes are a product's attributes as imported (raw, shown as they
// are) and as text by key (values, sorted by key). Products of the same
// brand, color, material and size have the same ones, held once.
type attributes struct {
	raw    json.RawMessage
	values []attrValue
}

// Created is when the product was first imported.
func (p *Product) Created() time.Time { return time.Unix(0, p.created).UTC() }

// Modified is when the product last changed.
func (p *Product) Modified() time.Time { return time.Unix(0, p.modified).UTC() }

// Price is a product's price in one currency.
type Price struct {
	Price       money.Amount
	RetailPrice money.Amount
}

// Text is a translated name and description.
type Text struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Title       string `json:"title"`
	Content     string `json:"content"`
}

// Category is a node of the category tree.
type Category struct {
	ID           int64
	Code         string
	ParentID     int64 // 0 for a root
	Name         string
	Slug         string
	SortOrder    int
	Depth        int
	UUID         string
	Attributes   json.RawMessage
	Translations Translations
	Children     []*Category
	Parent       *Category
	folded       string
	// products: listable products in this category or below.
	products bitset
}

// Attribute is a product attribute; facet ones filter listings, variant
// ones select among the products of one base code.
type Attribute struct {
	Key          string
	Name         string
	Facet        bool
	Variant      bool
	SortOrder    int
	Translations Translations
	// valueLabels are the values' labels in other languages, by value.
	valueLabels map[string]Translations
	values      []*attributeValue // sorted by value
}

type attributeValue struct {
	value    string
	products bitset // listable products with this value
}

// Label returns the name in lang, falling back to the base name.
func (a *Attribute) Label(lang string) string {
	if t, ok := a.Translations.Get(lang); ok && t.Name != "" {
		return t.Name
	}
	return a.Name
}

// ValueLabel returns how value reads in lang: its translation, or the
// value itself.
func (a *Attribute) ValueLabel(value, lang string) string {
	if t, ok := a.valueLabels[value].Get(lang); ok && t.Name != "" {
		return t.Name
	}
	return value
}

// Label returns the category's name in lang.
func (c *Category) Label(lang string) string {
	if t, ok := c.Translations.Get(lang); ok && t.Name != "" {
		return t.Name
	}
	return c.Name
}

// URL is the category's pretty URL.
func (c *Category) URL() string { return "/" + c.Slug + "/" }

// Ancestors returns the path from the root down to c, c included.
func (c *Category) Ancestors() []*Category {
	var path []*Category
	for n := c; n != nil; n = n.Parent {
		path = append(path, n)
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path
}

// Label returns the product's name in lang.
func (p *Product) Label(lang string) string {
	if t, ok := p.Translations.Get(lang); ok && t.Name != "" {
		return t.Name
	}
	return p.Name
}

// Text returns the product's description in lang.
func (p *Product) Text(lang string) string {
	if t, ok := p.Translations.Get(lang); ok && t.Description != "" {
		return t.Description
	}
	return p.Description
}

// URL is the product's pretty URL.
func (p *Product) URL() string { return "/" + p.Slug + "/" }

// AttributeValue returns the attribute's value as text ("" when absent).
func (p *Product) AttributeValue(key string) string {
	for _, a := range p.attrs.values {
		if a.key == key {
			return a.value
		}
	}
	return ""
}

// attrValue is one attribute of a product as text. A product has a few,
// so a slice is smaller than a map and as fast to search.
type attrValue struct{ key, value string }

// Translations are a record's texts by language, few per record.
type Translations []Translation

// Translation is a record's text in one language.
type Translation struct {
	Language string
	Text
}

// Get returns the text in lang.
func (ts Translations) Get(lang string) (Text, bool) {
	for _, t := range ts {
		if t.Language == lang {
			return t.Text, true
		}
	}
	return Text{}, false
}

// Prices are a product's prices by currency, few per product.
type Prices []CurrencyPrice

// CurrencyPrice is a product's price in one currency.
type CurrencyPrice struct {
	Currency string
	Price
}

// Get returns the price in cur.
func (ps Prices) Get(cur string) (Price, bool) {
	for _, p := range ps {
		if p.Currency == cur {
			return p.Price, true
		}
	}
	return Price{}, false
}

// Product returns the product with id, active or listable or not.
func (m *Model) Product(id int64) (*Product, bool) {
	pos, ok := m.position(id)
	if !ok {
		return nil, false
	}
	return m.at(pos), true
}

// position is the position of the product with id.
func (m *Model) position(id int64) (int32, bool) {
	i, found := slices.BinarySearch(m.ids, id)
	return int32(i), found
}

// at is the product at pos.
func (m *Model) at(pos int32) *Product { return m.products.at(pos) }

// size is how many products the model holds.
func (m *Model) size() int { return len(m.ids) }

// Category returns the active category with id.
func (m *Model) Category(id int64) (*Category, bool) {
	c, ok := m.categoryByID[id]
	return c, ok
}

// load builds the model of the catalog as it is in the database now.
// Products that are the same as in previous (the model serving, or nil)
// are taken from it rather than kept twice, so a rebuild beside a
// serving model does not double the memory the catalog takes.
func load(ctx context.Context, db *database.DB, promos *promotion.Service, version int64, previous *Model) (*Model, error) {
	m := &Model{
		Version:        version,
		categoryByID:   map[int64]*Category{},
		categoryBySlug: map[string]*Category{},
		attributeByKey: map[string]*Attribute{},
		byPrice:        map[string]sortedChunks{},
		prices:         map[string]chunked[int64]{},
		priceBuckets:   map[string][]priceBucket{},
		redirects:      map[string]string{},
		cache:          newResponseCache(),
	}
	var err error
	if m.Store, err = LoadStoreSettings(ctx, db); err != nil {
		return nil, err
	}
	var folded []string // each position's search text, until indexed
	steps := []func(context.Context, *database.DB) error{
		m.loadAttributes, m.loadCategories, m.loadRedirects,
		func(ctx context.Context, db *database.DB) (err error) {
			folded, err = m.loadProducts(ctx, db, previous)
			return err
		},
	}
	for _, step := range steps {
		if err := step(ctx, db); err != nil {
			return nil, fmt.Errorf("catalog model: %w", err)
		}
	}
	if err := m.loadOffers(ctx, db, promos); err != nil {
		return nil, fmt.Errorf("catalog model: %w", err)
	}
	m.index(folded)
	return m, nil
}

func decodeTranslations(raw string) Translations {
	if raw == "" || raw == "{}" {
		return nil
	}
	var byLang map[string]Text
	if json.Unmarshal([]byte(raw), &byLang) != nil {
		return nil
	}
	out := make(Translations, 0, len(byLang))
	for lang, text := range byLang {
		out = append(out, Translation{Language: intern(strings.ToLower(lang)), Text: text})
	}
	return out
}

// decodeValueTranslations reads {"value": {"en-us": {"name": ...}}}.
func decodeValueTranslations(raw string) map[string]Translations {
	if raw == "" || raw == "{}" {
		return nil
	}
	var byValue map[string]json.RawMessage
	if json.Unmarshal([]byte(raw), &byValue) != nil {
		return nil
	}
	out := make(map[string]Translations, len(byValue))
	for value, tr := range byValue {
		out[value] = decodeTranslations(string(tr))
	}
	return out
}

// interned holds the few strings that every product repeats (languages,
// currencies, attribute keys), so 100,000 products share one copy each.
var interned sync.Map

func intern(s string) string {
	if v, ok := interned.Load(s); ok {
		return v.(string)
	}
	v, _ := interned.LoadOrStore(s, s)
	return v.(string)
}

func (m *Model) loadAttributes(ctx context.Context, db *database.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT key, name, facet, variant, sort_order, translations, value_translations FROM attributes ORDER BY sort_order, key`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		a := &Attribute{}
		var tr, valueTr string
		if err := rows.Scan(&a.Key, &a.Name, &a.Facet, &a.Variant, &a.SortOrder, &tr, &valueTr); err != nil {
			return err
		}
		a.Translations = decodeTranslations(tr)
		a.valueLabels = decodeValueTranslations(valueTr)
		m.Attributes = append(m.Attributes, a)
		m.attributeByKey[a.Key] = a
		if a.Facet {
			m.facets = append(m.facets, a)
		}
		if a.Variant {
			m.variantAttrs = append(m.variantAttrs, a)
		}
	}
	return rows.Err()
}

func (m *Model) loadCategories(ctx context.Context, db *database.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT id, code, COALESCE(parent_id, 0), name, slug, sort_order, depth, attributes, translations, uuid, search_text
		FROM categories WHERE is_active ORDER BY path`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		c := &Category{}
		var attrs, tr string
		if err := rows.Scan(&c.ID, &c.Code, &c.ParentID, &c.Name, &c.Slug, &c.SortOrder, &c.Depth, &attrs, &tr, &c.UUID, &c.folded); err != nil {
			return err
		}
		c.Attributes = json.RawMessage(attrs)
		if !json.Valid(c.Attributes) {
			c.Attributes = json.RawMessage("{}")
		}
		c.Translations = decodeTranslations(tr)
		if c.folded == "" {
			c.folded = searchtext.Fold(c.Name)
		}
		m.Categories = append(m.Categories, c)
		m.categoryByID[c.ID] = c
		m.categoryBySlug[strings.Trim(c.Slug, "/")] = c
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// Path order puts parents first; siblings are then ordered by sort_order.
	for _, c := range m.Categories {
		if p, ok := m.categoryByID[c.ParentID]; ok {
			c.Parent = p
			p.Children = append(p.Children, c)
		} else {
			m.roots = append(m.roots, c)
		}
	}
	bySort := func(list []*Category) {
		sort.SliceStable(list, func(i, j int) bool { return list[i].SortOrder < list[j].SortOrder })
	}
	bySort(m.roots)
	for _, c := range m.Categories {
		bySort(c.Children)
	}
	// Tree order with siblings in sort order.
	m.Categories = m.Categories[:0]
	var walk func([]*Category)
	walk = func(list []*Category) {
		for _, c := range list {
			m.Categories = append(m.Categories, c)
			walk(c.Children)
		}
	}
	walk(m.roots)
	return nil
}

// The product queries, shared by the full load and by applyChanges.
const (
	productQuery = `SELECT id, sku, base_code, name, description, slug, listable, attributes, images, tax_rate, stock, translations, created_at, updated_at, search_text
		FROM products`
	priceQuery           = `SELECT product_id, currency, price, retail_price FROM product_prices`
	productCategoryQuery = `SELECT product_id, category_id FROM product_categories`
)

// loadProducts loads the active products with their prices and active
// categories, and returns their search texts by position. The prices and
// categories are read first, so that each product is complete when it is
// read and, when previous holds the same product, the copy just read is
// dropped at once.
func (m *Model) loadProducts(ctx context.Context, db *database.DB, previous *Model) ([]string, error) {
	prices := map[int64]Prices{}
	err := scanPrices(ctx, db, priceQuery, nil, func(id int64, cp CurrencyPrice) {
		prices[id] = append(prices[id], cp)
	})
	if err != nil {
		return nil, err
	}
	categories := map[int64][]int64{}
	err = scanProductCategories(ctx, db, productCategoryQuery+" ORDER BY product_id, category_id", nil, func(pid, cid int64) {
		if m.categoryByID[cid] != nil {
			categories[pid] = append(categories[pid], cid)
		}
	})
	if err != nil {
		return nil, err
	}
	var list []*Product
	var folded []string
	err = scanProducts(ctx, db, productQuery+" WHERE active ORDER BY id", nil, func(p *Product, text string) {
		p.Prices, p.Categories = prices[p.ID], categories[p.ID]
		old, known := previous.product(p.ID)
		switch {
		case known && sameProduct(old, p):
			p = old
		case known:
			shareTexts(p, old)
		case len(list) > 0:
			shareTexts(p, list[len(list)-1])
		}
		list = append(list, p)
		folded = append(folded, text)
	})
	if err != nil {
		return nil, err
	}
	m.products = newChunked(list)
	m.ids = make([]int64, len(list))
	for i, p := range list {
		m.ids[i] = p.ID
	}
	m.slugOrder = positionsBy(list, slugKey)
	m.groupOrder = positionsBy(list, groupKey)
	return folded, nil
}

func slugKey(p *Product) string  { return strings.Trim(p.Slug, "/") }
func groupKey(p *Product) string { return p.BaseCode }

// positionsBy returns the positions of list ordered by key, then by
// position.
func positionsBy(list []*Product, key func(*Product) string) []int32 {
	order := make([]int32, len(list))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		return cmp.Or(strings.Compare(key(list[a]), key(list[b])), cmp.Compare(a, b))
	})
	return order
}

// findBy returns the range of order (positionsBy of key) whose key is k.
func (m *Model) findBy(order []int32, key func(*Product) string, k string) []int32 {
	lo := sort.Search(len(order), func(i int) bool { return key(m.at(order[i])) >= k })
	hi := lo
	for hi < len(order) && key(m.at(order[hi])) == k {
		hi++
	}
	return order[lo:hi]
}

// product is Product on a model that may be nil.
func (m *Model) product(id int64) (*Product, bool) {
	if m == nil {
		return nil, false
	}
	return m.Product(id)
}

// scanProducts runs query (productQuery with a condition) and hands each
// product to add.
func scanProducts(ctx context.Context, db *database.DB, query string, args []any, add func(p *Product, folded string)) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	seen := map[string]*attributes{}
	for rows.Next() {
		p := &Product{Texts: &Texts{}}
		var attrs, images, tr, folded string
		var created, modified time.Time
		if err := rows.Scan(&p.ID, &p.SKU, &p.BaseCode, &p.Name, &p.Description, &p.Slug, &p.Listable, &attrs, &images, &p.TaxRate, &p.Stock, &tr, &created, &modified, &folded); err != nil {
			return err
		}
		p.created, p.modified = created.UnixNano(), modified.UnixNano()
		if p.attrs = seen[attrs]; p.attrs == nil {
			p.attrs = parseAttributes(attrs)
			if len(seen) < maxSeenAttributes {
				seen[attrs] = p.attrs
			}
		}
		_ = json.Unmarshal([]byte(images), &p.Images)
		p.Translations = decodeTranslations(tr)
		slices.SortFunc(p.Translations, func(a, b Translation) int { return strings.Compare(a.Language, b.Language) })
		if folded == "" {
			folded = searchtext.Fold(p.Name + " " + p.SKU)
		}
		p.searchHash = maphash.String(searchSeed, folded)
		add(p, folded)
	}
	return rows.Err()
}

// shareTexts points p at q's texts, prices and categories where they
// are equal. Variants of one model (sizes of a color) are read one after
// the other and mostly differ in a size and a SKU, so a million products
// hold their names, descriptions, translations and images once per
// color instead of once per size; an applied change shares with the
// product it replaces, so a stream of changes keeps it that way.
func shareTexts(p, q *Product) {
	if sameTexts(p.Texts, q.Texts) {
		p.Texts = q.Texts
	}
	if slices.Equal(p.Prices, q.Prices) {
		p.Prices = q.Prices
	}
	if bytes.Equal(p.attrs.raw, q.attrs.raw) {
		p.attrs = q.attrs
	}
}

// maxSeenAttributes bounds the attributes one read of products keeps to
// share: a catalog whose attributes are all different shares nothing.
const maxSeenAttributes = 1 << 16

// parseAttributes reads a product's attributes column.
func parseAttributes(raw string) *attributes {
	a := &attributes{raw: json.RawMessage(raw)}
	var values map[string]any
	if json.Unmarshal(a.raw, &values) != nil {
		a.raw = json.RawMessage("{}")
	}
	a.values = make([]attrValue, 0, len(values))
	for k, v := range values {
		switch v := v.(type) {
		case string:
			a.values = append(a.values, attrValue{intern(k), v})
		case float64, bool:
			a.values = append(a.values, attrValue{intern(k), fmt.Sprint(v)})
		}
	}
	slices.SortFunc(a.values, func(x, y attrValue) int { return strings.Compare(x.key, y.key) })
	return a
}

func sameTexts(a, b *Texts) bool {
	return a.BaseCode == b.BaseCode && a.Name == b.Name && a.Description == b.Description && a.TaxRate == b.TaxRate &&
		sameTranslations(a.Translations, b.Translations) && slices.Equal(a.Images, b.Images) && slices.Equal(a.Categories, b.Categories)
}

// searchSeed hashes search texts; the hashes live in this process only.
var searchSeed = maphash.MakeSeed()

// scanPrices runs query (priceQuery with a condition) and hands each
// price to add with its product's id.
func scanPrices(ctx context.Context, db *database.DB, query string, args []any, add func(int64, CurrencyPrice)) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var cur string
		var pr Price
		if err := rows.Scan(&id, &cur, &pr.Price, &pr.RetailPrice); err != nil {
			return err
		}
		add(id, CurrencyPrice{Currency: intern(strings.ToUpper(cur)), Price: pr})
	}
	return rows.Err()
}

// scanProductCategories runs query (productCategoryQuery with a
// condition) and hands each link to add.
func scanProductCategories(ctx context.Context, db *database.DB, query string, args []any, add func(productID, categoryID int64)) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var pid, cid int64
		if err := rows.Scan(&pid, &cid); err != nil {
			return err
		}
		add(pid, cid)
	}
	return rows.Err()
}

func (m *Model) loadRedirects(ctx context.Context, db *database.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT old_path, new_path FROM redirects`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var from, to string
		if err := rows.Scan(&from, &to); err != nil {
			return err
		}
		m.redirects[normalizePath(from)] = to
	}
	return rows.Err()
}

// normalizePath gives "/a/b/" for "a/b", "/a/b" or "/a/b/".
func normalizePath(p string) string {
	p = strings.Trim(strings.TrimSpace(p), "/")
	if p == "" {
		return "/"
	}
	return "/" + p + "/"
}

// index builds the bitsets, sort orders and search index (of folded,
// the search texts by position).
func (m *Model) index(folded []string) {
	n := m.size()
	m.listable = newBitset(n)
	for _, c := range m.Categories {
		c.products = newBitset(n)
	}
	values := map[*Attribute]map[string]*attributeValue{}
	for _, a := range m.facets {
		values[a] = map[string]*attributeValue{}
	}
	m.products.each(func(pos int32, p *Product) {
		if !p.Listable {
			return
		}
		m.listable.set(pos)
		for _, cid := range p.Categories {
			for c := m.categoryByID[cid]; c != nil; c = c.Parent {
				c.products.set(pos)
			}
		}
		for _, a := range m.facets {
			v := p.AttributeValue(a.Key)
			if v == "" {
				continue
			}
			av := values[a][v]
			if av == nil {
				av = &attributeValue{value: v, products: newBitset(n)}
				values[a][v] = av
			}
			av.products.set(pos)
		}
	})
	for a, byValue := range values {
		for _, av := range byValue {
			a.values = append(a.values, av)
		}
		// variantLess is not a total order (sizes rank among themselves,
		// other values by name), so the result depends on where sorting
		// starts: from the values in byte order, every build agrees.
		slices.SortFunc(a.values, func(x, y *attributeValue) int { return strings.Compare(x.value, y.value) })
		sort.SliceStable(a.values, func(i, j int) bool { return variantLess(a.values[i].value, a.values[j].value) })
	}

	m.newest = make([]int32, n)
	for i := range m.newest {
		m.newest[i] = int32(i)
	}
	sort.SliceStable(m.newest, func(i, j int) bool {
		a, b := m.at(m.newest[i]), m.at(m.newest[j])
		if a.created != b.created {
			return a.created > b.created
		}
		return a.ID > b.ID
	})
	for _, cur := range m.Store.Currencies {
		prices := make([]int64, n)
		order := make([]int32, n)
		m.products.each(func(pos int32, p *Product) {
			prices[pos] = priceIn(p, cur)
			order[pos] = pos
		})
		slices.SortFunc(order, byPriceOrder(func(pos int32) int64 { return prices[pos] }))
		m.prices[cur] = newChunked(prices)
		m.byPrice[cur] = newSortedChunks(order, pricedAndListable(m.prices[cur], m.listable))
		m.priceBuckets[cur] = buildPriceBuckets(m.byPrice[cur], m.prices[cur], m.listable, cur)
	}
	m.search = buildSearchIndex(m, folded)
}

// naturalLess orders numbers by value ("2" before "10") and other text
// alphabetically, whatever its case, with accented letters next to their
// plain forms: Turkish "Çizgili" and "İpek" among the c's and i's, not
// after z as their bytes would put them.
func naturalLess(a, b string) bool {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	if errA == nil && errB == nil && x != y {
		return x < y
	}
	if fa, fb := searchtext.Fold(a), searchtext.Fold(b); fa != fb {
		return fa < fb
	}
	return a < b
}
