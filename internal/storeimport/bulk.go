package storeimport

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vitrin/vitrin/internal/database"
)

// The bulk writes of the products section. Which rows to write is
// decided once, in productLoader.flush, for both engines; only how the
// rows reach the tables differs: SQLite takes multi-row INSERTs through
// statements prepared once, PostgreSQL takes COPY, into the child tables
// directly and through a staging table for products (whose ids the
// children need, and whose updates are one UPDATE … FROM per batch).

// bulkPragmas sets up conn, a SQLite connection, for one large
// transaction, and returns what sets it back. Neither setting touches
// durability (journal and synchronous stay as they are): a larger page
// cache keeps the indexes being filled in memory instead of spilling them
// to the WAL mid-transaction, and statement journals (every multi-row
// statement keeps one, to undo itself on a constraint error) stay in
// memory instead of temporary files.
func bulkPragmas(ctx context.Context, conn *sql.Conn) (restore func(), err error) {
	var cacheSize int64
	var tempStore int
	if err := conn.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&cacheSize); err != nil {
		return nil, err
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&tempStore); err != nil {
		return nil, err
	}
	// 8 MB (four times the default) whatever the file's size: memory
	// stays bounded (80 MB RSS for a million products; 64 MB of cache
	// made it 180 MB and the import no faster).
	if _, err := conn.ExecContext(ctx, "PRAGMA cache_size = -8192; PRAGMA temp_store = MEMORY"); err != nil {
		return nil, err
	}
	return func() {
		_, err := conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA cache_size = %d; PRAGMA temp_store = %d", cacheSize, tempStore))
		if err != nil { // never hand a connection so set back to the pool
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}, nil
}

// sqliteRowsPerStatement is how many rows one SQLite INSERT carries: a
// statement of this many rows is prepared once per query and reused for
// every full chunk, well within SQLite's 32,766 parameters.
const sqliteRowsPerStatement = 100

// insertRows writes rows (values in the order of cols) into table.
func (l *productLoader) insertRows(ctx context.Context, table string, cols []string, rows [][]any) error {
	if l.imp.db.Engine == database.Postgres {
		return database.CopyFrom(ctx, l.imp.conn, table, cols, rows)
	}
	for chunk := range slices.Chunk(rows, sqliteRowsPerStatement) {
		if err := l.exec(ctx, insertSQL(table, cols, len(chunk)), flatten(chunk)...); err != nil {
			return err
		}
	}
	return nil
}

// insertProducts adds new products (rows in the order of productCols)
// and returns their ids by SKU.
func (l *productLoader) insertProducts(ctx context.Context, rows [][]any) (map[string]int64, error) {
	ids := make(map[string]int64, len(rows))
	scan := func(r *sql.Rows) error {
		defer r.Close()
		for r.Next() {
			var id int64
			var sku string
			if err := r.Scan(&id, &sku); err != nil {
				return err
			}
			ids[sku] = id
		}
		return r.Err()
	}
	if l.imp.db.Engine == database.Postgres {
		if err := l.stage(ctx, productCols, rows); err != nil {
			return nil, err
		}
		cols := strings.Join(productCols, ", ")
		r, err := l.imp.tx.QueryContext(ctx, "INSERT INTO products ("+cols+") SELECT "+cols+" FROM import_products RETURNING id, sku")
		if err == nil {
			err = scan(r)
		}
		return ids, err
	}
	for chunk := range slices.Chunk(rows, sqliteRowsPerStatement) {
		r, err := l.query(ctx, insertSQL("products", productCols, len(chunk))+" RETURNING id, sku", flatten(chunk)...)
		if err == nil {
			err = scan(r)
		}
		if err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// updateProducts sets cols of existing products: each row is the id,
// then the values of cols. A nil value keeps the stored one.
func (l *productLoader) updateProducts(ctx context.Context, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	set := make([]string, len(cols))
	if l.imp.db.Engine == database.Postgres {
		if err := l.stage(ctx, append([]string{"id"}, cols...), rows); err != nil {
			return err
		}
		for i, c := range cols {
			set[i] = c + " = COALESCE(s." + c + ", p." + c + ")"
		}
		_, err := l.imp.tx.ExecContext(ctx, "UPDATE products p SET "+strings.Join(set, ", ")+" FROM import_products s WHERE p.id = s.id")
		return err
	}
	for i, c := range cols {
		set[i] = c + " = COALESCE($" + strconv.Itoa(i+2) + ", " + c + ")"
	}
	query := "UPDATE products SET " + strings.Join(set, ", ") + " WHERE id = $1"
	for _, row := range rows {
		if err := l.exec(ctx, query, row...); err != nil {
			return err
		}
	}
	return nil
}

// stage empties the staging table (created on first use, dropped at
// commit) and copies rows into it.
func (l *productLoader) stage(ctx context.Context, cols []string, rows [][]any) error {
	tx := l.imp.tx
	if !l.staging {
		// No constraints, no indexes, no WAL: a copy of products' columns.
		if _, err := tx.ExecContext(ctx, "CREATE TEMPORARY TABLE import_products ON COMMIT DROP AS SELECT * FROM products WITH NO DATA"); err != nil {
			return err
		}
		l.staging = true
	} else if _, err := tx.ExecContext(ctx, "TRUNCATE import_products"); err != nil {
		return err
	}
	return database.CopyFrom(ctx, l.imp.conn, "import_products", cols, rows)
}

// insertSQL is a multi-row INSERT of n rows for SQLite, the one
// statement written with "?" rather than "$N" placeholders: SQLite names
// "$N" parameters, and the driver looks each name up in a list, which
// makes binding a statement of thousands of them quadratic (60% of a
// first import's time with 1,600).
func insertSQL(table string, cols []string, n int) string {
	row := "(" + strings.Repeat("?, ", len(cols)-1) + "?)"
	values := make([]string, n)
	for i := range values {
		values[i] = row
	}
	return "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.Join(values, ", ")
}

func flatten(rows [][]any) []any {
	var out []any
	if len(rows) > 0 {
		out = make([]any, 0, len(rows)*len(rows[0]))
	}
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}
