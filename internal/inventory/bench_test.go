package inventory

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/testdb"
)

// storeSize is the benchmark store's product count.
const storeSize = 100_000

// BenchmarkSetStock sets the stock of MaxRows products of a 100,000-product
// store a request, every row a change; it reports SKU updates a second:
//
//	go test ./internal/inventory -run '^$' -bench . -benchtime 20x
func BenchmarkSetStock(b *testing.B) {
	s := New(fillStore(b), nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rows := make([]StockRow, MaxRows)
		for j := range rows {
			rows[j] = StockRow{SKU: benchSKU(i, j), Stock: json.RawMessage(strconv.Itoa(10 + i))}
		}
		if res, err := s.SetStock(context.Background(), rows); err != nil || res.Changed != MaxRows {
			b.Fatal(res, err)
		}
	}
	b.ReportMetric(float64(b.N*MaxRows)/b.Elapsed().Seconds(), "skus/s")
}

// BenchmarkSetPrices is BenchmarkSetStock for prices.
func BenchmarkSetPrices(b *testing.B) {
	s := New(fillStore(b), nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rows := make([]PriceRow, MaxRows)
		price := json.RawMessage(fmt.Sprintf(`"%d.90"`, 100+i))
		for j := range rows {
			rows[j] = PriceRow{SKU: benchSKU(i, j), Currency: "TRY", Price: price}
		}
		if res, err := s.SetPrices(context.Background(), rows); err != nil || res.Changed != MaxRows {
			b.Fatal(res, err)
		}
	}
	b.ReportMetric(float64(b.N*MaxRows)/b.Elapsed().Seconds(), "skus/s")
}

// benchSKU is row j of request i: spread over the whole store.
func benchSKU(i, j int) string {
	return fmt.Sprintf("B%06d", (j*10+i)%storeSize)
}

// fillStore writes storeSize products with a TRY price each, 500 to a
// statement.
func fillStore(b *testing.B) *database.DB {
	ctx := context.Background()
	db := testdb.Open(b)
	now := time.Now().UTC()
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		const batch = 500
		for from := 0; from < storeSize; from += batch {
			var values []string
			for i := from; i < min(from+batch, storeSize); i++ {
				values = append(values, fmt.Sprintf("('B%06d', 'B%06d', 'Bench %d', 'b%06d', 5, $1, $1)", i, i, i, i))
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO products (sku, base_code, name, slug, stock, created_at, updated_at)
				VALUES `+strings.Join(values, ", "), now); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO product_prices (product_id, currency, price, retail_price)
			SELECT id, 'TRY', 1000, 1000 FROM products`)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	if db.Engine == database.Postgres {
		if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
			b.Fatal(err)
		}
	}
	return db
}
