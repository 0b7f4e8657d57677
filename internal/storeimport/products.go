package storeimport

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/searchtext"
)

func init() { Register("products", loadProducts) }

// productBatch is how many products are looked up and written together:
// large enough to amortise the round trip, small enough to keep memory flat.
const productBatch = 500

type price struct {
	price, retail money.Amount
}

// product is a validated products record.
type product struct {
	path                                      string
	sku, baseCode, name, description, slug    string
	active, listable                          bool
	attributes, images, translations, taxRate string
	prices                                    map[string]price
	categories                                []string
	stock                                     int64
	created                                   time.Time
	searchText, hash                          string
}

// productLoader carries the state of the products section across batches.
type productLoader struct {
	imp        *Import
	now        time.Time
	batch      []*product
	seen       idSet            // products listed in the file so far
	categories map[string]int64 // category code → id, loaded once
	pending    []pendingCategory
	stmts      map[string]*sql.Stmt
	staging    bool // PostgreSQL's import_products exists (see stage)
}

// pendingCategory is a product's category that was not known when the
// product was read, because the categories section comes later.
type pendingCategory struct {
	productID int64
	code      string
	path      string
}

func loadProducts(ctx context.Context, imp *Import) error {
	l := &productLoader{imp: imp, now: time.Now().UTC(), stmts: map[string]*sql.Stmt{}}
	defer func() {
		for _, s := range l.stmts {
			s.Close()
		}
	}()
	// Validating a product (JSON texts, search text, digest) costs about
	// as much as writing it: it runs ahead, beside the writes.
	prepare := func(r *Record) any { return readProduct(r) }
	replace, err := imp.PreparedItems(prepare, func(_ *Record, prepared any) error {
		if p := prepared.(*product); p != nil {
			l.batch = append(l.batch, p)
		}
		if len(l.batch) >= productBatch {
			return l.flush(ctx)
		}
		return nil
	})
	if err == nil {
		err = l.flush(ctx)
	}
	if err != nil || !imp.Ok() {
		return err
	}
	if len(l.pending) > 0 {
		imp.After(func() error { return l.resolvePending(ctx) })
	}
	if !replace {
		return nil
	}
	// Orders and baskets point at products: the rest are deactivated, never deleted.
	return imp.removeRest("products", &l.seen, "active")
}

func readProduct(r *Record) *product {
	p := &product{path: r.path}
	p.sku = code(r, "sku")
	p.baseCode = r.OptString("base_code", p.sku)
	p.name = r.String("name")
	p.description = r.OptString("description", "")
	p.slug = slug(r, "slug", strings.ToLower(p.sku))
	p.active = r.Bool("active", true)
	p.listable = r.Bool("listable", true)
	searchParts := append([]string{p.name, p.sku, p.baseCode}, r.TranslatedTexts("name")...)
	if attrs := r.Object("attributes"); attrs != nil {
		keys := make([]string, 0, len(attrs.raw))
		for k := range attrs.raw {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			attrs.used[k] = true
			switch v := attrs.raw[k].(type) {
			case string:
				searchParts = append(searchParts, v)
			case json.Number, bool:
			default:
				attrs.Fail(k, "must be a string, number or boolean")
			}
		}
		b, _ := json.Marshal(attrs.raw)
		p.attributes = string(b)
	} else {
		p.attributes = "{}"
	}
	p.categories = r.Strings("categories")
	images := r.Strings("images")
	for i, img := range images {
		if !isImageURL(img) {
			r.Fail("images["+strconv.Itoa(i)+"]", "must be an http(s) URL")
		}
	}
	if images == nil {
		images = []string{}
	}
	b, _ := json.Marshal(images)
	p.images = string(b)
	p.taxRate = r.Decimal("tax_rate", "0")
	p.prices = map[string]price{}
	if prices := r.Object("prices"); prices != nil {
		for cur := range prices.raw {
			if !IsCurrency(cur) {
				prices.Fail(cur, "not an ISO 4217 currency code in upper case")
			}
			entry := prices.Object(cur)
			if entry == nil {
				continue
			}
			pr := price{price: entry.Money("price")}
			pr.retail = pr.price
			if rp, ok := entry.OptMoney("retail_price"); ok {
				pr.retail = rp
			}
			entry.Done()
			p.prices[cur] = pr
		}
	}
	p.stock = r.Int("stock", 0, 0, 1_000_000_000)
	p.created = r.Time("created")
	p.translations = r.Translations()
	if !r.Done() {
		return nil
	}
	p.searchText = searchtext.Fold(strings.Join(searchParts, " "))
	p.hash = p.digest()
	return p
}

