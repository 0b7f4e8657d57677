package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/vitrin/vitrin/internal/apperror"
)

// Content (pages, widgets, stores, geography) is read from SQL: these
// answers are few and small, and handlers cache them per catalog version.

// Page is a flat, landing or special page.
type Page struct {
	ID       int64
	URL      string
	Kind     string
	Title    string
	Content  string
	Template string
	IsActive bool
	Products []int64 // special pages: the curated product set, in order
}

// page reads an active page of one kind in lang.
func (s *Service) page(ctx context.Context, id int64, kind, lang string) (*Page, error) {
	p := &Page{ID: id}
	var tr string
	err := s.db.QueryRowContext(ctx, `SELECT url, kind, title, content, template, is_active, translations FROM pages WHERE id = $1 AND kind = $2`, id, kind).
		Scan(&p.URL, &p.Kind, &p.Title, &p.Content, &p.Template, &p.IsActive, &tr)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperror.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if t, ok := decodeTranslations(tr).Get(lang); ok {
		if t.Title != "" {
			p.Title = t.Title
		} else if t.Name != "" {
			p.Title = t.Name
		}
		if t.Content != "" {
			p.Content = t.Content
		}
	}
	return p, nil
}

// FlatPage returns an active flat page.
func (s *Service) FlatPage(ctx context.Context, id int64, lang string) (*Page, error) {
	p, err := s.page(ctx, id, "flat", lang)
	if err == nil && !p.IsActive {
		return nil, apperror.ErrNotFound
	}
	return p, err
}

// LandingPage returns a landing page; the wire shape tells whether it is active.
func (s *Service) LandingPage(ctx context.Context, id int64, lang string) (*Page, error) {
	return s.page(ctx, id, "landing", lang)
}

// SpecialPage returns an active special page with its product set.
func (s *Service) SpecialPage(ctx context.Context, id int64, lang string) (*Page, error) {
	p, err := s.page(ctx, id, "special", lang)
	if err != nil {
		return nil, err
	}
	if !p.IsActive {
		return nil, apperror.ErrNotFound
	}
	rows, err := s.db.QueryContext(ctx, `SELECT product_id FROM page_products WHERE page_id = $1 ORDER BY sort_order, product_id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	p.Products = []int64{}
	for rows.Next() {
		var pid int64
		if err := rows.Scan(&pid); err != nil {
			return nil, err
		}
		p.Products = append(p.Products, pid)
	}
	return p, rows.Err()
}

// Wire renders a special page as SpecialPageType.
func (p *Page) Wire() map[string]any {
	return map[string]any{
		"pk": p.ID, "name": p.Title, "banner": "", "banner_mobile": "", "banner_description": p.Content,
		"video_embedded_code": "", "banner_url": "", "template": p.Template,
		"pretty_url": map[string]any{
			"pk": p.ID, "new_path": p.URL, "old_path": "/special-page/" + itoa(p.ID) + "/", "parent": nil, "language": "",
			"func_module": "", "func_name": "", "func_initkwargs": map[string]any{}, "args": []any{}, "kwargs": map[string]any{},
			"query_params": map[string]any{}, "viewname": "special-page", "created_date": nil, "modified_date": nil, "prettyurl_set": []any{},
		},
	}
}

// storable tells whether s can name a stored record: PostgreSQL refuses
// text that is not UTF-8 or holds NUL, and no imported key is such text.
func storable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// PageByURL finds an active page by its url ("/about/").
func (s *Service) PageByURL(ctx context.Context, path string) (*Page, error) {
	if !storable(path) {
		return nil, apperror.ErrNotFound
	}
	p := &Page{}
	err := s.db.QueryRowContext(ctx, `SELECT id, url, kind, title, content, template, is_active FROM pages WHERE url = $1 AND is_active`, normalizePath(path)).
		Scan(&p.ID, &p.URL, &p.Kind, &p.Title, &p.Content, &p.Template, &p.IsActive)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperror.ErrNotFound
	}
	return p, err
}

// Widget is a named block of content with its products.
type Widget struct {
	Name       string
	Slug       string
	Template   string
	Attributes json.RawMessage
	Products   []int64
}

// Widget returns the widget with slug.
func (s *Service) Widget(ctx context.Context, slug string, lang string) (*Widget, error) {
	if !storable(slug) {
		return nil, apperror.ErrNotFound
	}
	w := &Widget{Slug: slug}
	var id int64
	var attrs, tr string
	err := s.db.QueryRowContext(ctx, `SELECT id, name, template, attributes, translations FROM widgets WHERE slug = $1`, slug).
		Scan(&id, &w.Name, &w.Template, &attrs, &tr)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperror.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if t, ok := decodeTranslations(tr).Get(lang); ok && t.Name != "" {
		w.Name = t.Name
	}
	w.Attributes = json.RawMessage(attrs)
	if !json.Valid(w.Attributes) {
		w.Attributes = json.RawMessage("{}")
	}
	rows, err := s.db.QueryContext(ctx, `SELECT product_id FROM widget_products WHERE widget_id = $1 ORDER BY sort_order, product_id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var pid int64
		if err := rows.Scan(&pid); err != nil {
			return nil, err
		}
		w.Products = append(w.Products, pid)
	}
	return w, rows.Err()
}

