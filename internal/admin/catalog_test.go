package admin

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/inventory"
)

// addProducts writes products SKU-0 … SKU-(n-1) priced 100.00 TRY
// (retail 120.00), each with the given stock, in a store selling in TRY
// and USD, and returns their ids.
func addProducts(t testing.TB, db *database.DB, n, stock int) []int64 {
	t.Helper()
	ctx := context.Background()
	ids := make([]int64, n)
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO store (id, currencies) VALUES (1, '["TRY","USD"]')
			ON CONFLICT (id) DO UPDATE SET currencies = excluded.currencies`); err != nil {
			return err
		}
		now := time.Now().UTC()
		for i := range ids {
			sku := fmt.Sprintf("SKU-%d", i)
			if err := tx.QueryRowContext(ctx, `INSERT INTO products (sku, base_code, name, slug, stock, created_at, updated_at)
				VALUES ($1, $1, $1, $2, $3, $4, $4) RETURNING id`, sku, strings.ToLower(sku), stock, now).Scan(&ids[i]); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO product_prices (product_id, currency, price, retail_price)
				VALUES ($1, 'TRY', 10000, 12000)`, ids[i]); err != nil {
				return err
			}
		}
		_, err := catalog.RecordChanges(ctx, tx, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// snapshot is every number a bulk update may change, for "nothing changed".
func snapshot(t *testing.T, db *database.DB) string {
	t.Helper()
	var out strings.Builder
	rows, err := db.QueryContext(context.Background(), `SELECT p.sku, p.stock, p.updated_at, pp.currency, pp.price, pp.retail_price
		FROM products p LEFT JOIN product_prices pp ON pp.product_id = p.id ORDER BY p.sku, pp.currency`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var sku string
		var stock int64
		var updated time.Time
		var cur sql.NullString
		var price, retail sql.NullInt64
		if err := rows.Scan(&sku, &stock, &updated, &cur, &price, &retail); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&out, sku, stock, updated.UnixNano(), cur, price, retail)
	}
	var version string
	if err := db.QueryRowContext(context.Background(), "SELECT value FROM settings WHERE key = 'catalog_version'").Scan(&version); err != nil {
		t.Fatal(err)
	}
	return out.String() + "version " + version
}

