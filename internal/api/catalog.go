package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/catalog"
)

// registerCatalog adds the routes of catalog, content, geography and store pages (issue 3).
func registerCatalog(s *Server) error {
	registerLocale(s)
	s.handle("GET /list", s.listProducts)
	s.handle("GET /category/{pk}", s.categoryPage)
	s.handle("GET /special-page/{pk}", s.specialPage)
	s.handle("GET /product/{pk}", s.productPage)
	s.handle("GET /group-product/{pk}", s.productPage)
	s.handle("GET /products/{pk}/category_nodes", s.productCategoryNodes)
	s.handle("GET /product/{pk}/category", s.productCategory)
	s.handle("GET /menus/generate", s.menu)
	s.handle("GET /misc/menus/generate", s.menu)
	s.handle("GET /menus/generate_breadcrumb", s.breadcrumb)
	s.handle("GET /autocomplete", s.autocomplete)
	s.handle("GET /pretty_urls", s.prettyURLs)
	s.handle("GET /misc/pretty-url/{path...}", s.prettyURL)
	// The client asks for "/" as /misc/pretty-url//, which arrives here
	// with its slashes trimmed; without this route the mux would redirect.
	s.handle("GET /misc/pretty-url", s.prettyURL)
	registerContent(s)
	s.fallback = http.HandlerFunc(s.prettyPage)
	// Build the read model now, so the first shopper does not wait for it
	// (seconds for a large catalog).
	go func() {
		if _, err := s.catalog.Current(context.Background()); err != nil {
			slog.Warn("catalog: building the read model at start", "err", err)
		}
	}()
	return nil
}

// RefreshCatalog keeps the node's catalog model up to date until ctx
// ends; the serve loop runs it.
func (s *Server) RefreshCatalog(ctx context.Context) { s.catalog.Refresh(ctx, catalog.RefreshPeriod) }

// locale is the currency and language an answer is rendered in.
type locale struct{ currency, language string }

func (s *Server) locale(r *http.Request) locale {
	return locale{currency: s.currency(r), language: s.language(r)}
}

// freshModel is model with the database epoch it was checked at.
func (s *Server) freshModel(w http.ResponseWriter, r *http.Request) (*catalog.Model, catalog.Epoch, bool) {
	m, epoch, err := s.catalog.Fresh(r.Context())
	if err != nil {
		writeError(w, r, err)
		return nil, 0, false
	}
	return m, epoch, true
}

// model returns the read model, answering the error itself when there is
// none to be had.
func (s *Server) model(w http.ResponseWriter, r *http.Request) (*catalog.Model, bool) {
	m, err := s.catalog.Current(r.Context())
	if err != nil {
		writeError(w, r, err)
		return nil, false
	}
	return m, true
}

// writeCached answers from the model's response cache, computing the
// body on a miss. The key holds everything the body depends on.
func writeCached(w http.ResponseWriter, r *http.Request, m *catalog.Model, key string, compute func() (any, error)) {
	e, err := m.Cached(key, func() ([]byte, error) {
		v, err := compute()
		if err != nil {
			return nil, err
		}
		return json.Marshal(v)
	})
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeEncoded(w, r, e)
}

// writeEncoded sends a cached answer, compressed when the client accepts it.
func writeEncoded(w http.ResponseWriter, r *http.Request, e *catalog.Encoded) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	body := e.Body
	if e.Gzip != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body = e.Gzip
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for _, coding := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(strings.TrimSpace(coding), ";")
			if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(params, " ", "") != "q=0" {
				return true
			}
		}
	}
	return false
}

// canonicalQuery orders the query parameters, so equivalent URLs share a
// cache entry.
func canonicalQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
			b.WriteByte('&')
		}
	}
	return b.String()
}

// listingJSON is GetCategoryResponse of types/commerce/category.ts.
type listingJSON struct {
	Category    *catalog.CategoryJSON `json:"category,omitempty"`
	SpecialPage any                   `json:"special_page,omitempty"`
	Facets      []catalog.Facet       `json:"facets"`
	Pagination  paginationJSON        `json:"pagination"`
	Products    []catalog.ProductJSON `json:"products"`
	SearchText  *string               `json:"search_text"`
	Sorters     []catalog.Sorter      `json:"sorters"`
}

type paginationJSON struct {
	CurrentPage int `json:"current_page"`
	NumPages    int `json:"num_pages"`
	PageSize    int `json:"page_size"`
	TotalCount  int `json:"total_count"`
}

func renderListing(l *catalog.Listing, loc locale, stock map[int64]int64, offers catalog.Offers) listingJSON {
	out := listingJSON{
		Facets:     l.Facets,
		Pagination: paginationJSON{CurrentPage: l.Page, NumPages: l.NumPages, PageSize: l.PageSize, TotalCount: l.Total},
		Products:   make([]catalog.ProductJSON, len(l.Products)),
		SearchText: l.SearchText,
		Sorters:    l.Sorters,
	}
	if out.Facets == nil {
		out.Facets = []catalog.Facet{}
	}
	for i, p := range l.Products {
		out.Products[i] = p.Wire(loc.currency, loc.language, stock[p.ID], offers)
	}
	return out
}