// digest covers everything stored about the product but its stock and
// active flag, which are compared on their own: orders move stock and a
// replace import clears active, and a feed that only updates stock should
// cost one UPDATE per product. It is computed from the validated fields
// (whose JSON texts are already built for storage) rather than by
// re-encoding the record.
func (p *product) digest() string {
	currencies := make([]string, 0, len(p.prices))
	for cur := range p.prices {
		currencies = append(currencies, cur)
	}
	sort.Strings(currencies)
	var prices strings.Builder
	for _, cur := range currencies {
		fmt.Fprintf(&prices, "%s:%d:%d;", cur, p.prices[cur].price, p.prices[cur].retail)
	}
	created := ""
	if !p.created.IsZero() {
		created = p.created.Format(time.RFC3339)
	}
	return digest([]byte(p.baseCode), []byte(p.name), []byte(p.description), []byte(p.slug),
		[]byte(strconv.FormatBool(p.listable)), []byte(p.attributes), []byte(p.images), []byte(p.taxRate),
		[]byte(prices.String()), []byte(strings.Join(p.categories, "\x00")), []byte(created), []byte(p.translations))
}

type existingProduct struct {
	id     int64
	hash   string
	stock  int64
	active bool
}

// productCols are the columns of a new product, in the order of
// product.row; every one but sku is also rewritten by an update.
var productCols = []string{"sku", "base_code", "name", "description", "slug", "active", "listable", "attributes",
	"images", "tax_rate", "stock", "translations", "search_text", "import_hash", "created_at", "updated_at"}

// stockCols are what an update that changes only stock or the active
// flag writes (see product.digest).
var stockCols = []string{"stock", "active", "updated_at"}

// row is the product's values for productCols. A product without a
// creation time is created now, and an update keeps the stored one (nil).
func (p *product) row(now time.Time, update bool) []any {
	var created any = p.created
	if p.created.IsZero() {
		created = now
		if update {
			created = nil
		}
	}
	return []any{p.sku, p.baseCode, p.name, p.description, p.slug, p.active, p.listable, p.attributes,
		p.images, p.taxRate, p.stock, p.translations, p.searchText, p.hash, created, now}
}

// batchPlan is what a batch does: the products to create, to rewrite
// (with their ids), and the stock and active flags to set.
type batchPlan struct {
	inserts, changed []*product
	changedIDs       []int64
	stock            [][]any // id, then the values of stockCols
}

// flush writes the current batch: one query finds the stored versions,
// plan decides each product's outcome, and write sends the rows in bulk,
// so a batch costs a few statements whatever its size.
func (l *productLoader) flush(ctx context.Context) error {
	batch := l.batch
	l.batch = l.batch[:0]
	if len(batch) == 0 || !l.imp.Ok() {
		return nil
	}
	existing, err := l.existing(ctx, batch)
	if err != nil {
		return err
	}
	plan := l.plan(batch, existing)
	if !l.imp.Ok() {
		return nil
	}
	return l.write(ctx, plan)
}

// plan counts each product's outcome and reports duplicate SKUs. It
// holds every rule of the section's writes; write only carries them out.
func (l *productLoader) plan(batch []*product, existing map[string]existingProduct) *batchPlan {
	imp := l.imp
	plan := &batchPlan{}
	created := map[string]bool{}
	for _, p := range batch {
		e, found := existing[p.sku]
		if (found && l.seen.has(e.id)) || created[p.sku] {
			imp.Fail(p.path+".sku", "duplicate SKU "+p.sku+" in the file")
			continue
		}
		if !imp.Ok() {
			continue // keep finding duplicates, write nothing
		}
		if !found {
			created[p.sku] = true
			plan.inserts = append(plan.inserts, p)
			imp.Count(Created)
			continue
		}
		l.seen.add(e.id)
		switch {
		case e.hash == p.hash && e.active == p.active && e.stock == p.stock:
			imp.Count(Unchanged)
		case e.hash == p.hash:
			plan.stock = append(plan.stock, []any{e.id, p.stock, p.active, l.now})
			imp.Count(Updated)
			imp.ProductChanged(e.id)
		default:
			plan.changed = append(plan.changed, p)
			plan.changedIDs = append(plan.changedIDs, e.id)
			imp.Count(Updated)
			imp.ProductChanged(e.id)
		}
		if e.stock == 0 && p.stock > 0 {
			imp.Restocked(e.id)
		}
	}
	return plan
}

// write carries out a plan: new products, rewritten ones, stock, then the
// prices and category links of the new and rewritten ones.
func (l *productLoader) write(ctx context.Context, plan *batchPlan) error {
	rows := make([][]any, len(plan.inserts))
	for i, p := range plan.inserts {
		rows[i] = p.row(l.now, false)
	}
	bySKU, err := l.insertProducts(ctx, rows)
	if err != nil {
		return err
	}
	ids := make([]int64, len(plan.inserts), len(plan.inserts)+len(plan.changed))
	for i, p := range plan.inserts {
		ids[i] = bySKU[p.sku]
		l.seen.add(ids[i])
	}
	rows = make([][]any, len(plan.changed))
	for i, p := range plan.changed {
		rows[i] = append([]any{plan.changedIDs[i]}, p.row(l.now, true)[1:]...)
	}
	if err := l.updateProducts(ctx, productCols[1:], rows); err != nil {
		return err
	}
	if err := l.updateProducts(ctx, stockCols, plan.stock); err != nil {
		return err
	}
	if err := l.deleteChildren(ctx, plan.changedIDs); err != nil {
		return err
	}
	return l.writeChildren(ctx, append(ids, plan.changedIDs...), append(plan.inserts, plan.changed...))
}

