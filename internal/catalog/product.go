package catalog

import (
	"context"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// ProductPage is a product with its variant selectors.
type ProductPage struct {
	Product  *Product
	Selected *Product // nil when no product has every selected value
	Variants []Variant
	Group    []*Product // every product of the base code
	Stock    map[int64]int64
}

// Variant is one variant attribute (size, color) of a product group.
type Variant struct {
	Attribute *Attribute
	Options   []VariantOption
}

// VariantOption is one value of a variant attribute.
type VariantOption struct {
	Value string
	Order int
	// InStock: the option's product can be bought now.
	InStock bool
	// IsSelectable: some product with this value and the values selected
	// for the attributes before this one is in stock;
	// IsSelectableWithoutStock: such a product exists at all.
	IsSelectable             bool
	IsSelectableWithoutStock bool
	IsSelected               bool
	Product                  *Product
}

// Stock reads the current stock of the products with ids (at most a
// page). Orders change stock between imports, so answers never take it
// from the model.
func (s *Service) Stock(ctx context.Context, ids []int64) (map[int64]int64, error) {
	stock := make(map[int64]int64, len(ids))
	if len(ids) == 0 {
		return stock, nil
	}
	var query strings.Builder
	args := make([]any, len(ids))
	query.WriteString("SELECT id, stock FROM products WHERE id IN (")
	for i, id := range ids {
		if i > 0 {
			query.WriteByte(',')
		}
		query.WriteString("$" + strconv.Itoa(i+1))
		args[i] = id
	}
	query.WriteByte(')')
	rows, err := s.db.QueryContext(ctx, query.String(), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		stock[id] = n
	}
	return stock, rows.Err()
}

// ProductPage builds the page of p. params select variants by attribute
// key (?size=M); values not offered are ignored. stock is the current stock
// by product id; cur decides whether a product can be bought.
func (m *Model) ProductPage(p *Product, params url.Values, stock map[int64]int64, cur string) *ProductPage {
	page := &ProductPage{Product: p, Stock: stock, Group: m.Group(p)}
	buyable := func(q *Product) bool {
		_, priced := q.Prices.Get(cur)
		return priced && stock[q.ID] > 0
	}

	// The variant attributes the group actually varies on, and the value
	// selected for each: the query's when offered, else the product's own.
	var attrs []*Attribute
	var selected []string
	for _, a := range m.variantAttrs {
		values := map[string]bool{}
		for _, q := range page.Group {
			if v := q.AttributeValue(a.Key); v != "" {
				values[v] = true
			}
		}
		if len(values) == 0 {
			continue
		}
		choice := p.AttributeValue(a.Key)
		if v := strings.TrimSpace(params.Get(a.Key)); values[v] {
			choice = v
		}
		attrs = append(attrs, a)
		selected = append(selected, choice)
	}

	matches := func(q *Product, upTo int) int {
		n := 0
		for i := 0; i < upTo; i++ {
			if q.AttributeValue(attrs[i].Key) == selected[i] {
				n++
			}
		}
		return n
	}
	for k, a := range attrs {
		variant := Variant{Attribute: a}
		var values []string
		seen := map[string]bool{}
		for _, q := range page.Group {
			if v := q.AttributeValue(a.Key); v != "" && !seen[v] {
				seen[v] = true
				values = append(values, v)
			}
		}
		sort.SliceStable(values, func(i, j int) bool { return variantLess(values[i], values[j]) })
		for order, v := range values {
			opt := VariantOption{Value: v, Order: order, IsSelected: v == selected[k]}
			// The option's product: the one with this value that agrees with
			// most other selections, in stock preferred.
			bestScore := -1
			for _, q := range page.Group {
				if q.AttributeValue(a.Key) != v {
					continue
				}
				earlier := matches(q, k) == k
				if earlier {
					opt.IsSelectableWithoutStock = true
					opt.IsSelectable = opt.IsSelectable || buyable(q)
				}
				score := matches(q, len(attrs)) * 4
				if earlier {
					score += 2 * len(attrs) * 4
				}
				if buyable(q) {
					score++
				}
				if score > bestScore {
					bestScore, opt.Product = score, q
				}
			}
			opt.InStock = buyable(opt.Product)
			variant.Options = append(variant.Options, opt)
		}
		page.Variants = append(page.Variants, variant)
	}
	if len(attrs) == 0 {
		page.Selected = p
	}
	for _, q := range page.Group {
		if len(attrs) > 0 && matches(q, len(attrs)) == len(attrs) {
			page.Selected = q
			break
		}
	}
	return page
}

// SelectVariant is the product of p's group that params select (?size=M), as on
// p's product page; p itself when no product has every selected value.
func (m *Model) SelectVariant(p *Product, params url.Values) *Product {
	if q := m.ProductPage(p, params, nil, "").Selected; q != nil {
		return q
	}
	return p
}

// sizeRank orders clothing sizes the way shoppers read them.
var sizeRank = map[string]int{"XXS": 1, "XS": 2, "S": 3, "M": 4, "L": 5, "XL": 6, "XXL": 7, "2XL": 7, "XXXL": 8, "3XL": 8, "4XL": 9}

func variantLess(a, b string) bool {
	ra, rb := sizeRank[strings.ToUpper(a)], sizeRank[strings.ToUpper(b)]
	if ra > 0 && rb > 0 {
		return ra < rb
	}
	return naturalLess(a, b)
}

// ProductBySlug finds an active product by its pretty URL.
func (m *Model) ProductBySlug(slug string) (*Product, bool) {
	// Of products with one slug the last wins, as it always has.
	same := m.findBy(m.slugOrder, slugKey, strings.Trim(slug, "/"))
	if len(same) == 0 {
		return nil, false
	}
	return m.at(same[len(same)-1]), true
}

// CategoryBySlug finds an active category by its pretty URL.
func (m *Model) CategoryBySlug(slug string) (*Category, bool) {
	c, ok := m.categoryBySlug[strings.Trim(slug, "/")]
	return c, ok
}

// CategoryByMenuItem finds a category by its menu item id (uuid) or pk.
func (m *Model) CategoryByMenuItem(item string) (*Category, bool) {
	item = strings.TrimSpace(item)
	if pk, ok := ParsePK(item); ok {
		if c, ok := m.categoryByID[pk]; ok {
			return c, true
		}
	}
	for _, c := range m.Categories {
		if c.UUID == item {
			return c, true
		}
	}
	return nil, false
}

// ProductCategories returns p's categories, deepest first.
func (m *Model) ProductCategories(p *Product) []*Category {
	var out []*Category
	for _, id := range p.Categories {
		if c, ok := m.categoryByID[id]; ok {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Depth > out[j].Depth })
	return out
}

// Group returns the products that share p's base code, p included.
func (m *Model) Group(p *Product) []*Product {
	var out []*Product
	for _, pos := range m.findBy(m.groupOrder, groupKey, p.BaseCode) {
		out = append(out, m.at(pos))
	}
	return out
}
