package database

import "database/sql"

// Scanner is one row to read: a *sql.Row or the current row of *sql.Rows,
// so one scan function serves a single-row lookup and a list.
type Scanner interface {
	Scan(dest ...any) error
}

// Collect reads every row of a query with scan into a list and closes the
// rows. err is the query's own error, passed through, so the caller checks
// once:
//
//	rows, err := q.QueryContext(ctx, query, args...)
//	return database.Collect(rows, err, scanThing)
//
// The list is never nil, so it encodes as [] rather than null.
func Collect[T any](rows *sql.Rows, err error, scan func(Scanner) (T, error)) ([]T, error) {
	list := []T{}
	err = Each(rows, err, func(row Scanner) error {
		v, err := scan(row)
		if err != nil {
			return err
		}
		list = append(list, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// Scalar reads a row of one column, for Collect.
func Scalar[T any](row Scanner) (T, error) {
	var v T
	err := row.Scan(&v)
	return v, err
}

// Each calls fn on every row of a query, stopping at its first error, and
// closes the rows before it returns (so the caller may query again on the
// same transaction); err is the query's own error, as in Collect.
func Each(rows *sql.Rows, err error, fn func(Scanner) error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
