package inventory

import (
	"context"
	"database/sql"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
)

// SetStock sets the stock of each row's product, all or nothing.
func (s *Service) SetStock(ctx context.Context, rows []StockRow) (*Result, error) {
	if err := checkCount(len(rows)); err != nil {
		return nil, err
	}
	bad := rowErrors{}
	stock := make([]int64, len(rows))
	skus := make([]string, len(rows))
	first := map[string]int{}
	for i, r := range rows {
		skus[i] = r.SKU
		bad.checkSKU(i, r.SKU, r.SKU, first)
		n, problem := parseStock(r.Stock)
		if problem != "" {
			bad.add(i, "stock", r.SKU, problem)
		}
		stock[i] = n
	}
	res := &Result{Rows: len(rows)}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		ids, err := lookup(ctx, tx, skus)
		if err != nil {
			return err
		}
		if err := apperror.Merge(bad.orNil(), unknown(skus, ids)); err != nil {
			return err
		}
		current, err := lockStock(ctx, s.db, tx, slices.Collect(maps.Values(ids)))
		if err != nil {
			return err
		}
		var changed, restocked []int64
		var args []any
		for i, sku := range skus {
			id := ids[sku]
			if current[id] == stock[i] {
				continue
			}
			changed = append(changed, id)
			if current[id] == 0 {
				restocked = append(restocked, id)
			}
			args = append(args, id, stock[i])
		}
		if err := writeStock(ctx, tx, args); err != nil {
			return err
		}
		res.Changed, res.Restocked = len(changed), len(restocked)
		return s.finish(ctx, tx, changed, restocked)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// writeStock sets the stock of (id, stock) pairs, a statement per chunk.
func writeStock(ctx context.Context, tx *sql.Tx, pairs []any) error {
	now := time.Now().UTC()
	return chunks(len(pairs)/2, func(from, to int) error {
		args := append([]any{now}, pairs[2*from:2*to]...)
		values := make([]byte, 0, 40*(to-from))
		for i := range to - from {
			if i > 0 {
				values = append(values, ", "...)
			}
			p := 2 + 2*i
			values = append(values, "(CAST($"+strconv.Itoa(p)+" AS BIGINT), CAST($"+strconv.Itoa(p+1)+" AS INTEGER))"...)
		}
		_, err := tx.ExecContext(ctx, `UPDATE products SET stock = v.column2, updated_at = $1
			FROM (VALUES `+string(values)+`) AS v WHERE products.id = v.column1`, args...)
		return err
	})
}
