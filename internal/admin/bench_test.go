package admin

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/apitoken"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/order"
	"github.com/vitrin/vitrin/internal/testdb"
)

// BenchmarkOrderFeedPage reads a page of 100 orders from a random place
// of the feed of a store with VITRIN_BENCH_ORDERS orders (100,000 unless
// set), through the whole handler:
//
//	go test ./internal/admin -run '^$' -bench OrderFeedPage -benchtime 200x
func BenchmarkOrderFeedPage(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("VITRIN_BENCH_ORDERS")); err == nil {
		n = v
	}
	ctx := context.Background()
	db := testdb.Open(b)
	fillOrders(b, db, n)
	secret, _, err := apitoken.Create(ctx, db, "bench", []string{apitoken.Orders})
	if err != nil {
		b.Fatal(err)
	}
	srv := New(db, nil, nil)
	// Cursors spread over the feed: every 997th order's place.
	var cursors []string
	rows, err := db.QueryContext(ctx, "SELECT updated_at, id FROM orders WHERE id % 997 = 0")
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var c order.Cursor
		if err := rows.Scan(&c.At, &c.ID); err != nil {
			b.Fatal(err)
		}
		cursors = append(cursors, encodeCursor(c))
	}
	rows.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("GET", "/v1/orders?limit=100&cursor="+cursors[i%len(cursors)], nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"has_more":true`) {
			b.Fatalf("%d %.300s", rec.Code, rec.Body.String())
		}
	}
}

// fillOrders writes n approved orders of one line each, one millisecond
// apart, 500 to a statement.
func fillOrders(b *testing.B, db *database.DB, n int) {
	ctx := context.Background()
	start := time.Now().UTC().Add(-time.Duration(n) * time.Millisecond)
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		var product int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO products (sku, base_code, name, slug, stock, created_at, updated_at)
			VALUES ('BENCH', 'BENCH', 'Bench', 'bench', 0, $1, $1) RETURNING id`, start).Scan(&product); err != nil {
			return err
		}
		const batch = 500
		for from := 0; from < n; from += batch {
			var values []string
			var args []any
			for i := from; i < min(from+batch, n); i++ {
				at := start.Add(time.Duration(i) * time.Millisecond)
				p := len(args)
				values = append(values, fmt.Sprintf("($%d, $%d, $%d, 'bench@example.com', 'approved', 'TRY', 1000, 1000, $%d, $%d)", p+1, p+2, p+3, p+4, p+4))
				args = append(args, fmt.Sprintf("B%09d", i), fmt.Sprintf("t%d", i), fmt.Sprintf("k%d", i), at)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO orders (number, token, idempotency_key, email, status, currency,
				product_amount, amount, created_at, updated_at) VALUES `+strings.Join(values, ", "), args...); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO order_items (order_id, product_id, quantity, unit_price, retail_price, total, status,
			created_at, updated_at) SELECT id, $1, 1, 1000, 1000, 1000, 'approved', created_at, updated_at FROM orders`, product)
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
}
