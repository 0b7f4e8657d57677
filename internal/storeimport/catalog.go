package storeimport

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/vitrin/vitrin/internal/searchtext"
)

func init() {
	Register("store", loadStore)
	Register("attributes", loadAttributes)
	Register("categories", loadCategories)
}

var (
	countryRE = regexp.MustCompile(`^[a-z]{2}$`)
	pathRE    = regexp.MustCompile(`^/[^\s]*$`)
)

// isCode reports whether s is a natural key: an ASCII letter or digit,
// then letters, digits, '-', '_' or '.'. (Hand-written: it runs for every
// product of a million-product file.)
func isCode(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '-' && c != '_' && c != '.') {
			return false
		}
	}
	return true
}

// isSlug reports whether s is a URL path of letters, digits, '-', '_' and
// '.' segments separated by single slashes.
func isSlug(s string) bool {
	if s == "" {
		return false
	}
	for _, segment := range strings.Split(s, "/") {
		if segment == "" {
			return false
		}
		for _, r := range segment {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' && r != '.' {
				return false
			}
		}
	}
	return true
}

// isImageURL accepts an http(s) URL or a path on the store's own host.
func isImageURL(s string) bool {
	return (strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "/")) &&
		!strings.ContainsFunc(s, unicode.IsSpace)
}

// code reads a required natural key of letters, digits, '-', '_', '.'.
func code(r *Record, key string) string {
	c := r.String(key)
	if c != "" && !isCode(c) {
		r.Fail(key, "must be letters, digits, '-', '_' or '.' (at most 128)")
	}
	return c
}

// slug reads an optional URL slug ("women/dresses"), def when absent.
func slug(r *Record, key, def string) string {
	s := strings.Trim(r.OptString(key, def), "/")
	if !isSlug(s) {
		r.Fail(key, "must be a URL path of letters, digits, '-', '_' and '.', such as women/dresses")
	}
	return s
}