// SEO is the title, description and keywords of a storefront path.
type SEO struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	Keywords    string `json:"keywords"`
}

// SEOFor describes path: a category, a product, a page or the home page,
// following a redirect from an old path. What the merchant wrote wins:
// "seo_title", "seo_description" and "seo_keywords" in a translation for
// lang, else (in the store's own language) in the record's attributes.
// Missing fields are made from the record's name and text in lang.
func (s *Service) SEOFor(ctx context.Context, m *Model, path, lang string) (SEO, error) {
	path = normalizePath(path)
	if to, ok := m.Redirect(path); ok {
		path = normalizePath(to)
	}
	slug := strings.Trim(path, "/")
	if c, ok := m.categoryBySlug[slug]; ok {
		var trail []string
		for _, a := range c.Ancestors() {
			trail = append(trail, a.Label(lang))
		}
		made := SEO{Title: c.Label(lang), Description: c.Label(lang), Keywords: strings.Join(trail, ", ")}
		return s.writtenSEO(ctx, m, "categories", c.ID, lang, made)
	}
	if p, ok := m.ProductBySlug(slug); ok {
		made := SEO{Title: p.Label(lang), Description: firstSentence(plainText(p.Text(lang))), Keywords: p.Label(lang)}
		return s.writtenSEO(ctx, m, "products", p.ID, lang, made)
	}
	page, err := s.PageByURL(ctx, path)
	if errors.Is(err, apperror.ErrNotFound) && path == "/" {
		return SEO{Title: m.Store.Name, Description: m.Store.Name}, nil
	}
	if err != nil {
		return SEO{}, err
	}
	if page, err = s.page(ctx, page.ID, page.Kind, lang); err != nil {
		return SEO{}, err
	}
	made := SEO{Title: page.Title, Description: firstSentence(plainText(page.Content)), Keywords: page.Title}
	if made.Description == "" {
		made.Description = page.Title
	}
	return s.writtenSEO(ctx, m, "pages", page.ID, lang, made)
}

// seoFields are the SEO texts a merchant may give in a record's
// attributes or translations.
type seoFields struct {
	Title       string `json:"seo_title"`
	Description string `json:"seo_description"`
	Keywords    string `json:"seo_keywords"`
}

// writtenSEO lays the SEO texts stored with a record over made. They are
// read here rather than kept in the read model: they are wanted once per
// page view at most, and 100,000 products need not carry them in memory.
func (s *Service) writtenSEO(ctx context.Context, m *Model, table string, id int64, lang string, made SEO) (SEO, error) {
	attributes := "'{}'"
	if table != "pages" {
		attributes = "attributes"
	}
	var attrs, tr string
	// table and attributes are constants of this package, never input.
	err := s.db.QueryRowContext(ctx, `SELECT `+attributes+`, translations FROM `+table+` WHERE id = $1`, id).Scan(&attrs, &tr)
	if errors.Is(err, sql.ErrNoRows) { // removed by an import since m was built
		return SEO{}, apperror.ErrNotFound
	}
	if err != nil {
		return SEO{}, err
	}
	var layers []seoFields
	var byLang map[string]seoFields
	if json.Unmarshal([]byte(tr), &byLang) == nil {
		layers = append(layers, byLang[lang])
	}
	if lang == m.Store.DefaultLanguage {
		var own seoFields
		if json.Unmarshal([]byte(attrs), &own) == nil {
			layers = append(layers, own)
		}
	}
	out := made
	for i := len(layers) - 1; i >= 0; i-- {
		for _, f := range []struct {
			to   *string
			from string
		}{
			{&out.Title, layers[i].Title}, {&out.Description, layers[i].Description}, {&out.Keywords, layers[i].Keywords},
		} {
			if strings.TrimSpace(f.from) != "" {
				*f.to = f.from
			}
		}
	}
	return out, nil
}

// plainText drops the HTML tags of page content, for a description.
func plainText(html string) string {
	var b strings.Builder
	inTag := false
	for _, r := range html {
		switch {
		case r == '<':
			inTag = true
		case r == '>' && inTag:
			inTag = false
			b.WriteByte(' ')
		case !inTag:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func firstSentence(s string) string {
	if len(s) > 160 {
		cut := strings.LastIndex(s[:160], " ")
		if cut < 1 {
			cut = 160
		}
		s = s[:cut]
	}
	return s
}
