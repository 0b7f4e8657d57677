package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vitrin/vitrin/internal/apperror"
)

// The site menu is the category tree: each category is one menu item,
// named by the category's uuid (its "menuitemmodel").

// MenuItem is MenuItemType of types/commerce/misc.ts.
type MenuItem struct {
	Label         string      `json:"label"`
	URL           string      `json:"url"`
	Level         int         `json:"level"`
	PK            string      `json:"pk"`
	SortOrder     int         `json:"sort_order"`
	Path          string      `json:"path"`
	ParentPK      *string     `json:"parent_pk"`
	Parent        *MenuItem   `json:"parent"`
	GeneratorName string      `json:"generator_name"`
	ExtraContext  menuContext `json:"extra_context"`
	Children      []MenuItem  `json:"children"`
}

type menuContext struct {
	Attributes    map[string]any `json:"attributes"`
	IncludeParent bool           `json:"include_parent"`
	NumChild      int            `json:"numchild"`
}

// MaxMenuDepth caps depth_height.
const MaxMenuDepth = 10

func (m *Model) menuItem(c *Category, lang string) MenuItem {
	attrs := map[string]any{}
	_ = json.Unmarshal(c.Attributes, &attrs)
	attrs["category_id"] = c.ID
	if _, ok := attrs["images"]; !ok {
		attrs["images"] = []any{}
	}
	item := MenuItem{
		Label: c.Label(lang), URL: c.URL(), Level: c.Depth, PK: c.UUID, SortOrder: c.SortOrder,
		Path: menuPath(c), GeneratorName: "menu_item",
		ExtraContext: menuContext{Attributes: attrs, NumChild: len(c.Children)},
	}
	if c.Parent != nil {
		parent := c.Parent.UUID
		item.ParentPK = &parent
	}
	return item
}

// menuPath is the tree path of c: four digits per level, its place among
// its siblings, so sorting by path gives tree order.
func menuPath(c *Category) string {
	var b strings.Builder
	for _, n := range c.Ancestors() {
		siblings := n.Children
		if n.Parent != nil {
			siblings = n.Parent.Children
		}
		place := 1
		for i, s := range siblings {
			if s == n {
				place = i + 1
			}
		}
		fmt.Fprintf(&b, "%04d", place)
	}
	return b.String()
}

// Menu returns depth levels of the menu below parent ("" or unknown: the
// roots).
func (m *Model) Menu(parent string, depth int, lang string) []MenuItem {
	level := m.roots
	if parent != "" {
		c, ok := m.CategoryByMenuItem(parent)
		if !ok {
			return []MenuItem{}
		}
		level = c.Children
	}
	return m.menuLevel(level, depth, lang)
}

func (m *Model) menuLevel(list []*Category, depth int, lang string) []MenuItem {
	out := []MenuItem{}
	if depth < 1 {
		return out
	}
	for _, c := range list {
		item := m.menuItem(c, lang)
		item.Children = m.menuLevel(c.Children, depth-1, lang)
		out = append(out, item)
	}
	return out
}

// Breadcrumb returns the menu items from the root down to item.
func (m *Model) Breadcrumb(item, lang string) []MenuItem {
	c, ok := m.CategoryByMenuItem(item)
	if !ok {
		return []MenuItem{}
	}
	out := []MenuItem{}
	var parent *MenuItem
	for _, n := range c.Ancestors() {
		mi := m.menuItem(n, lang)
		mi.Children = []MenuItem{}
		// The list is flat: each item names its parent item, as
		// BreadcrumbResultType has it (and the client's menuGenerator
		// rebuilds a tree from).
		mi.Parent = parent
		out = append(out, mi)
		parent = &mi
	}
	return out
}

// PrettyURL is a pretty URL record: new_path is what the shopper sees,
// old_path the API path it stands for.
type PrettyURL struct {
	PK          int64          `json:"pk"`
	NewPath     string         `json:"new_path"`
	OldPath     string         `json:"old_path"`
	Parent      *int64         `json:"parent"`
	Language    string         `json:"language"`
	ViewName    string         `json:"viewname"`
	Args        []any          `json:"args"`
	Kwargs      map[string]any `json:"kwargs"`
	QueryParams map[string]any `json:"query_params"`
}

// Pretty URL records are derived, not stored; their pks only need to be
// stable and distinct, so each kind of target gets its own residue.
const (
	prettyCategory = iota + 1
	prettyProduct
	prettyPage
)

// ResolvePath finds what a storefront path names: a category, a product,
// a page, or (through a redirect) one of those.
func (s *Service) ResolvePath(ctx context.Context, m *Model, path string) (*PrettyURL, error) {
	path = normalizePath(path)
	if target, ok := m.redirects[path]; ok {
		rec, err := s.resolveDirect(ctx, m, normalizePath(target))
		if err != nil {
			return nil, err
		}
		rec.NewPath = path
		return rec, nil
	}
	return s.resolveDirect(ctx, m, path)
}

func (s *Service) resolveDirect(ctx context.Context, m *Model, path string) (*PrettyURL, error) {
	rec := &PrettyURL{NewPath: path, Args: []any{}, Kwargs: map[string]any{}, QueryParams: map[string]any{}}
	if c, ok := m.CategoryBySlug(path); ok {
		rec.PK, rec.OldPath, rec.ViewName = c.ID*4+prettyCategory, fmt.Sprintf("/category/%d/", c.ID), "category"
		rec.Kwargs["pk"] = c.ID
		return rec, nil
	}
	if p, ok := m.ProductBySlug(path); ok {
		rec.PK, rec.OldPath, rec.ViewName = p.ID*4+prettyProduct, fmt.Sprintf("/product/%d/", p.ID), "product"
		rec.Kwargs["pk"] = p.ID
		return rec, nil
	}
	page, err := s.PageByURL(ctx, path)
	if err != nil {
		return nil, err
	}
	rec.PK = page.ID*4 + prettyPage
	rec.Kwargs["pk"] = page.ID
	switch page.Kind {
	case "flat":
		rec.OldPath, rec.ViewName = fmt.Sprintf("/shop-flat-page/%d/", page.ID), "flat-page"
	case "landing":
		rec.OldPath, rec.ViewName = fmt.Sprintf("/landing-page/%d/", page.ID), "landing-page"
	case "special":
		rec.OldPath, rec.ViewName = fmt.Sprintf("/special-page/%d/", page.ID), "special-page"
	default:
		return nil, apperror.ErrNotFound
	}
	return rec, nil
}

// Redirect returns where an old path now lives.
func (m *Model) Redirect(path string) (string, bool) {
	to, ok := m.redirects[normalizePath(path)]
	return to, ok
}
