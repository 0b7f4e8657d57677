package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Batch is the statements of one transaction, sent to the database
// together. On PostgreSQL they travel in one round trip (a pgx batch):
// a round trip, not the statement, is most of what a short write costs
// both sides (a socket write and a wake-up each way), so an add to basket
// in one batch costs PostgreSQL a third of what it does statement by
// statement. On SQLite, which has no round trips, they run one after
// another. Statements cannot pass results to each other through Go: a
// later one finds an earlier one's row in SQL, by a unique key.
type Batch struct {
	stmts *StmtCache // SQLite prepares through it; PostgreSQL's pgx caches itself
	steps []batchStep
}

type batchStep struct {
	query string
	args  []any
	row   func(Scanner) error // nil: the statement's rows are not read
}

// NewBatch returns an empty batch whose statements SQLite prepares
// through stmts.
func NewBatch(stmts *StmtCache) *Batch { return &Batch{stmts: stmts} }

// Query adds a statement; row, when not nil, is called with each row it
// returns, in order, once the statements before it have run.
func (b *Batch) Query(row func(Scanner) error, query string, args ...any) {
	b.steps = append(b.steps, batchStep{query: query, args: args, row: row})
}

// errRollback is how RunRelaxed's SQLite path rolls back without an error.
var errRollback = errors.New("batch rolled back")

// RunRelaxed runs b's statements in one relaxed transaction (see
// TxRelaxed) and commits when keep, called after the last statement's
// rows were read, returns true (keep nil: always); otherwise it rolls
// back and returns nil. The first failing statement rolls everything back
// and its error is returned.
func (db *DB) RunRelaxed(ctx context.Context, b *Batch, keep func() bool) error {
	if db.relaxed != nil {
		return b.runPostgres(ctx, db.relaxed, keep)
	}
	err := db.TxRelaxed(ctx, func(tx *sql.Tx) error {
		for _, s := range b.steps {
			rows, err := b.stmts.QueryContext(ctx, tx, s.query, s.args...)
			if err := Each(rows, err, s.read); err != nil {
				return err
			}
		}
		if keep != nil && !keep() {
			return errRollback
		}
		return nil
	})
	if errors.Is(err, errRollback) {
		return nil
	}
	return err
}

func (s batchStep) read(row Scanner) error {
	if s.row == nil {
		return nil
	}
	return s.row(row)
}

// runPostgres sends BEGIN and the statements as one pgx batch, then
// COMMIT or ROLLBACK.
func (b *Batch) runPostgres(ctx context.Context, pool *sql.DB, keep func() bool) error {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return errors.New("database: a batch needs a PostgreSQL connection")
		}
		pc := c.Conn()
		batch := &pgx.Batch{}
		batch.Queue("BEGIN")
		for _, s := range b.steps {
			batch.Queue(s.query, s.args...)
		}
		err := b.readPostgres(pc.SendBatch(ctx, batch))
		end := "COMMIT"
		if err != nil || (keep != nil && !keep()) {
			end = "ROLLBACK"
		}
		if _, endErr := pc.Exec(ctx, end); endErr != nil {
			// The transaction's fate is unknown: the pool must never hand
			// this connection out again.
			return errors.Join(err, endErr, driver.ErrBadConn)
		}
		return err
	})
}

// readPostgres reads every statement's result in order and closes the
// batch; the first error is the result.
func (b *Batch) readPostgres(results pgx.BatchResults) error {
	err := func() error {
		if _, err := results.Exec(); err != nil { // BEGIN
			return err
		}
		for _, s := range b.steps {
			rows, err := results.Query()
			if err != nil {
				return err
			}
			for rows.Next() {
				if err := s.read(rows); err != nil {
					rows.Close()
					return err
				}
			}
			if rows.Close(); rows.Err() != nil {
				return rows.Err()
			}
		}
		return nil
	}()
	if closeErr := results.Close(); err == nil {
		err = closeErr
	}
	return err
}
