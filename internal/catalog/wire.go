package catalog

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vitrin/vitrin/internal/money"
)

// ProductJSON is a product in the wire shape of types/commerce/product.ts.
type ProductJSON struct {
	AbsoluteURL      string          `json:"absolute_url"`
	AttributeSet     int             `json:"attribute_set"`
	Attributes       json.RawMessage `json:"attributes"`
	AttributesKwargs map[string]any  `json:"attributes_kwargs"`
	BaseCode         string          `json:"base_code"`
	BasketOffers     []BasketOffer   `json:"basket_offers"`
	CurrencyType     string          `json:"currency_type"`
	DataSource       any             `json:"data_source"`
	ExtraAttributes  map[string]any  `json:"extra_attributes"`
	FormSchema       any             `json:"form_schema"`
	Image            *string         `json:"image"`
	InStock          bool            `json:"in_stock"`
	IsReadyToBasket  bool            `json:"is_ready_to_basket"`
	Name             string          `json:"name"`
	PK               int64           `json:"pk"`
	Price            money.Amount    `json:"price"`
	PriceType        string          `json:"price_type"`
	ProductType      string          `json:"product_type"`
	Images           []ProductImage  `json:"productimage_set"`
	Videos           []any           `json:"productvideo_set"`
	RetailPrice      money.Amount    `json:"retail_price"`
	SKU              string          `json:"sku"`
	Stock            int64           `json:"stock"`
	UnitType         string          `json:"unit_type"`
	CreatedDate      time.Time       `json:"created_date"`
	ModifiedDate     time.Time       `json:"modified_date"`
	Description      string          `json:"description"`
	TaxRate          string          `json:"tax_rate"`
}

// ProductImage is one entry of productimage_set.
type ProductImage struct {
	CreatedDate  time.Time `json:"created_date"`
	Image        string    `json:"image"`
	Order        int       `json:"order"`
	PK           int64     `json:"pk"`
	SpecialImage []any     `json:"specialimage_set"`
	Status       string    `json:"status"`
}

// Wire renders p for a shopper buying in cur and reading lang, with the
// given stock and the offers running. A product without a price in cur is
// shown out of stock and not ready to basket: it cannot be bought in that
// currency.
func (p *Product) Wire(cur, lang string, stock int64, offers Offers) ProductJSON {
	price, priced := p.Prices.Get(cur)
	out := ProductJSON{
		AbsoluteURL: p.URL(), AttributeSet: 1, Attributes: p.attrs.raw, AttributesKwargs: map[string]any{},
		BaseCode: p.BaseCode, BasketOffers: offers.For(p, cur, lang), CurrencyType: strings.ToLower(cur),
		ExtraAttributes: map[string]any{}, InStock: priced && stock > 0, IsReadyToBasket: priced && stock > 0,
		Name: p.Label(lang), PK: p.ID, Price: price.Price, PriceType: "default", ProductType: "0",
		Images: make([]ProductImage, len(p.Images)), Videos: []any{}, RetailPrice: price.RetailPrice,
		SKU: p.SKU, Stock: stock, UnitType: "qty", CreatedDate: p.Created(), ModifiedDate: p.Modified(),
		Description: p.Text(lang), TaxRate: p.TaxRate,
	}
	for i, img := range p.Images {
		// Image pks only need to be stable and unique per product.
		out.Images[i] = ProductImage{CreatedDate: out.CreatedDate, Image: img, Order: i, PK: p.ID*1000 + int64(i), SpecialImage: []any{}, Status: "active"}
	}
	if len(p.Images) > 0 {
		out.Image = &p.Images[0]
	}
	return out
}

// CategoryJSON is a category in the wire shape of types/commerce/category.ts.
type CategoryJSON struct {
	PK            int64           `json:"pk"`
	Name          string          `json:"name"`
	MenuItemModel string          `json:"menuitemmodel"`
	AbsoluteURL   string          `json:"absolute_url"`
	SortOption    int             `json:"sort_option"`
	UUID          string          `json:"uuid"`
	Depth         int             `json:"depth"`
	Attributes    json.RawMessage `json:"attributes"`
}

