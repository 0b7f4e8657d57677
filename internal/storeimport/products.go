package storeimport

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
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
	replace, err := imp.Items(func(r *Record) error {
		if p := readProduct(r); p != nil {
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

// flush writes the current batch: one query finds the stored versions,
// then new products are inserted with one multi-row statement per table
// and changed ones updated, so a first import costs a few round trips per
// batch rather than per product.
func (l *productLoader) flush(ctx context.Context) error {
	batch := l.batch
	l.batch = l.batch[:0]
	if len(batch) == 0 || !l.imp.Ok() {
		return nil
	}
	imp := l.imp
	existing, err := l.existing(ctx, batch)
	if err != nil {
		return err
	}
	var inserts, changed []*product
	var changedIDs []int64
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
			inserts = append(inserts, p)
			imp.Count(Created)
			continue
		}
		l.seen.add(e.id)
		switch {
		case e.hash == p.hash && e.active == p.active && e.stock == p.stock:
			imp.Count(Unchanged)
		case e.hash == p.hash:
			if err := l.exec(ctx, "UPDATE products SET stock = $1, active = $2, updated_at = $3 WHERE id = $4", p.stock, p.active, l.now, e.id); err != nil {
				return err
			}
			imp.Count(Updated)
			imp.ProductChanged(e.id)
		default:
			if err := l.update(ctx, e.id, p); err != nil {
				return err
			}
			changed = append(changed, p)
			changedIDs = append(changedIDs, e.id)
			imp.Count(Updated)
			imp.ProductChanged(e.id)
		}
		if e.stock == 0 && p.stock > 0 {
			imp.Restocked(e.id)
		}
	}
	if !imp.Ok() {
		return nil
	}
	ids, err := l.insert(ctx, inserts)
	if err != nil {
		return err
	}
	for _, id := range ids {
		l.seen.add(id)
	}
	if len(changedIDs) > 0 {
		args := make([]any, len(changedIDs))
		for i, id := range changedIDs {
			args[i] = id
		}
		for _, table := range []string{"product_prices", "product_categories"} {
			if _, err := imp.tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE product_id IN ("+placeholders(1, len(args))+")", args...); err != nil {
				return err
			}
		}
	}
	return l.writeChildren(ctx, append(ids, changedIDs...), append(inserts, changed...))
}

// existing returns the stored id, digest, stock and active flag of the
// batch's SKUs that are already in the database.
func (l *productLoader) existing(ctx context.Context, batch []*product) (map[string]existingProduct, error) {
	args := make([]any, len(batch))
	for i, p := range batch {
		args[i] = p.sku
	}
	out := make(map[string]existingProduct, len(batch))
	rows, err := l.imp.tx.QueryContext(ctx, "SELECT id, sku, import_hash, stock, active FROM products WHERE sku IN ("+
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

// rowsPerStatement is how many rows one INSERT carries. PostgreSQL pays
// a network round trip per statement, so it gets many rows at once; the
// in-process SQLite is fastest with a prepared one-row statement (binding
// thousands of parameters to one statement costs it more than it saves).
func (l *productLoader) rowsPerStatement() int {
	if l.imp.db.Engine == database.SQLite {
		return 1
	}
	return productBatch
}

// insert adds new products and returns their ids in the order of list.
func (l *productLoader) insert(ctx context.Context, list []*product) ([]int64, error) {
	const cols = 16
	bySKU := make(map[string]int64, len(list))
	for chunk := range slices.Chunk(list, l.rowsPerStatement()) {
		values := make([]string, len(chunk))
		args := make([]any, 0, len(chunk)*cols)
		for i, p := range chunk {
			created := p.created
			if created.IsZero() {
				created = l.now
			}
			values[i] = "(" + placeholders(i*cols+1, cols) + ")"
			args = append(args, p.sku, p.baseCode, p.name, p.description, p.slug, p.active, p.listable, p.attributes,
				p.images, p.taxRate, p.stock, p.translations, p.searchText, p.hash, created, l.now)
		}
		rows, err := l.query(ctx, `INSERT INTO products (sku, base_code, name, description, slug, active,
		listable, attributes, images, tax_rate, stock, translations, search_text, import_hash, created_at, updated_at)
		VALUES `+strings.Join(values, ", ")+" RETURNING id, sku", args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var sku string
			if err := rows.Scan(&id, &sku); err != nil {
				rows.Close()
				return nil, err
			}
			bySKU[sku] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	ids := make([]int64, len(list))
	for i, p := range list {
		ids[i] = bySKU[p.sku]
	}
	return ids, nil
}

func (l *productLoader) update(ctx context.Context, id int64, p *product) error {
	var created any // keep the stored creation time unless the file gives one
	if !p.created.IsZero() {
		created = p.created
	}
	return l.exec(ctx, `UPDATE products SET base_code = $1, name = $2, description = $3, slug = $4,
		active = $5, listable = $6, attributes = $7, images = $8, tax_rate = $9, stock = $10,
		translations = $11, search_text = $12, import_hash = $13, created_at = COALESCE($14, created_at),
		updated_at = $15 WHERE id = $16`,
		p.baseCode, p.name, p.description, p.slug, p.active, p.listable, p.attributes, p.images, p.taxRate,
		p.stock, p.translations, p.searchText, p.hash, created, l.now, id)
}

// writeChildren inserts the prices and category links of the products
// (ids[i] is the id of list[i]), one statement per table.
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
	var priceArgs, catArgs []any
	for i, p := range list {
		id := ids[i]
		currencies := make([]string, 0, len(p.prices))
		for cur := range p.prices {
			currencies = append(currencies, cur)
		}
		sort.Strings(currencies)
		for _, cur := range currencies {
			priceArgs = append(priceArgs, id, cur, int64(p.prices[cur].price), int64(p.prices[cur].retail))
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
				catArgs = append(catArgs, id, cid)
			}
		}
	}
	if err := l.insertRows(ctx, "product_prices (product_id, currency, price, retail_price)", 4, priceArgs); err != nil {
		return err
	}
	return l.insertRows(ctx, "product_categories (product_id, category_id)", 2, catArgs)
}

// insertRows inserts args as rows of width values each.
func (l *productLoader) insertRows(ctx context.Context, into string, width int, args []any) error {
	perStatement := l.rowsPerStatement() * 4 // a product has a few prices and categories
	if l.imp.db.Engine == database.SQLite {
		perStatement = 1
	}
	for chunk := range slices.Chunk(args, perStatement*width) {
		values := make([]string, len(chunk)/width)
		for i := range values {
			values[i] = "(" + placeholders(i*width+1, width) + ")"
		}
		if err := l.exec(ctx, "INSERT INTO "+into+" VALUES "+strings.Join(values, ", "), chunk...); err != nil {
			return err
		}
	}
	return nil
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
