package api

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/catalog"
)

// listJSON is the DRF paginated list shape.
type listJSON[T any] struct {
	Count    int     `json:"count"`
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
	Results  []T     `json:"results"`
}

// paginate cuts items to the page the query asks for (page, limit or
// page_size), with next/previous links.
func paginate[T any](r *http.Request, items []T, defaultSize int) listJSON[T] {
	q := r.URL.Query()
	size := positiveParam(q.Get("limit"), positiveParam(q.Get("page_size"), defaultSize))
	size = min(size, catalog.MaxPageSize)
	page := pageParam(q.Get("page"))
	out := listJSON[T]{Count: len(items), Results: []T{}}
	numPages := (len(items) + size - 1) / size
	// Only a page that exists is multiplied out: a huge page number
	// would overflow.
	if page <= numPages {
		start := (page - 1) * size
		out.Results = items[start:min(start+size, len(items))]
	}
	link := func(p int) *string {
		u := *r.URL
		v := u.Query()
		v.Set("page", strconv.Itoa(p))
		u.RawQuery = v.Encode()
		s := u.RequestURI()
		return &s
	}
	if page < numPages {
		out.Next = link(page + 1)
	}
	if page > 1 && page-1 <= numPages {
		out.Previous = link(page - 1)
	}
	return out
}

func positiveParam(raw string, def int) int {
	n, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil || n < 1 {
		return def
	}
	return n
}

// pageParam is the page number a query asks for (1 when none or bad),
// capped so that (page-1) × page size cannot overflow into a negative
// offset: a page that far out is just past the end.
func pageParam(raw string) int {
	return min(positiveParam(raw, 1), math.MaxInt32)
}

// pathPK reads a numeric path value; anything else is a 404.
func pathPK(r *http.Request, name string) (int64, error) {
	pk, ok := catalog.ParsePK(r.PathValue(name))
	if !ok {
		return 0, apperror.ErrNotFound
	}
	return pk, nil
}

func (s *Server) widget(w http.ResponseWriter, r *http.Request) error {
	m, epoch, err := s.catalog.Fresh(r.Context())
	if err != nil {
		return err
	}
	slug := r.PathValue("slug")
	loc := s.locale(r)
	key := catalog.CacheKey("widget", slug, loc.currency, loc.language)
	return s.serveWithStock(w, r, m, epoch, key, func() ([]int64, func(map[int64]int64, catalog.Offers) any, error) {
		v, err := m.Memo(key, func() (any, error) { return s.catalog.Widget(r.Context(), slug, loc.language) })
		if err != nil {
			return nil, nil, err
		}
		wd := v.(*catalog.Widget)
		var shown []*catalog.Product
		var ids []int64
		for _, id := range wd.Products {
			if p, ok := m.Product(id); ok {
				shown = append(shown, p)
				ids = append(ids, id)
			}
		}
		return ids, func(stock map[int64]int64, offers catalog.Offers) any {
			products := []catalog.ProductJSON{}
			for _, p := range shown {
				products = append(products, p.Wire(loc.currency, loc.language, stock[p.ID], offers))
			}
			return map[string]any{"name": wd.Name, "slug": wd.Slug, "template": wd.Template, "attributes": wd.Attributes, "products": products}
		}, nil
	})
}

func (s *Server) flatPage(w http.ResponseWriter, r *http.Request) error {
	pk, err := pathPK(r, "pk")
	if err != nil {
		return err
	}
	p, err := s.catalog.FlatPage(r.Context(), pk, s.language(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"flat_page": map[string]any{"url": p.URL, "title": p.Title, "content": p.Content}})
}

func (s *Server) landingPage(w http.ResponseWriter, r *http.Request) error {
	pk, err := pathPK(r, "pk")
	if err != nil {
		return err
	}
	p, err := s.catalog.LandingPage(r.Context(), pk, s.language(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"landing_page": map[string]any{"url": p.URL, "template": p.Template, "is_active": p.IsActive, "title": p.Title, "content": p.Content}})
}