// Wire renders c in lang. The menu item of a category is the category
// itself, named by its uuid.
func (c *Category) Wire(lang string) CategoryJSON {
	return CategoryJSON{PK: c.ID, Name: c.Label(lang), MenuItemModel: c.UUID, AbsoluteURL: c.URL(), SortOption: c.SortOrder, UUID: c.UUID, Depth: c.Depth, Attributes: c.Attributes}
}

// responseCache keeps encoded answers of one model version. It lives and
// dies with its Model, so an import can never leave a stale answer behind.
type responseCache struct {
	mu      sync.RWMutex
	entries map[string]*Encoded
	bytes   int
	memos   map[string]any
}

// Encoded is an answer body, also gzip-compressed when that pays: listing
// bodies shrink about tenfold, and writing them is most of a cached
// request's cost.
type Encoded struct {
	Body []byte
	Gzip []byte // nil for small bodies
}

// Bounds that keep the cache from growing without limit under crawlers:
// when full, it starts afresh (the hot answers come back at once).
const (
	maxCacheBytes = 128 << 20
	maxCacheKey   = 1024
	minGzipSize   = 1024
)

func newResponseCache() *responseCache {
	return &responseCache{entries: map[string]*Encoded{}, memos: map[string]any{}}
}

// maxMemos bounds the computed values kept per model.
const maxMemos = 10000

// Memo returns the value computed under key, computing and keeping it on
// a miss: what an answer is made from (a listing, a widget's products)
// before the current stock is filled in. Errors are not kept.
func (m *Model) Memo(key string, compute func() (any, error)) (any, error) {
	c := m.cache
	c.mu.RLock()
	v, ok := c.memos[key]
	c.mu.RUnlock()
	if ok {
		return v, nil
	}
	v, err := compute()
	if err != nil || len(key) > maxCacheKey {
		return v, err
	}
	c.mu.Lock()
	if len(c.memos) >= maxMemos {
		c.memos = map[string]any{}
	}
	c.memos[key] = v
	c.mu.Unlock()
	return v, nil
}

// Cached returns the answer stored under key, computing and storing it
// with compute on a miss. Errors are not cached.
func (m *Model) Cached(key string, compute func() ([]byte, error)) (*Encoded, error) {
	if e, ok := m.Lookup(key); ok {
		return e, nil
	}
	body, err := compute()
	if err != nil {
		return nil, err
	}
	e := &Encoded{Body: body}
	if len(body) >= minGzipSize {
		var buf bytes.Buffer
		zw := gzipWriters.Get().(*gzip.Writer)
		zw.Reset(&buf)
		zw.Write(body)
		zw.Close()
		gzipWriters.Put(zw)
		e.Gzip = buf.Bytes()
	}
	m.Keep(key, e)
	return e, nil
}

// gzipWriters are reused: a new writer allocates and clears about a
// megabyte of tables, more work than compressing a product page, and
// every answer of a new model (after each catalog change) is compressed
// afresh.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

// Lookup returns the answer stored under key.
func (m *Model) Lookup(key string) (*Encoded, bool) {
	m.cache.mu.RLock()
	e, ok := m.cache.entries[key]
	m.cache.mu.RUnlock()
	return e, ok
}

// Keep stores an answer under key (also under a second key for one answer).
func (m *Model) Keep(key string, e *Encoded) {
	if len(key) > maxCacheKey {
		return
	}
	c := m.cache
	size := len(key) + len(e.Body) + len(e.Gzip)
	c.mu.Lock()
	if c.bytes+size > maxCacheBytes {
		c.entries, c.bytes = map[string]*Encoded{}, 0
	}
	if _, dup := c.entries[key]; !dup {
		c.entries[key] = e
		c.bytes += size
	}
	c.mu.Unlock()
}

// CacheKey joins the parts that decide an answer.
func CacheKey(parts ...string) string { return strings.Join(parts, "\x00") }

// ParsePK reads a primary key from a path segment.
func ParsePK(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}