// serveListing answers a listing: /list/, a category page or a special
// page. The listing itself (facets, counts, the page's products) changes
// only with the catalog version and is computed once per version.
func (s *Server) serveListing(w http.ResponseWriter, r *http.Request, m *catalog.Model, epoch catalog.Epoch, scope string, req catalog.ListRequest, decorate func(*listingJSON)) {
	loc := s.locale(r)
	req.Params, req.Currency, req.Language = r.URL.Query(), loc.currency, loc.language
	key := catalog.CacheKey("list", scope, loc.currency, loc.language, canonicalQuery(req.Params))
	s.serveWithStock(w, r, m, epoch, key, func() ([]int64, func(map[int64]int64, catalog.Offers) any, error) {
		v, err := m.Memo(key, func() (any, error) { return m.List(req) })
		if err != nil {
			return nil, nil, err
		}
		l := v.(*catalog.Listing)
		ids := make([]int64, len(l.Products))
		for i, p := range l.Products {
			ids[i] = p.ID
		}
		return ids, func(stock map[int64]int64, offers catalog.Offers) any {
			out := renderListing(l, loc, stock, offers)
			if decorate != nil {
				decorate(&out)
			}
			return out
		}, nil
	})
}

// serveWithStock answers a cached body that shows products with their
// current stock and the offers running now. prepare names the products and
// how to render them; their stock is read fresh, and the body is cached
// under key, the offers' phase and that stock. While the database epoch
// has not moved, nothing was committed, so the body made under the same
// epoch and phase is served without any query.
func (s *Server) serveWithStock(w http.ResponseWriter, r *http.Request, m *catalog.Model, epoch catalog.Epoch, key string,
	prepare func() (ids []int64, render func(stock map[int64]int64, offers catalog.Offers) any, err error)) {
	offers := m.OffersAt(time.Now())
	key = catalog.CacheKey(key, "offers", offers.Key())
	epochKey := ""
	if epoch != 0 {
		epochKey = catalog.CacheKey(key, "epoch", strconv.FormatUint(uint64(epoch), 10))
		if e, ok := m.Lookup(epochKey); ok {
			writeEncoded(w, r, e)
			return
		}
	}
	ids, render, err := prepare()
	if err != nil {
		writeError(w, r, err)
		return
	}
	stock, err := s.catalog.Stock(r.Context(), ids)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var stockKey strings.Builder
	for _, id := range ids {
		stockKey.WriteString(strconv.FormatInt(stock[id], 10))
		stockKey.WriteByte(',')
	}
	e, err := m.Cached(catalog.CacheKey(key, stockKey.String()), func() ([]byte, error) {
		return json.Marshal(render(stock, offers))
	})
	if err != nil {
		writeError(w, r, err)
		return
	}
	if epochKey != "" {
		m.Keep(epochKey, e)
	}
	writeEncoded(w, r, e)
}

func (s *Server) listProducts(w http.ResponseWriter, r *http.Request) {
	m, epoch, ok := s.freshModel(w, r)
	if !ok {
		return
	}
	s.serveListing(w, r, m, epoch, "all", catalog.ListRequest{}, nil)
}

func (s *Server) categoryPage(w http.ResponseWriter, r *http.Request) {
	m, epoch, ok := s.freshModel(w, r)
	if !ok {
		return
	}
	pk, valid := catalog.ParsePK(r.PathValue("pk"))
	c, found := m.Category(pk)
	if !valid || !found {
		writeError(w, r, apperror.ErrNotFound)
		return
	}
	s.serveCategory(w, r, m, epoch, c)
}

func (s *Server) serveCategory(w http.ResponseWriter, r *http.Request, m *catalog.Model, epoch catalog.Epoch, c *catalog.Category) {
	lang := s.language(r)
	s.serveListing(w, r, m, epoch, "category:"+c.UUID, catalog.ListRequest{Category: c}, func(out *listingJSON) {
		cj := c.Wire(lang)
		out.Category = &cj
	})
}

func (s *Server) specialPage(w http.ResponseWriter, r *http.Request) {
	m, epoch, ok := s.freshModel(w, r)
	if !ok {
		return
	}
	pk, valid := catalog.ParsePK(r.PathValue("pk"))
	if !valid {
		writeError(w, r, apperror.ErrNotFound)
		return
	}
	page, err := s.catalog.SpecialPage(r.Context(), pk, s.language(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.serveListing(w, r, m, epoch, "special:"+r.PathValue("pk"), catalog.ListRequest{Curated: page.Products}, func(out *listingJSON) {
		out.SpecialPage = page.Wire()
	})
}