// Bad rows are each named, the update is refused whole, nothing changes.
func TestBulkUpdatesRefuseBadRows(t *testing.T) {
	e := newEnv(t)
	addProducts(t, e.db, 3, 0)
	tooMany := make([]map[string]any, inventory.MaxRows+1)
	for i := range tooMany {
		tooMany[i] = map[string]any{"sku": "SKU-0", "stock": 1}
	}
	good := map[string]any{"sku": "SKU-0", "stock": 5}
	goodPrice := map[string]any{"sku": "SKU-0", "currency": "TRY", "price": "90.00"}
	for _, c := range []struct {
		name, path string
		items      any
		field      string // the field error named, with the row
	}{
		{"unknown SKU", "stock", []any{good, map[string]any{"sku": "NOPE", "stock": 1}}, `"items[1].sku":["No product has this SKU. (sku \"NOPE\")"]`},
		{"negative stock", "stock", []any{good, map[string]any{"sku": "SKU-1", "stock": -1}}, `"items[1].stock"`},
		{"fractional stock", "stock", []any{map[string]any{"sku": "SKU-1", "stock": 1.5}}, `"items[0].stock"`},
		{"stock as a string", "stock", []any{map[string]any{"sku": "SKU-1", "stock": "3"}}, `"items[0].stock"`},
		{"no stock", "stock", []any{map[string]any{"sku": "SKU-1"}}, `"items[0].stock"`},
		{"no SKU", "stock", []any{map[string]any{"stock": 1}}, `"items[0].sku"`},
		{"duplicate SKU", "stock", []any{good, map[string]any{"sku": "SKU-1", "stock": 1}, good}, `"items[2].sku":["Row 0 already`},
		{"too many rows", "stock", tooMany, `"items":["Send at most 10000 rows`},
		{"no rows", "stock", []any{}, `"items"`},
		{"three decimals", "prices", []any{goodPrice, map[string]any{"sku": "SKU-1", "currency": "TRY", "price": "1.005"}}, `"items[1].price"`},
		{"price as a number", "prices", []any{map[string]any{"sku": "SKU-1", "currency": "TRY", "price": 199.9}}, `"items[0].price"`},
		{"not a decimal", "prices", []any{map[string]any{"sku": "SKU-1", "currency": "TRY", "price": "1,50"}}, `"items[0].price"`},
		{"negative price", "prices", []any{map[string]any{"sku": "SKU-1", "currency": "TRY", "price": "-1.00"}}, `"items[0].price"`},
		{"bad retail price", "prices", []any{map[string]any{"sku": "SKU-1", "currency": "TRY", "price": "1.00", "retail_price": "x"}}, `"items[0].retail_price"`},
		{"unknown currency", "prices", []any{goodPrice, map[string]any{"sku": "SKU-1", "currency": "EUR", "price": "1.00"}}, `"items[1].currency"`},
		{"unknown SKU price", "prices", []any{goodPrice, map[string]any{"sku": "NOPE", "currency": "TRY", "price": "1.00"}}, `"items[1].sku"`},
		{"duplicate SKU and currency", "prices", []any{goodPrice, map[string]any{"sku": "SKU-0", "currency": "try", "price": "1.00"}}, `"items[1].sku"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := snapshot(t, e.db)
			status, raw := e.do(t, e.all, "POST", "/v1/catalog/"+c.path, map[string]any{"items": c.items})
			if status != http.StatusBadRequest || !strings.Contains(string(raw), c.field) {
				t.Fatalf("%d %.400s, want 400 naming %s", status, raw, c.field)
			}
			if after := snapshot(t, e.db); after != before {
				t.Fatalf("a refused update changed the catalog:\n%s\nbecame\n%s", before, after)
			}
		})
	}
	// Every bad row is named at once, unknown SKUs with the others.
	_, raw := e.do(t, e.all, "POST", "/v1/catalog/stock", map[string]any{"items": []any{
		map[string]any{"sku": "NOPE", "stock": 1}, map[string]any{"sku": "SKU-1", "stock": -1}, map[string]any{"sku": "GONE", "stock": 1}}})
	if !strings.Contains(string(raw), `"items[0].sku"`) || !strings.Contains(string(raw), `"items[1].stock"`) || !strings.Contains(string(raw), `"items[2].sku"`) {
		t.Errorf("not every unknown SKU is named: %s", raw)
	}
	if status, _ := e.do(t, e.hooks, "POST", "/v1/catalog/stock", map[string]any{"items": []any{good}}); status != http.StatusForbidden {
		t.Errorf("a token without the catalog scope set stock: %d", status)
	}
	if status, _ := e.do(t, e.hooks, "POST", "/v1/catalog/prices", map[string]any{"items": []any{goodPrice}}); status != http.StatusForbidden {
		t.Errorf("a token without the catalog scope set prices: %d", status)
	}
}

// A good update counts only the rows that move and is on the
// storefront's product page once the catalog has synced.
func TestBulkUpdatesReachTheProductPage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ids := addProducts(t, e.db, 3, 4)
	cat := catalog.New(e.db)
	if _, err := cat.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	status, raw := e.do(t, e.all, "POST", "/v1/catalog/stock", map[string]any{"items": []any{
		map[string]any{"sku": "SKU-0", "stock": 12}, map[string]any{"sku": "SKU-1", "stock": 4}}})
	if status != http.StatusOK || string(raw) != `{"rows":2,"changed":1,"restocked":0}` {
		t.Fatalf("stock: %d %s", status, raw)
	}
	status, raw = e.do(t, e.all, "POST", "/v1/catalog/prices", map[string]any{"items": []any{
		map[string]any{"sku": "SKU-0", "currency": "TRY", "price": "199.90", "retail_price": "249.90"},
		map[string]any{"sku": "SKU-0", "currency": "USD", "price": "7.5"},
		map[string]any{"sku": "SKU-1", "currency": "TRY", "price": "100", "retail_price": "120.00"}}})
	if status != http.StatusOK || string(raw) != `{"rows":3,"changed":2,"restocked":0}` {
		t.Fatalf("prices: %d %s", status, raw)
	}
	m, err := cat.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := m.Product(ids[0])
	if !ok {
		t.Fatal("the product is not in the catalog")
	}
	stock, err := cat.Stock(ctx, []int64{p.ID})
	if err != nil {
		t.Fatal(err)
	}
	for cur, want := range map[string][]string{
		"TRY": {`"price":"199.90"`, `"retail_price":"249.90"`, `"stock":12`},
		"USD": {`"price":"7.50"`, `"retail_price":"7.50"`},
	} {
		got, err := json.Marshal(m.ProductPage(p, nil, stock, cur).Wire(cur, "en", false, catalog.Offers{}).Product)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(string(got), w) {
				t.Errorf("the product page in %s shows %s, want %s", cur, got, w)
			}
		}
	}
}

// A product back from zero stock mails its alert once.
func TestRestockMailsTheAlertOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ids := addProducts(t, e.db, 2, 0)
	if _, err := e.db.ExecContext(ctx, `INSERT INTO product_alerts (email, email_lower, language, product_id, created_at)
		VALUES ('ada@example.com', 'ada@example.com', 'en', $1, $2)`, ids[0], time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		stock     int
		restocked string
	}{{3, `"restocked":1`}, {5, `"restocked":0`}, {0, `"restocked":0`}, {2, `"restocked":1`}} {
		status, raw := e.do(t, e.all, "POST", "/v1/catalog/stock", map[string]any{"items": []any{map[string]any{"sku": "SKU-0", "stock": c.stock}}})
		if status != http.StatusOK || !strings.Contains(string(raw), c.restocked) {
			t.Fatalf("stock %d: %d %s", c.stock, status, raw)
		}
	}
	var mails int
	if err := e.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM mail_outbox WHERE recipient = 'ada@example.com'").Scan(&mails); err != nil {
		t.Fatal(err)
	}
	if mails != 1 {
		t.Fatalf("%d mails for one alert, want 1", mails)
	}
}
