package database

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// Batch is the statements of one transaction, sent to the database
// together. On PostgreSQL they travel in one round trip, commit included
// (a pgx batch is one implicit transaction): a round trip, not the
// statement, is most of what a short write costs both sides (a socket
// write and a wake-up each way). On SQLite, which has no round trips, they
// run one after another. Statements cannot pass results to each other
// through Go: a later one finds an earlier one's row in SQL, by a unique
// key; and whether to commit cannot wait for Go either, so a statement
// whose work decides it is added with Require.
type Batch struct {
	stmts *StmtCache // SQLite prepares through it; PostgreSQL's pgx caches itself
	steps []batchStep
}

type batchStep struct {
	query    string
	args     []any
	row      func(Scanner) error // nil: the statement's rows are not read
	required bool
}

// NewBatch returns an empty batch whose statements SQLite prepares
// through stmts.
func NewBatch(stmts *StmtCache) *Batch { return &Batch{stmts: stmts} }

// Query adds a statement; row, when not nil, is called with each row it
// returns, in order, once the statements before it have run.
func (b *Batch) Query(row func(Scanner) error, query string, args ...any) {
	b.steps = append(b.steps, batchStep{query: query, args: args, row: row})
}

// Require adds a statement that must return at least one row (an INSERT
// or UPDATE ... RETURNING that may write nothing): when it returns none,
// the whole transaction rolls back, the statements after it do not run,
// and RunRelaxed returns ErrNoRequiredRow. Its rows are not read.
func (b *Batch) Require(query string, args ...any) {
	b.steps = append(b.steps, batchStep{query: query, args: args, required: true})
}

// ErrNoRequiredRow is RunRelaxed's answer when a Require statement
// returned no row and the batch was rolled back.
var ErrNoRequiredRow = errors.New("database: a required statement returned no row")

// requiredState is the SQLSTATE of batch_require (migration 0540), raised
// when a Require statement returned no row on PostgreSQL.
const requiredState = "VR001"

// RunRelaxed runs b's statements in one relaxed transaction (see
// TxRelaxed) and commits it, unless a statement fails (its error is
// returned) or a Require statement returns no row (ErrNoRequiredRow);
// either rolls everything back.
func (db *DB) RunRelaxed(ctx context.Context, b *Batch) error {
	if db.relaxed != nil {
		return b.runPostgres(ctx, db.relaxed)
	}
	return db.TxRelaxed(ctx, func(tx *sql.Tx) error {
		for _, s := range b.steps {
			rows, err := b.stmts.QueryContext(ctx, tx, s.query, s.args...)
			n := 0
			err = Each(rows, err, func(row Scanner) error { n++; return s.read(row) })
			if err == nil && s.required && n == 0 {
				err = ErrNoRequiredRow
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// Read runs b's statements, which only read, together: on PostgreSQL in
// one round trip (and one snapshot) on the relaxed pool (see
// openRelaxed), on SQLite one after another.
func (db *DB) Read(ctx context.Context, b *Batch) error {
	if db.relaxed != nil {
		return b.runPostgres(ctx, db.relaxed)
	}
	for _, s := range b.steps {
		rows, err := b.stmts.QueryContext(ctx, db, s.query, s.args...)
		if err := Each(rows, err, s.read); err != nil {
			return err
		}
	}
	return nil
}

func (s batchStep) read(row Scanner) error {
	if s.row == nil {
		return nil
	}
	return s.row(row)
}

// postgresQuery is the statement as PostgreSQL gets it: a Require
// statement counts its rows and raises requiredState on none, which ends
// the implicit transaction in a rollback.
func (s batchStep) postgresQuery() string {
	if !s.required {
		return s.query
	}
	return "WITH required AS (" + s.query + ") SELECT batch_require(COUNT(*)) FROM required"
}

// runPostgres sends the statements as one pgx batch: one implicit
// transaction, committed by the server when the last one succeeds.
func (b *Batch) runPostgres(ctx context.Context, pool *sql.DB) error {
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
		batch := &pgx.Batch{}
		for _, s := range b.steps {
			batch.Queue(s.postgresQuery(), s.args...)
		}
		return b.readPostgres(c.Conn().SendBatch(ctx, batch))
	})
}

// readPostgres reads every statement's result in order and closes the
// batch; the first error is the result.
func (b *Batch) readPostgres(results pgx.BatchResults) error {
	err := func() error {
		for _, s := range b.steps {
			rows, err := results.Query()
			if err != nil {
				return requiredError(s, err)
			}
			for rows.Next() {
				if s.required {
					continue
				}
				if err := s.read(rows); err != nil {
					rows.Close()
					return err
				}
			}
			if rows.Close(); rows.Err() != nil {
				return requiredError(s, rows.Err())
			}
		}
		return nil
	}()
	if closeErr := results.Close(); err == nil {
		err = closeErr
	}
	return err
}

// requiredError turns the error a Require statement raised into
// ErrNoRequiredRow.
func requiredError(s batchStep, err error) error {
	var pgErr *pgconn.PgError
	if s.required && errors.As(err, &pgErr) && pgErr.Code == requiredState {
		return ErrNoRequiredRow
	}
	return err
}
