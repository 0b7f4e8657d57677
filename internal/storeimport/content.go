package storeimport

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
)

func init() {
	Register("geography", loadGeography)
	Register("retail_stores", loadRetailStores)
	Register("pages", loadPages)
	Register("widgets", loadWidgets)
	Register("redirects", loadRedirects)
}

// loadGeography upserts countries by code and cities, townships and
// districts by name within their parent. Addresses point at these rows,
// so nothing is ever removed.
func loadGeography(ctx context.Context, imp *Import) error {
	r, err := imp.Object()
	if r == nil {
		return err
	}
	countries := r.Objects("countries")
	r.Done()
	for _, c := range countries {
		code := strings.ToLower(c.String("code"))
		if !countryRE.MatchString(code) {
			c.Fail("code", "not a two-letter country code")
		}
		name := c.String("name")
		translations := c.Translations()
		cities := c.Objects("cities")
		if !c.Done() || !imp.Ok() {
			continue
		}
		countryID, _, err := imp.upsert(row{table: "countries", keyCols: []string{"code"}, keyVals: []any{code},
			hash: digest([]byte(name), []byte(translations)), cols: []string{"name", "translations"}, vals: []any{name, translations}})
		if err != nil {
			return err
		}
		if err := imp.places(ctx, 0, countryID, cities); err != nil {
			return err
		}
	}
	return nil
}

// geographyLevels are the places below a country, outermost first.
var geographyLevels = []struct{ table, parentCol, childKey string }{
	{"cities", "country_id", "townships"},
	{"townships", "city_id", "districts"},
	{"districts", "township_id", ""},
}

// places upserts the places of one level below parentID, then the level
// below each of them.
func (imp *Import) places(ctx context.Context, level int, parentID int64, list []*Record) error {
	lv := geographyLevels[level]
	names := map[string]bool{}
	for _, p := range list {
		name := p.String("name")
		postcode := p.OptString("postcode", "")
		var children []*Record
		if lv.childKey != "" {
			children = p.Objects(lv.childKey)
		}
		if names[name] {
			p.Fail("name", "given twice in the same parent")
		}
		names[name] = true
		if !p.Done() || !imp.Ok() {
			continue
		}
		id, _, err := imp.upsert(row{table: lv.table, keyCols: []string{lv.parentCol, "name"}, keyVals: []any{parentID, name},
			hash: digest([]byte(postcode)), cols: []string{"postcode"}, vals: []any{postcode}})
		if err != nil {
			return err
		}
		if lv.childKey != "" {
			if err := imp.places(ctx, level+1, id, children); err != nil {
				return err
			}
		}
	}
	return nil
}

var coordinateRE = regexp.MustCompile(`^-?[0-9]{1,3}(\.[0-9]{1,12})?$`)

// coordinate reads a latitude or longitude, as a string or a JSON number
// (it is not money), and keeps it as the decimal text given.
func coordinate(r *Record, key string, limit float64) string {
	v, ok := r.get(key)
	if !ok {
		return ""
	}
	var s string
	switch v := v.(type) {
	case string:
		s = strings.TrimSpace(v)
	case json.Number:
		s = string(v)
	}
	f, err := strconv.ParseFloat(s, 64)
	if !coordinateRE.MatchString(s) || err != nil || f < -limit || f > limit {
		r.Fail(key, "must be a decimal between -"+strconv.Itoa(int(limit))+" and "+strconv.Itoa(int(limit)))
		return ""
	}
	return s
}

type retailStore struct {
	rec                                          *Record
	code, name, address, country, city, township string
	district, latitude, longitude, phone, hours  string
	translations                                 string
	sortOrder                                    int64
	stock                                        map[string]int64
	links                                        []productLink
}

