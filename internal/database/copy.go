package database

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// CopyFrom loads rows into table (columns in the order of each row) with
// PostgreSQL's COPY protocol, inside the transaction conn is in, if any.
// It is the bulk path of the import: no statement to parse, no parameter
// limit, a fraction of an INSERT's cost per row. SQLite has no COPY; its
// callers write multi-row INSERTs instead.
func CopyFrom(ctx context.Context, conn *sql.Conn, table string, columns []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	return conn.Raw(func(driverConn any) error {
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return errors.New("database: COPY needs a PostgreSQL connection")
		}
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
		return err
	})
}