func (s *Server) seo(w http.ResponseWriter, r *http.Request) error {
	m, err := s.catalog.Current(r.Context())
	if err != nil {
		return err
	}
	seo, err := s.catalog.SEOFor(r.Context(), m, r.URL.Query().Get("url"), s.language(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, seo)
}

// queryPK reads an optional numeric filter; a malformed one is a 400.
func queryPK(r *http.Request, name string) (int64, error) {
	raw := strings.TrimSpace(r.URL.Query().Get(name))
	if raw == "" {
		return 0, nil
	}
	pk, ok := catalog.ParsePK(raw)
	if !ok {
		return 0, apperror.Field(name, "Select a valid choice. That choice is not one of the available choices.")
	}
	return pk, nil
}

func (s *Server) retailStores(w http.ResponseWriter, r *http.Request) error {
	f, err := storeFilter(r)
	if err != nil {
		return err
	}
	stores, _, err := s.catalog.RetailStores(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, paginate(r, stores, 50))
}

// storeFilter reads the place filters of the store lists. The storefront's
// find-in-store form names the city city_id.
func storeFilter(r *http.Request) (catalog.StoreFilter, error) {
	var f catalog.StoreFilter
	for _, filter := range []struct {
		names []string
		to    *int64
	}{
		{[]string{"city", "city_id"}, &f.City},
		{[]string{"township", "township_id"}, &f.Township},
		{[]string{"district", "district_id"}, &f.District},
	} {
		for _, name := range filter.names {
			pk, err := queryPK(r, name)
			if err != nil {
				return f, err
			}
			if pk != 0 {
				*filter.to = pk
			}
		}
	}
	return f, nil
}

// retailStoreStock answers the find-in-store form: the stores of the
// chosen place with their stock of the product, or of the variant that
// the other fields select (size=M), as the product page would.
func (s *Server) retailStoreStock(w http.ResponseWriter, r *http.Request) error {
	m, err := s.catalog.Current(r.Context())
	if err != nil {
		return err
	}
	pk, valid := catalog.ParsePK(r.PathValue("product"))
	p, found := m.Product(pk)
	if !valid || !found {
		return apperror.ErrNotFound
	}
	f, err := storeFilter(r)
	if err != nil {
		return err
	}
	f.Product = m.SelectVariant(p, r.URL.Query()).ID
	stores, stock, err := s.catalog.RetailStores(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, catalog.StoreStockWire(stores, stock))
}

func (s *Server) countries(w http.ResponseWriter, r *http.Request) error {
	list, err := s.catalog.Countries(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, paginate(r, list, catalog.MaxPageSize))
}

// withStoreOnly reads retailstore__isnull=false: keep places with a store.
func withStoreOnly(r *http.Request) bool {
	v := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("retailstore__isnull")))
	return v == "false" || v == "0"
}

func (s *Server) cities(w http.ResponseWriter, r *http.Request) error {
	country, err := queryPK(r, "country")
	if err != nil {
		return err
	}
	list, err := s.catalog.Cities(r.Context(), country, withStoreOnly(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, paginate(r, list, 1000))
}

func (s *Server) townships(w http.ResponseWriter, r *http.Request) error {
	city, err := queryPK(r, "city")
	if err != nil {
		return err
	}
	list, err := s.catalog.Townships(r.Context(), city, withStoreOnly(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, paginate(r, list, 1000))
}

func (s *Server) districts(w http.ResponseWriter, r *http.Request) error {
	township, err := queryPK(r, "township")
	if err != nil {
		return err
	}
	list, err := s.catalog.Districts(r.Context(), township, withStoreOnly(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, paginate(r, list, 1000))
}

// prettyURLs answers /pretty_urls/?new_path__exact=: the storefront's
// middleware rewrites a pretty path to the old_path of the first result.
func (s *Server) prettyURLs(w http.ResponseWriter, r *http.Request) error {
	m, err := s.catalog.Current(r.Context())
	if err != nil {
		return err
	}
	results := []catalog.PrettyURL{}
	if path := strings.TrimSpace(r.URL.Query().Get("new_path__exact")); path != "" {
		rec, err := s.catalog.ResolvePath(r.Context(), m, path)
		switch {
		case err == nil:
			results = append(results, *rec)
		case !errors.Is(err, apperror.ErrNotFound):
			return err
		}
	}
	return writeJSON(w, http.StatusOK, listJSON[catalog.PrettyURL]{Count: len(results), Results: results})
}

func (s *Server) prettyURL(w http.ResponseWriter, r *http.Request) error {
	m, err := s.catalog.Current(r.Context())
	if err != nil {
		return err
	}
	rec, err := s.catalog.ResolvePath(r.Context(), m, r.PathValue("path"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rec)
}

// prettyPage answers GET /<slug>/ for paths no route matched: a category
// listing, a product page, a content page, or a redirect's target.
func (s *Server) prettyPage(w http.ResponseWriter, r *http.Request) error {
	m, epoch, err := s.catalog.Fresh(r.Context())
	if err != nil {
		return err
	}
	path := r.URL.Path
	if target, ok := m.Redirect(path); ok {
		// The storefront asks with the shopper's query (campaign tags,
		// filters) and sends the shopper to Location: keep the query.
		if r.URL.RawQuery != "" && !strings.Contains(target, "?") {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
		return nil
	}
	if c, ok := m.CategoryBySlug(path); ok {
		return s.serveCategory(w, r, m, epoch, c)
	}
	if p, ok := m.ProductBySlug(path); ok {
		return s.serveProduct(w, r, m, epoch, p, false)
	}
	rec, err := s.catalog.ResolvePath(r.Context(), m, path)
	if err != nil {
		return err
	}
	pk := strconv.FormatInt(rec.Kwargs["pk"].(int64), 10)
	r.SetPathValue("pk", pk)
	switch rec.ViewName {
	case "flat-page":
		return s.flatPage(w, r)
	case "landing-page":
		return s.landingPage(w, r)
	case "special-page":
		return s.specialPage(w, r)
	}
	return apperror.ErrNotFound
}