// deleteChildren removes the prices and category links of products that
// are rewritten.
func (l *productLoader) deleteChildren(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	for _, table := range []string{"product_prices", "product_categories"} {
		if _, err := l.imp.tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE product_id IN ("+placeholders(1, len(args))+")", args...); err != nil {
			return err
		}
	}
	return nil
}

// existing returns the stored id, digest, stock and active flag of the
// batch's SKUs that are already in the database.
func (l *productLoader) existing(ctx context.Context, batch []*product) (map[string]existingProduct, error) {
	args := make([]any, len(batch))
	for i, p := range batch {
		args[i] = p.sku
	}
	out := make(map[string]existingProduct, len(batch))
	rows, err := l.query(ctx, "SELECT id, sku, import_hash, stock, active FROM products WHERE sku IN ("+
		placeholders(1, len(args))+")", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var e existingProduct
		var sku string
		if err := rows.Scan(&e.id, &sku, &e.hash, &e.stock, &e.active); err != nil {
			return nil, err
		}
		out[sku] = e
	}
	return out, rows.Err()
}

// stmt prepares a statement once per section. Only SQLite needs it:
// pgx already caches the prepared statements of each connection.
func (l *productLoader) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := l.stmts[query]; ok {
		return s, nil
	}
	s, err := l.imp.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	l.stmts[query] = s
	return s, nil
}

func (l *productLoader) exec(ctx context.Context, query string, args ...any) error {
	if l.imp.db.Engine != database.SQLite {
		_, err := l.imp.tx.ExecContext(ctx, query, args...)
		return err
	}
	s, err := l.stmt(ctx, query)
	if err == nil {
		_, err = s.ExecContext(ctx, args...)
	}
	return err
}

func (l *productLoader) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if l.imp.db.Engine != database.SQLite {
		return l.imp.tx.QueryContext(ctx, query, args...)
	}
	s, err := l.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// writeChildren inserts the prices and category links of the products
// (ids[i] is the id of list[i]).
func (l *productLoader) writeChildren(ctx context.Context, ids []int64, list []*product) error {
	if len(list) == 0 {
		return nil
	}
	if l.categories == nil {
		var err error
		if l.categories, err = l.imp.categoryIDs(ctx); err != nil {
			return err
		}
	}
	var prices, links [][]any
	for i, p := range list {
		id := ids[i]
		currencies := make([]string, 0, len(p.prices))
		for cur := range p.prices {
			currencies = append(currencies, cur)
		}
		sort.Strings(currencies)
		for _, cur := range currencies {
			prices = append(prices, []any{id, cur, int64(p.prices[cur].price), int64(p.prices[cur].retail)})
		}
		linked := map[int64]bool{}
		for j, c := range p.categories {
			path := p.path + ".categories[" + strconv.Itoa(j) + "]"
			cid, ok := l.categories[c]
			switch {
			case !ok && l.imp.Seen("categories"):
				l.imp.Fail(path, "unknown category "+strconv.Quote(c))
			case !ok:
				l.pending = append(l.pending, pendingCategory{productID: id, code: c, path: path})
			case !linked[cid]:
				linked[cid] = true
				links = append(links, []any{id, cid})
			}
		}
	}
	if err := l.insertRows(ctx, "product_prices", []string{"product_id", "currency", "price", "retail_price"}, prices); err != nil {
		return err
	}
	return l.insertRows(ctx, "product_categories", []string{"product_id", "category_id"}, links)
}

// resolvePending links products to categories that came later in the file.
func (l *productLoader) resolvePending(ctx context.Context) error {
	ids, err := l.imp.categoryIDs(ctx)
	if err != nil {
		return err
	}
	for _, p := range l.pending {
		cid, ok := ids[p.code]
		if !ok {
			l.imp.Fail(p.path, "unknown category "+strconv.Quote(p.code))
			continue
		}
		if _, err := l.imp.tx.ExecContext(ctx, `INSERT INTO product_categories (product_id, category_id) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, p.productID, cid); err != nil {
			return err
		}
	}
	return nil
}

func (imp *Import) categoryIDs(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	rows, err := imp.tx.QueryContext(ctx, "SELECT id, code FROM categories")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var c string
		if err := rows.Scan(&id, &c); err != nil {
			return nil, err
		}
		out[c] = id
	}
	return out, rows.Err()
}