// loadRetailStores validates the stores as they are read and writes them
// after the whole document, once geography and products are in.
func loadRetailStores(ctx context.Context, imp *Import) error {
	var stores []*retailStore
	codes := map[string]bool{}
	replace, err := imp.Items(func(r *Record) error {
		s := &retailStore{rec: r, code: code(r, "code"), name: r.String("name"), stock: map[string]int64{}}
		s.address = r.OptString("address", "")
		s.country = strings.ToLower(r.OptString("country", ""))
		s.city = r.OptString("city", "")
		s.township = r.OptString("township", "")
		s.district = r.OptString("district", "")
		s.latitude = coordinate(r, "latitude", 90)
		s.longitude = coordinate(r, "longitude", 180)
		s.phone = r.OptString("phone", "")
		s.hours = r.JSON("store_hours", "array", "[]")
		s.sortOrder = r.Int("sort_order", 0, -1e9, 1e9)
		s.translations = r.Translations()
		if stock := r.Object("stock"); stock != nil {
			for sku := range stock.raw {
				s.stock[sku] = stock.Int(sku, 0, 0, 1_000_000_000)
				s.links = append(s.links, productLink{path: stock.Path(sku), sku: sku})
			}
			stock.Done()
		}
		if codes[s.code] {
			r.Fail("code", "duplicate retail store code "+s.code)
		}
		codes[s.code] = true
		if r.Done() {
			stores = append(stores, s)
		}
		return nil
	})
	if err != nil {
		return err
	}
	imp.After(func() error {
		current := imp.current
		imp.current = imp.sectionSummary("retail_stores")
		defer func() { imp.current = current }()
		var keep idSet
		for _, s := range stores {
			id, err := imp.writeRetailStore(ctx, s)
			if err != nil {
				return err
			}
			keep.add(id)
		}
		if replace && imp.Ok() {
			return imp.removeRest("retail_stores", &keep, "is_active")
		}
		return nil
	})
	return nil
}

