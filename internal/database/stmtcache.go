package database

import (
	"context"
	"database/sql"
	"sync"
)

// StmtCache prepares each query once and reuses it on every connection
// and transaction. Hot paths use it because SQLite otherwise parses every
// statement on every call (a third of a basket read's CPU); pgx caches
// statements itself, so on PostgreSQL it costs nothing extra.
type StmtCache struct {
	db    *DB
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

// NewStmtCache returns an empty cache over db. Queries are constants of
// the calling package, so the cache stays small.
func NewStmtCache(db *DB) *StmtCache {
	return &StmtCache{db: db, stmts: map[string]*sql.Stmt{}}
}

// stmt returns query's statement for q, or nil when it is not prepared
// yet and q is a transaction. Preparing takes a connection from the pool,
// and a transaction must never wait for one: on SQLite the pool's other
// connections may all be queued behind this transaction's write lock. So
// a transaction runs a new query unprepared once and the statement is
// prepared in the background for next time.
func (c *StmtCache) stmt(ctx context.Context, q Querier, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	st, seen := c.stmts[query]
	c.mu.RUnlock()
	tx, inTx := q.(*sql.Tx)
	if st == nil && inTx {
		if !seen {
			c.mu.Lock()
			if _, seen = c.stmts[query]; !seen {
				c.stmts[query] = nil // preparing
				go c.prepare(query)
			}
			c.mu.Unlock()
		}
		return nil, nil
	}
	if st == nil {
		var err error
		if st, err = c.db.PrepareContext(ctx, query); err != nil {
			return nil, err
		}
		c.mu.Lock()
		if prev := c.stmts[query]; prev != nil {
			st.Close()
			st = prev
		} else {
			c.stmts[query] = st
		}
		c.mu.Unlock()
	}
	if inTx {
		return tx.StmtContext(ctx, st), nil
	}
	return st, nil
}

func (c *StmtCache) prepare(query string) {
	st, err := c.db.PrepareContext(context.Background(), query)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err != nil:
		delete(c.stmts, query) // try again on a later use
	case c.stmts[query] != nil:
		st.Close()
	default:
		c.stmts[query] = st
	}
}

// cached reports whether q can use the cache's statements: the cache's
// own database or a transaction on it; anything else runs the query as is.
// On PostgreSQL nothing does: pgx prepares and keeps every statement per
// connection itself, and a transaction may come from the other pool
// (TxRelaxed), where a statement of this one cannot run.
func (c *StmtCache) cached(q Querier) bool {
	if c.db.Engine == Postgres {
		return false
	}
	switch q := q.(type) {
	case *DB:
		return q == c.db
	case *sql.Tx:
		return true
	}
	return false
}

// QueryContext runs a cached query on q (the database or a transaction).
func (c *StmtCache) QueryContext(ctx context.Context, q Querier, query string, args ...any) (*sql.Rows, error) {
	if !c.cached(q) {
		return q.QueryContext(ctx, query, args...)
	}
	st, err := c.stmt(ctx, q, query)
	if err != nil || st == nil {
		if err == nil {
			return q.QueryContext(ctx, query, args...)
		}
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs a cached single-row query on q.
func (c *StmtCache) QueryRowContext(ctx context.Context, q Querier, query string, args ...any) *sql.Row {
	if !c.cached(q) {
		return q.QueryRowContext(ctx, query, args...)
	}
	st, err := c.stmt(ctx, q, query)
	if err != nil || st == nil {
		// Not prepared yet, or preparing failed: a *sql.Row cannot carry
		// an error of its own, and running the query unprepared surfaces
		// the same error through Scan.
		return q.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// ExecContext runs a cached statement on q.
func (c *StmtCache) ExecContext(ctx context.Context, q Querier, query string, args ...any) (sql.Result, error) {
	if !c.cached(q) {
		return q.ExecContext(ctx, query, args...)
	}
	st, err := c.stmt(ctx, q, query)
	if err != nil || st == nil {
		if err == nil {
			return q.ExecContext(ctx, query, args...)
		}
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}
