package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/catalog"
)

// locale is the currency and language an answer is rendered in.
type locale struct{ currency, language string }

func (s *Server) locale(r *http.Request) locale {
	return locale{currency: s.currency(r), language: s.language(r)}
}

// writeCached answers from the model's response cache, computing the
// body on a miss. The key holds everything the body depends on.
func writeCached(w http.ResponseWriter, r *http.Request, m *catalog.Model, key string, compute func() (any, error)) error {
	e, err := m.Cached(key, func() ([]byte, error) {
		v, err := compute()
		if err != nil {
			return nil, err
		}
		return json.Marshal(v)
	})
	if err != nil {
		return err
	}
	return writeEncoded(w, r, e)
}

// writeEncoded sends a cached answer, compressed when the client accepts it.
func writeEncoded(w http.ResponseWriter, r *http.Request, e *catalog.Encoded) error {
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
	return nil
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

// serveListing answers a listing: /list/, a category page or a special
// page. The listing itself (facets, counts, the page's products) changes
// only with the catalog version and is computed once per version.
func (s *Server) serveListing(w http.ResponseWriter, r *http.Request, m *catalog.Model, epoch catalog.Epoch, scope string, req catalog.ListRequest, decorate func(*catalog.ListingJSON)) error {
	loc := s.locale(r)
	req.Params, req.Currency, req.Language = r.URL.Query(), loc.currency, loc.language
	key := catalog.CacheKey("list", scope, loc.currency, loc.language, canonicalQuery(req.Params))
	return s.serveWithStock(w, r, m, epoch, key, func() ([]int64, func(map[int64]int64, catalog.Offers) any, error) {
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
			out := l.Wire(loc.currency, loc.language, stock, offers)
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
	prepare func() (ids []int64, render func(stock map[int64]int64, offers catalog.Offers) any, err error)) error {
	offers := m.OffersAt(time.Now())
	key = catalog.CacheKey(key, "offers", offers.Key())
	epochKey := ""
	if epoch != 0 {
		epochKey = catalog.CacheKey(key, "epoch", strconv.FormatUint(uint64(epoch), 10))
		if e, ok := m.Lookup(epochKey); ok {
			return writeEncoded(w, r, e)
		}
	}
	ids, render, err := prepare()
	if err != nil {
		return err
	}
	stock, err := s.catalog.Stock(r.Context(), ids)
	if err != nil {
		return err
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
		return err
	}
	if epochKey != "" {
		m.Keep(epochKey, e)
	}
	return writeEncoded(w, r, e)
}

func (s *Server) listProducts(w http.ResponseWriter, r *http.Request) error {
	m, epoch, err := s.catalog.Fresh(r.Context())
	if err != nil {
		return err
	}
	return s.serveListing(w, r, m, epoch, "all", catalog.ListRequest{}, nil)
}

func (s *Server) categoryPage(w http.ResponseWriter, r *http.Request) error {
	m, epoch, err := s.catalog.Fresh(r.Context())
	if err != nil {
		return err
	}
	pk, valid := catalog.ParsePK(r.PathValue("pk"))
	c, found := m.Category(pk)
	if !valid || !found {
		return apperror.ErrNotFound
	}
	return s.serveCategory(w, r, m, epoch, c)
}

func (s *Server) serveCategory(w http.ResponseWriter, r *http.Request, m *catalog.Model, epoch catalog.Epoch, c *catalog.Category) error {
	lang := s.language(r)
	return s.serveListing(w, r, m, epoch, "category:"+c.UUID, catalog.ListRequest{Category: c}, func(out *catalog.ListingJSON) {
		cj := c.Wire(lang)
		out.Category = &cj
	})
}

func (s *Server) specialPage(w http.ResponseWriter, r *http.Request) error {
	m, epoch, err := s.catalog.Fresh(r.Context())
	if err != nil {
		return err
	}
	pk, valid := catalog.ParsePK(r.PathValue("pk"))
	if !valid {
		return apperror.ErrNotFound
	}
	page, err := s.catalog.SpecialPage(r.Context(), pk, s.language(r))
	if err != nil {
		return err
	}
	return s.serveListing(w, r, m, epoch, "special:"+r.PathValue("pk"), catalog.ListRequest{Curated: page.Products}, func(out *catalog.ListingJSON) {
		out.SpecialPage = page.Wire()
	})
}