func (imp *Import) writeRetailStore(ctx context.Context, s *retailStore) (int64, error) {
	var countryID, cityID, townshipID, districtID any
	if s.country != "" {
		var id int64
		if err := imp.tx.QueryRowContext(ctx, "SELECT id FROM countries WHERE code = $1", s.country).Scan(&id); err != nil {
			s.rec.Fail("country", "unknown country "+strconv.Quote(s.country))
		} else {
			countryID = id
		}
	}
	lookup := func(field, name, query string, parent any) any {
		if name == "" {
			return nil
		}
		if parent == nil {
			s.rec.Fail(field, "needs its parent place too")
			return nil
		}
		var id int64
		if err := imp.tx.QueryRowContext(ctx, query, parent, name).Scan(&id); err != nil {
			s.rec.Fail(field, "unknown "+field+" "+strconv.Quote(name))
			return nil
		}
		return id
	}
	cityID = lookup("city", s.city, "SELECT id FROM cities WHERE country_id = $1 AND name = $2", countryID)
	townshipID = lookup("township", s.township, "SELECT id FROM townships WHERE city_id = $1 AND name = $2", cityID)
	districtID = lookup("district", s.district, "SELECT id FROM districts WHERE township_id = $1 AND name = $2", townshipID)
	products, err := imp.resolveProducts(s.links)
	if err != nil || !imp.Ok() {
		return 0, err
	}
	id, written, err := imp.upsert(row{table: "retail_stores", keyCols: []string{"code"}, keyVals: []any{s.code}, hash: s.rec.Hash(),
		cols: []string{"name", "address", "country_id", "city_id", "township_id", "district_id", "latitude", "longitude",
			"phone", "store_hours", "sort_order", "translations"},
		vals: []any{s.name, s.address, countryID, cityID, townshipID, districtID, s.latitude, s.longitude,
			s.phone, s.hours, s.sortOrder, s.translations},
		activeCol: "is_active"})
	if err != nil || !written {
		return id, err
	}
	if _, err := imp.tx.ExecContext(ctx, "DELETE FROM retail_store_stock WHERE retail_store_id = $1", id); err != nil {
		return 0, err
	}
	for sku, n := range s.stock {
		if _, err := imp.tx.ExecContext(ctx, "INSERT INTO retail_store_stock (retail_store_id, product_id, stock) VALUES ($1, $2, $3)",
			id, products[sku], n); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// sectionSummary returns the summary of a section already read, so its
// deferred writes count there.
func (imp *Import) sectionSummary(name string) *SectionSummary {
	for _, s := range imp.summary.Sections {
		if s.Name == name {
			return s
		}
	}
	return imp.current
}

// linkedRecord is a page or widget: written after the whole document,
// with its ordered product list.
type linkedRecord struct {
	rec   *Record
	key   string
	cols  []string
	vals  []any
	links []productLink
}

func productList(r *Record) []productLink {
	skus := r.Strings("products")
	links := make([]productLink, len(skus))
	for i, sku := range skus {
		links[i] = productLink{path: r.Path("products[" + strconv.Itoa(i) + "]"), sku: sku}
	}
	return links
}

func loadPages(ctx context.Context, imp *Import) error {
	return imp.linkedSection(ctx, "pages", "url", "page_products", "page_id", func(r *Record) *linkedRecord {
		url := r.String("url")
		if url != "" && !pathRE.MatchString(url) {
			r.Fail("url", "must be a path starting with /")
		}
		kind := r.OneOf("kind", "flat", "flat", "landing", "special")
		return &linkedRecord{key: url, cols: []string{"kind", "title", "content", "template", "is_active", "translations"},
			vals: []any{kind, r.OptString("title", ""), r.OptString("content", ""), r.OptString("template", ""),
				r.Bool("is_active", true), r.Translations()},
			links: productList(r)}
	})
}

func loadWidgets(ctx context.Context, imp *Import) error {
	return imp.linkedSection(ctx, "widgets", "slug", "widget_products", "widget_id", func(r *Record) *linkedRecord {
		return &linkedRecord{key: code(r, "slug"), cols: []string{"name", "template", "attributes", "translations"},
			vals:  []any{r.OptString("name", ""), r.OptString("template", ""), r.JSON("attributes", "object", "{}"), r.Translations()},
			links: productList(r)}
	})
}

// linkedSection reads pages or widgets and writes them, with their
// product lists, once every product of the file is in.
func (imp *Import) linkedSection(ctx context.Context, table, keyCol, linkTable, linkCol string, read func(r *Record) *linkedRecord) error {
	var list []*linkedRecord
	keys := map[string]bool{}
	replace, err := imp.Items(func(r *Record) error {
		lr := read(r)
		lr.rec = r
		if keys[lr.key] {
			r.Fail(keyCol, "given twice")
		}
		keys[lr.key] = true
		if r.Done() {
			list = append(list, lr)
		}
		return nil
	})
	if err != nil {
		return err
	}
	imp.After(func() error {
		current := imp.current
		imp.current = imp.sectionSummary(table)
		defer func() { imp.current = current }()
		var keep idSet
		for _, lr := range list {
			products, err := imp.resolveProducts(lr.links)
			if err != nil {
				return err
			}
			if !imp.Ok() {
				continue
			}
			id, written, err := imp.upsert(row{table: table, keyCols: []string{keyCol}, keyVals: []any{lr.key},
				hash: lr.rec.Hash(), cols: lr.cols, vals: lr.vals})
			if err != nil {
				return err
			}
			keep.add(id)
			if !written {
				continue
			}
			if _, err := imp.tx.ExecContext(ctx, "DELETE FROM "+linkTable+" WHERE "+linkCol+" = $1", id); err != nil {
				return err
			}
			linked := map[int64]bool{}
			for i, l := range lr.links {
				pid := products[l.sku]
				if linked[pid] {
					continue
				}
				linked[pid] = true
				if _, err := imp.tx.ExecContext(ctx, "INSERT INTO "+linkTable+" ("+linkCol+", product_id, sort_order) VALUES ($1, $2, $3)",
					id, pid, i); err != nil {
					return err
				}
			}
		}
		if replace && imp.Ok() {
			return imp.removeRest(table, &keep, "")
		}
		return nil
	})
	return nil
}

func loadRedirects(ctx context.Context, imp *Import) error {
	var keep idSet
	replace, err := imp.Items(func(r *Record) error {
		oldPath := r.String("old_path")
		newPath := r.String("new_path")
		for key, p := range map[string]string{"old_path": oldPath, "new_path": newPath} {
			if p != "" && !pathRE.MatchString(p) && !strings.HasPrefix(p, "http") {
				r.Fail(key, "must be a path starting with /")
			}
		}
		if oldPath != "" && oldPath == newPath {
			r.Fail("new_path", "redirects to itself")
		}
		if !r.Done() || !imp.Ok() {
			return nil
		}
		id, _, err := imp.upsert(row{table: "redirects", keyCols: []string{"old_path"}, keyVals: []any{oldPath},
			hash: r.Hash(), cols: []string{"new_path"}, vals: []any{newPath}})
		if keep.has(id) {
			r.Fail("old_path", "given twice")
		}
		keep.add(id)
		return err
	})
	if err != nil || !replace || !imp.Ok() {
		return err
	}
	return imp.removeRest("redirects", &keep, "")
}
