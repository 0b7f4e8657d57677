package inventory

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/database"
)

// perStatement is how many rows one statement carries: few statements
// for a whole update, yet short ones, since SQLite's parser looks each
// $N up in a list of those before it (at 1,000 rows a statement that
// lookup was a sixth of an update's time).
const perStatement = 250

// chunks calls fn with consecutive pieces of n items, perStatement each.
func chunks(n int, fn func(from, to int) error) error {
	for from := 0; from < n; from += perStatement {
		if err := fn(from, min(from+perStatement, n)); err != nil {
			return err
		}
	}
	return nil
}

// marks returns "$first, …, $(first+n-1)".
func marks(first, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(first+i))
	}
	return b.String()
}

// lookup finds the products with skus; the unknown ones are missing.
func lookup(ctx context.Context, tx *sql.Tx, skus []string) (map[string]int64, error) {
	ids := make(map[string]int64, len(skus))
	err := chunks(len(skus), func(from, to int) error {
		args := make([]any, 0, to-from)
		for _, sku := range skus[from:to] {
			args = append(args, sku)
		}
		return scan(ctx, tx, "SELECT sku, id FROM products WHERE sku IN ("+marks(1, len(args))+")", args, func(rows *sql.Rows) error {
			var sku string
			var id int64
			err := rows.Scan(&sku, &id)
			ids[sku] = id
			return err
		})
	})
	return ids, err
}

// lockStock locks the products with ids, in id order so that updates
// touching the same products never deadlock, and returns their stock.
func lockStock(ctx context.Context, db *database.DB, tx *sql.Tx, ids []int64) (map[int64]int64, error) {
	ids = slices.Sorted(slices.Values(ids))
	stock := make(map[int64]int64, len(ids))
	err := chunks(len(ids), func(from, to int) error {
		args := make([]any, 0, to-from)
		for _, id := range ids[from:to] {
			args = append(args, id)
		}
		query := "SELECT id, stock FROM products WHERE id IN (" + marks(1, len(args)) + ") ORDER BY id" + db.ForUpdate()
		return scan(ctx, tx, query, args, func(rows *sql.Rows) error {
			var id, n int64
			err := rows.Scan(&id, &n)
			stock[id] = n
			return err
		})
	})
	return stock, err
}

// scan runs query and calls row for each row.
func scan(ctx context.Context, tx *sql.Tx, query string, args []any, row func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// touch stamps the products with ids as modified at now.
func touch(ctx context.Context, tx *sql.Tx, ids []int64, now time.Time) error {
	ids = slices.Sorted(slices.Values(ids))
	return chunks(len(ids), func(from, to int) error {
		args := []any{now}
		for _, id := range ids[from:to] {
			args = append(args, id)
		}
		_, err := tx.ExecContext(ctx, "UPDATE products SET updated_at = $1 WHERE id IN ("+marks(2, to-from)+")", args...)
		return err
	})
}

// finish logs the changed products for every node and fires the stock
// alerts of the restocked ones.
func (s *Service) finish(ctx context.Context, tx *sql.Tx, changed, restocked []int64) error {
	if len(changed) == 0 {
		return nil
	}
	if _, err := catalog.RecordChanges(ctx, tx, changed); err != nil {
		return err
	}
	if s.restocked == nil || len(restocked) == 0 {
		return nil
	}
	return s.restocked(ctx, tx, restocked)
}
