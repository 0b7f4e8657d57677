package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/catalog"
)

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
			return m.ProductPage(p, params, stock, loc.currency).Wire(loc.currency, loc.language, withGroup, offers)
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

func (s *Server) autocomplete(w http.ResponseWriter, r *http.Request) error {
	m, err := s.catalog.Current(r.Context())
	if err != nil {
		return err
	}
	query := r.URL.Query().Get("search_text")
	loc := s.locale(r)
	return writeCached(w, r, m, catalog.CacheKey("autocomplete", query, loc.currency, loc.language), func() (any, error) {
		// Suggestions show no offers.
		groups := m.Autocomplete(query, autocompleteLimit).Wire(loc.currency, loc.language)
		return map[string]any{"groups": groups}, nil
	})
}
