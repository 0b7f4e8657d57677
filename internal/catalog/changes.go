package catalog

import (
	"bytes"
	"cmp"
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/vitrin/vitrin/internal/database"
)

// The change log. Every transaction that changes catalog rows calls
// RecordChanges, which bumps settings.catalog_version and logs, under the
// new version, which products changed. A node behind the database reads
// the log since its model's version and reloads just those products
// (applyChanges); a change it cannot apply that way (a new product, a
// category, an attribute, a product moved to another category) makes it
// build the next model beside the one that serves. Either way the new
// model is swapped in whole, so a request sees one version or the other.

// everything in the log means that anything may have changed.
const everything = 0

// keptVersions is how many versions the log keeps; a node further behind
// (down for a while) finds versions missing and rebuilds.
const keptVersions = 10000

// RecordChanges bumps the catalog version in q's transaction and logs
// that the products with productIDs changed, so every node reloads just
// those (prices, stock, texts). With no productIDs it logs that anything
// may have changed, and nodes rebuild their models. It returns the new
// version. Call it once per transaction, after the writes.
func RecordChanges(ctx context.Context, q database.Querier, productIDs []int64) (int64, error) {
	var version int64
	err := q.QueryRowContext(ctx, `INSERT INTO settings (key, value) VALUES ('catalog_version', '1')
		ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(settings.value AS BIGINT) + 1 AS TEXT)
		RETURNING CAST(value AS BIGINT)`).Scan(&version)
	if err != nil {
		return 0, err
	}
	ids := slices.Clone(productIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	ids = slices.DeleteFunc(ids, func(id int64) bool { return id == everything })
	if len(ids) == 0 {
		ids = []int64{everything}
	}
	const perStatement = 400
	for start := 0; start < len(ids); start += perStatement {
		chunk := ids[start:min(start+perStatement, len(ids))]
		values := make([]string, len(chunk))
		args := []any{version}
		for i, id := range chunk {
			args = append(args, id)
			values[i] = "($1, $" + strconv.Itoa(i+2) + ")"
		}
		if _, err := q.ExecContext(ctx, "INSERT INTO catalog_changes (version, product_id) VALUES "+strings.Join(values, ", "), args...); err != nil {
			return 0, err
		}
	}
	if _, err := q.ExecContext(ctx, "DELETE FROM catalog_changes WHERE version <= $1", version-keptVersions); err != nil {
		return 0, err
	}
	return version, nil
}

// changedSince returns the products the log names for the versions after
// from up to to, or all = true when one of them changed more than
// products or is no longer logged.
func changedSince(ctx context.Context, q database.Querier, from, to int64) (ids []int64, all bool, err error) {
	rows, err := q.QueryContext(ctx, `SELECT version, product_id FROM catalog_changes
		WHERE version > $1 AND version <= $2 ORDER BY version`, from, to)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	versions := int64(0)
	last := from
	for rows.Next() {
		var version, id int64
		if err := rows.Scan(&version, &id); err != nil {
			return nil, false, err
		}
		if version != last {
			versions++
			last = version
		}
		if id == everything {
			all = true
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	slices.Sort(ids)
	return slices.Compact(ids), all || versions != to-from, nil
}

// maxAppliedChanges is how many changed products a node reloads one by
// one; beyond it (a whole-catalog price list), a rebuild is as cheap.
func maxAppliedChanges(products int) int { return max(1000, products/10) }

// applyChanges returns the model of version made from m by reloading the
// products the log names since m's version, or nil when those changes
// need a rebuild. Only the products, the price orders and the price
// facet of the currencies whose prices moved are new; everything else is
// shared with m, which goes on serving unchanged.
func (m *Model) applyChanges(ctx context.Context, db *database.DB, version int64) (*Model, error) {
	ids, all, err := changedSince(ctx, db, m.Version, version)
	if err != nil || all || len(ids) > maxAppliedChanges(m.size()) {
		return nil, err
	}
	reloaded, err := reloadProducts(ctx, db, ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		pos, known := m.position(id)
		p, active := reloaded[id]
		if active { // the model knows active categories only
			p.Categories = slices.DeleteFunc(p.Categories, func(c int64) bool { return m.categoryByID[c] == nil })
		}
		if known != active || (known && !sameIndexing(m.at(pos), p)) {
			return nil, nil
		}
		if known {
			shareTexts(p, m.at(pos))
		}
	}
	return m.withProducts(reloaded, version), nil
}

// sameIndexing reports whether b sits in every index of the model where
// a does: same listing flag, categories, facet values, search text, slug,
// group and age. Prices are reindexed by withProducts; stock, texts and
// images are not indexed.
func sameIndexing(a, b *Product) bool {
	return a.Listable == b.Listable && a.Slug == b.Slug && a.BaseCode == b.BaseCode &&
		a.searchHash == b.searchHash && a.created == b.created &&
		slices.Equal(a.Categories, b.Categories) && sameAttrValues(a.attrs.values, b.attrs.values)
}

// sameProduct reports whether a and b are the same in every field.
func sameProduct(a, b *Product) bool {
	return sameIndexing(a, b) && a.ID == b.ID && a.SKU == b.SKU && a.Name == b.Name && a.Description == b.Description &&
		a.TaxRate == b.TaxRate && a.Stock == b.Stock && a.modified == b.modified &&
		bytes.Equal(a.attrs.raw, b.attrs.raw) && slices.Equal(a.Images, b.Images) &&
		samePrices(a.Prices, b.Prices) && sameTranslations(a.Translations, b.Translations)
}

// samePrices compares prices in any order.
func samePrices(a, b Prices) bool {
	if len(a) != len(b) {
		return false
	}
	for _, p := range a {
		if q, ok := b.Get(p.Currency); !ok || q != p.Price {
			return false
		}
	}
	return true
}

// sameTranslations compares translations in any order.
func sameTranslations(a, b Translations) bool {
	if len(a) != len(b) {
		return false
	}
	for _, t := range a {
		if u, ok := b.Get(t.Language); !ok || u != t.Text {
			return false
		}
	}
	return true
}

func sameAttrValues(a, b []attrValue) bool {
	if len(a) != len(b) {
		return false
	}
	byKey := func(x, y attrValue) int { return cmp.Compare(x.key, y.key) }
	return slices.Equal(slices.SortedFunc(slices.Values(a), byKey), slices.SortedFunc(slices.Values(b), byKey))
}

// withProducts returns a copy of m at version with the products in
// changed (by id, each already in m) replacing their old selves. Its work
// is in proportion to the changed products: the chunks of the arrays they
// are in are copied, the rest is shared with m.
func (m *Model) withProducts(changed map[int64]*Product, version int64) *Model {
	next := *m
	next.Version = version
	next.cache = newResponseCache()
	next.prices = maps.Clone(m.prices)
	next.byPrice = maps.Clone(m.byPrice)
	next.priceBuckets = maps.Clone(m.priceBuckets)
	byPos := make(map[int32]*Product, len(changed))
	for id, p := range changed {
		pos, _ := m.position(id)
		byPos[pos] = p
	}
	next.products = m.products.with(byPos)
	for _, cur := range m.Store.Currencies {
		next.reprice(m, cur, byPos)
	}
	return &next
}

// reprice redoes, on next, the price order and facet of cur for the
// products in changed whose price in cur moved since m.
func (next *Model) reprice(m *Model, cur string, changed map[int32]*Product) {
	old := m.prices[cur]
	moved := map[int32]int64{}
	var repriced []int32
	for pos, p := range changed {
		if price := priceIn(p, cur); price != old.at(pos) {
			moved[pos] = price
			repriced = append(repriced, pos)
		}
	}
	if len(repriced) == 0 {
		return
	}
	prices := old.with(moved)
	order := m.byPrice[cur].moved(repriced, byPriceOrder(old.at), byPriceOrder(prices.at), pricedAndListable(prices, m.listable))
	next.prices[cur], next.byPrice[cur] = prices, order
	next.priceBuckets[cur] = repricedBuckets(m.priceBuckets[cur], order, old, prices, repriced, m.listable, cur)
}

// priceIn is p's price in cur in minor units, -1 when it has none.
func priceIn(p *Product, cur string) int64 {
	if pr, ok := p.Prices.Get(cur); ok {
		return int64(pr.Price)
	}
	return -1
}

// pricedAndListable tells the positions the price facet counts.
func pricedAndListable(prices chunked[int64], listable bitset) func(int32) bool {
	return func(pos int32) bool { return prices.at(pos) >= 0 && listable.has(pos) }
}

// byPriceOrder compares positions by price (unpriced last), then by
// position: the order of m.byPrice.
func byPriceOrder(price func(int32) int64) func(a, b int32) int {
	return func(a, b int32) int {
		x, y := price(a), price(b)
		if (x < 0) != (y < 0) {
			if x < 0 {
				return 1
			}
			return -1
		}
		if c := cmp.Compare(x, y); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	}
}

// reloadProducts reads the products with ids as the model holds them,
// by id; inactive or deleted ones are missing.
func reloadProducts(ctx context.Context, db *database.DB, ids []int64) (map[int64]*Product, error) {
	out := make(map[int64]*Product, len(ids))
	const perQuery = 500
	for start := 0; start < len(ids); start += perQuery {
		chunk := ids[start:min(start+perQuery, len(ids))]
		args := make([]any, len(chunk))
		marks := make([]string, len(chunk))
		for i, id := range chunk {
			args[i] = id
			marks[i] = "$" + strconv.Itoa(i+1)
		}
		in := " IN (" + strings.Join(marks, ", ") + ")"
		err := scanProducts(ctx, db, productQuery+" WHERE active AND id"+in, args, func(p *Product, _ string) { out[p.ID] = p })
		if err == nil {
			err = scanPrices(ctx, db, priceQuery+" WHERE product_id"+in, args, func(id int64, cp CurrencyPrice) {
				if p := out[id]; p != nil {
					p.Prices = append(p.Prices, cp)
				}
			})
		}
		if err == nil {
			err = scanProductCategories(ctx, db, productCategoryQuery+" WHERE product_id"+in+" ORDER BY product_id, category_id", args, func(pid, cid int64) {
				if p := out[pid]; p != nil {
					p.Categories = append(p.Categories, cid)
				}
			})
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