func loadStore(ctx context.Context, imp *Import) error {
	r, err := imp.Object()
	if r == nil {
		return err
	}
	name := r.OptString("name", "")
	defCurrency := r.OptString("default_currency", "TRY")
	if !IsCurrency(defCurrency) {
		r.Fail("default_currency", "not an ISO 4217 currency code in upper case")
	}
	currencies := r.Strings("currencies")
	if currencies == nil {
		currencies = []string{defCurrency}
	}
	for i, c := range currencies {
		if !IsCurrency(c) {
			r.Fail(fmt.Sprintf("currencies[%d]", i), "not an ISO 4217 currency code in upper case")
		}
	}
	if !contains(currencies, defCurrency) {
		r.Fail("currencies", "must include the default currency "+defCurrency)
	}
	defLanguage := r.OptString("default_language", "tr-tr")
	if !languageRE.MatchString(defLanguage) {
		r.Fail("default_language", "not a language code such as tr-tr")
	}
	languages := r.Strings("languages")
	if languages == nil {
		languages = []string{defLanguage}
	}
	for i, l := range languages {
		if !languageRE.MatchString(l) {
			r.Fail(fmt.Sprintf("languages[%d]", i), "not a language code such as en-us")
		}
	}
	if !contains(languages, defLanguage) {
		r.Fail("languages", "must include the default language "+defLanguage)
	}
	country := strings.ToLower(r.OptString("country", "tr"))
	if !countryRE.MatchString(country) {
		r.Fail("country", "not a two-letter country code")
	}
	if !r.Done() || !imp.Ok() {
		return nil
	}
	hash := r.Hash()
	var old string
	if err := imp.tx.QueryRowContext(ctx, "SELECT import_hash FROM store WHERE id = 1").Scan(&old); err != nil {
		return err
	}
	if old == hash {
		imp.Count(Unchanged)
		return nil
	}
	curJSON, _ := json.Marshal(currencies)
	langJSON, _ := json.Marshal(languages)
	_, err = imp.tx.ExecContext(ctx, `UPDATE store SET name = $1, default_currency = $2, currencies = $3,
		default_language = $4, languages = $5, country = $6, import_hash = $7 WHERE id = 1`,
		name, defCurrency, string(curJSON), defLanguage, string(langJSON), country, hash)
	imp.Count(Updated)
	return err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func loadAttributes(ctx context.Context, imp *Import) error {
	var keep idSet
	replace, err := imp.Items(func(r *Record) error {
		key := code(r, "key")
		name := r.String("name")
		typ := r.OneOf("type", "text", "text", "number", "boolean")
		facet := r.Bool("facet", false)
		variant := r.Bool("variant", false)
		sortOrder := r.Int("sort_order", 0, -1e9, 1e9)
		translations := r.Translations()
		valueTranslations := attributeValueTranslations(r)
		if !r.Done() || !imp.Ok() {
			return nil
		}
		id, _, err := imp.upsert(row{table: "attributes", keyCols: []string{"key"}, keyVals: []any{key}, hash: r.Hash(),
			cols: []string{"name", "type", "facet", "variant", "sort_order", "translations", "value_translations"},
			vals: []any{name, typ, facet, variant, sortOrder, translations, valueTranslations}})
		keep.add(id)
		return err
	})
	if err != nil || !replace || !imp.Ok() {
		return err
	}
	return imp.removeRest("attributes", &keep, "")
}

// attributeValueTranslations reads an attribute's optional "values": the
// labels of its values in other languages,
// [{"value": "Kırmızı", "translations": {"en-us": {"name": "Red"}}}],
// kept as {"Kırmızı": {"en-us": {"name": "Red"}}}. Products keep the value
// itself; only what shoppers read is translated.
func attributeValueTranslations(r *Record) string {
	byValue := map[string]json.RawMessage{}
	for _, v := range r.Objects("values") {
		value := v.String("value")
		translations := v.Translations()
		if _, dup := byValue[value]; dup {
			v.Fail("value", "given twice")
		}
		if v.Done() {
			byValue[value] = json.RawMessage(translations)
		}
	}
	out, _ := json.Marshal(byValue)
	return string(out)
}

// category is a validated categories record, kept until the whole section
// is read because a parent may come after its children.
type category struct {
	rec                              *Record
	code, parent, name, slug         string
	sortOrder                        int64
	attributes, translations, search string
	id                               int64
	state                            int // 0 new, 1 being written, 2 written
}

func loadCategories(ctx context.Context, imp *Import) error {
	var list []*category
	byCode := map[string]*category{}
	replace, err := imp.Items(func(r *Record) error {
		c := &category{rec: r, code: code(r, "code"), name: r.String("name")}
		c.parent = r.OptString("parent", "")
		c.slug = slug(r, "slug", c.code)
		c.sortOrder = r.Int("sort_order", 0, -1e9, 1e9)
		c.attributes = r.JSON("attributes", "object", "{}")
		c.translations = r.Translations()
		c.search = searchtext.Fold(strings.Join(append([]string{c.name, c.code}, r.TranslatedTexts("name")...), " "))
		if byCode[c.code] != nil {
			r.Fail("code", "duplicate category code "+c.code)
		}
		if r.Done() {
			byCode[c.code] = c
			list = append(list, c)
		}
		return nil
	})
	if err != nil || !imp.Ok() {
		return err
	}
	var keep idSet
	var write func(c *category) error
	write = func(c *category) error {
		switch c.state {
		case 2:
			return nil
		case 1:
			c.rec.Fail("parent", "categories form a cycle through "+c.code)
			return nil
		}
		c.state = 1
		var parentID any
		if c.parent != "" {
			if p := byCode[c.parent]; p != nil {
				if err := write(p); err != nil {
					return err
				}
				parentID = p.id
			} else {
				var id int64
				if err := imp.tx.QueryRowContext(ctx, "SELECT id FROM categories WHERE code = $1", c.parent).Scan(&id); err != nil {
					c.rec.Fail("parent", "unknown category "+c.parent)
				}
				parentID = id
			}
		}
		c.state = 2
		if !imp.Ok() {
			return nil
		}
		id, _, err := imp.upsert(row{table: "categories", keyCols: []string{"code"}, keyVals: []any{c.code}, hash: c.rec.Hash(),
			cols:       []string{"parent_id", "name", "slug", "sort_order", "attributes", "translations", "search_text"},
			vals:       []any{parentID, c.name, c.slug, c.sortOrder, c.attributes, c.translations, c.search},
			insertCols: []string{"uuid"}, insertVals: []any{uuid()},
			activeCol: "is_active"})
		c.id = id
		keep.add(id)
		return err
	}
	for _, c := range list {
		if err := write(c); err != nil {
			return err
		}
	}
	if !imp.Ok() {
		return nil
	}
	if replace {
		if err := imp.removeRest("categories", &keep, "is_active"); err != nil {
			return err
		}
	}
	return imp.rebuildCategoryPaths(ctx)
}

// rebuildCategoryPaths recomputes depth and the materialised path of every
// category (ancestor ids, zero-padded, '/'-separated, the node's own id
// last), writing only the rows whose values moved.
func (imp *Import) rebuildCategoryPaths(ctx context.Context) error {
	type node struct {
		parent      int64
		depth       int
		path        string
		newDepth    int
		newPath     string
		done, doing bool
	}
	nodes := map[int64]*node{}
	rows, err := imp.tx.QueryContext(ctx, "SELECT id, COALESCE(parent_id, 0), depth, path FROM categories")
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		n := &node{}
		if err := rows.Scan(&id, &n.parent, &n.depth, &n.path); err != nil {
			rows.Close()
			return err
		}
		nodes[id] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var compute func(id int64, n *node)
	compute = func(id int64, n *node) {
		if n.done || n.doing {
			return
		}
		n.doing = true
		segment := fmt.Sprintf("%010d", id)
		if p := nodes[n.parent]; p != nil {
			compute(n.parent, p)
			n.newDepth, n.newPath = p.newDepth+1, p.newPath+"/"+segment
		} else {
			n.newPath = segment
		}
		n.done = true
	}
	for id, n := range nodes {
		compute(id, n)
		if n.newDepth != n.depth || n.newPath != n.path {
			if _, err := imp.tx.ExecContext(ctx, "UPDATE categories SET depth = $1, path = $2 WHERE id = $3", n.newDepth, n.newPath, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// uuid returns a random version-4 UUID.
func uuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
