package storeimport

import (
	"database/sql"
	"errors"
	"strconv"
	"strings"
)

// row describes one record's write into a table keyed by a natural key.
type row struct {
	table      string
	keyCols    []string // the natural key, e.g. {"code"} or {"city_id", "name"}
	keyVals    []any
	hash       string   // Record.Hash of the record
	cols       []string // columns written on insert and update
	vals       []any
	insertCols []string // columns written only when the row is created (uuid, created_at)
	insertVals []any
	// activeCol, when set, names the flag a replace import clears; a
	// record in the file sets it again, even when its digest is unchanged.
	activeCol string
}

// Upsert writes r unless the stored digest shows it unchanged, counts the
// outcome and returns the row's id and whether it was written.
func (imp *Import) upsert(r row) (id int64, written bool, err error) {
	where := make([]string, len(r.keyCols))
	for i, c := range r.keyCols {
		where[i] = c + " = $" + strconv.Itoa(i+1)
	}
	sel := "SELECT id, import_hash"
	if r.activeCol != "" {
		sel += ", " + r.activeCol
	} else {
		sel += ", TRUE"
	}
	var hash string
	var active bool
	err = imp.tx.QueryRowContext(imp.ctx, sel+" FROM "+r.table+" WHERE "+strings.Join(where, " AND "), r.keyVals...).Scan(&id, &hash, &active)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		cols := append(append(append(append([]string{}, r.keyCols...), r.cols...), r.insertCols...), "import_hash")
		vals := append(append(append(append([]any{}, r.keyVals...), r.vals...), r.insertVals...), r.hash)
		err = imp.tx.QueryRowContext(imp.ctx, "INSERT INTO "+r.table+" ("+strings.Join(cols, ", ")+") VALUES ("+
			placeholders(1, len(vals))+") RETURNING id", vals...).Scan(&id)
		if err != nil {
			return 0, false, err
		}
		imp.Count(Created)
		return id, true, nil
	case err != nil:
		return 0, false, err
	}
	if hash == r.hash && active {
		imp.Count(Unchanged)
		return id, false, nil
	}
	cols := append(append([]string{}, r.cols...), "import_hash")
	vals := append(append([]any{}, r.vals...), r.hash)
	if r.activeCol != "" {
		cols = append(cols, r.activeCol)
		vals = append(vals, true)
	}
	set := make([]string, len(cols))
	for i, c := range cols {
		set[i] = c + " = $" + strconv.Itoa(i+1)
	}
	vals = append(vals, id)
	if _, err := imp.tx.ExecContext(imp.ctx, "UPDATE "+r.table+" SET "+strings.Join(set, ", ")+
		" WHERE id = $"+strconv.Itoa(len(vals)), vals...); err != nil {
		return 0, false, err
	}
	imp.Count(Updated)
	return id, true, nil
}

// removeRest deletes (or, with activeCol, deactivates) the rows of table
// that the file did not list, for a section given with "replace": true.
func (imp *Import) removeRest(table string, keep *idSet, activeCol string) error {
	query := "SELECT id FROM " + table
	if activeCol != "" {
		query += " WHERE " + activeCol
	}
	rows, err := imp.tx.QueryContext(imp.ctx, query)
	if err != nil {
		return err
	}
	var gone []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		if !keep.has(id) {
			gone = append(gone, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	stmt := "DELETE FROM " + table + " WHERE id = $1"
	if activeCol != "" {
		stmt = "UPDATE " + table + " SET " + activeCol + " = FALSE WHERE id = $1"
	}
	for _, id := range gone {
		if _, err := imp.tx.ExecContext(imp.ctx, stmt, id); err != nil {
			return err
		}
		imp.Count(Removed)
	}
	return nil
}

// placeholders returns "$from, $from+1, …" for n parameters.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(from + i))
	}
	return b.String()
}

// idSet is a bitmap of row ids: a million products cost 125 KB.
type idSet struct{ words []uint64 }

func (s *idSet) add(id int64) {
	w := int(id / 64)
	for len(s.words) <= w {
		s.words = append(s.words, 0)
	}
	s.words[w] |= 1 << uint(id%64)
}

func (s *idSet) has(id int64) bool {
	w := int(id / 64)
	return id >= 0 && w < len(s.words) && s.words[w]&(1<<uint(id%64)) != 0
}

// productIDs maps SKUs to product ids.
func (imp *Import) productIDs(skus []string) (map[string]int64, error) {
	out := make(map[string]int64, len(skus))
	for start := 0; start < len(skus); start += 500 {
		chunk := skus[start:min(start+500, len(skus))]
		args := make([]any, len(chunk))
		for i, s := range chunk {
			args[i] = s
		}
		rows, err := imp.tx.QueryContext(imp.ctx, "SELECT id, sku FROM products WHERE sku IN ("+placeholders(1, len(args))+")", args...)
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
			out[sku] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// productLinks are references from one record to products by SKU (a
// widget's products, a special page's, a retail store's stock). They are
// resolved after the whole document, so the products may come later in the
// file than the record pointing at them.
type productLink struct {
	path string // JSON path of the SKU, for the error
	sku  string
}

// resolveProducts maps each link to a product id, failing unknown SKUs.
func (imp *Import) resolveProducts(links []productLink) (map[string]int64, error) {
	skus := make([]string, len(links))
	for i, l := range links {
		skus[i] = l.sku
	}
	ids, err := imp.productIDs(skus)
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		if _, ok := ids[l.sku]; !ok {
			imp.Fail(l.path, "unknown product SKU "+strconv.Quote(l.sku))
		}
	}
	return ids, nil
}
