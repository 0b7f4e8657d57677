package catalog

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/vitrin/vitrin/internal/database"
)

// Queries of the catalog version, run by nearly every request (batched by
// the versionGate), prepared once. On PostgreSQL the same round trip also
// returns the transaction snapshot, the database's epoch (snapshotEpochs).
const (
	versionQuery   = "SELECT value FROM settings WHERE key = 'catalog_version'"
	pgVersionQuery = "SELECT (" + versionQuery + "), pg_current_snapshot()::text"
)

// dbState is what one version check learns: the catalog version and the
// database epoch (0: unknown).
type dbState struct {
	version int64
	epoch   Epoch
}

// currentState is what the version gate's rounds call: on SQLite it
// skips the query when the database has not changed.
func (s *Service) currentState(ctx context.Context) (dbState, error) {
	if err := s.prepared(ctx); err != nil {
		return dbState{}, err
	}
	if s.db.Engine == database.Postgres {
		return s.readPostgresState(ctx)
	}
	if s.changes != nil {
		return s.changes.versionSince(ctx, s.readVersion)
	}
	v, err := s.readVersion(ctx)
	return dbState{version: v}, err
}

// prepared readies the version query (and the SQLite change watch) once.
func (s *Service) prepared(ctx context.Context) error {
	s.prepare.Do(func() {
		ctx := context.WithoutCancel(ctx)
		query := versionQuery
		if s.db.Engine == database.Postgres {
			query = pgVersionQuery
		}
		s.versionStmt, s.prepareErr = s.db.PrepareContext(ctx, query)
		s.changes = watchSQLite(ctx, s.db)
	})
	return s.prepareErr
}

// readVersion reads the catalog version alone.
func (s *Service) readVersion(ctx context.Context) (int64, error) {
	if s.db.Engine == database.Postgres {
		st, err := s.readPostgresState(ctx)
		return st.version, err
	}
	if err := s.prepared(ctx); err != nil {
		return 0, err
	}
	var raw string
	err := s.versionStmt.QueryRowContext(ctx).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return parseVersion(raw), nil
}

func (s *Service) readPostgresState(ctx context.Context) (dbState, error) {
	if err := s.prepared(ctx); err != nil {
		return dbState{}, err
	}
	var raw sql.NullString
	var snapshot string
	if err := s.versionStmt.QueryRowContext(ctx).Scan(&raw, &snapshot); err != nil {
		return dbState{}, err
	}
	return dbState{version: parseVersion(raw.String), epoch: s.snapshots.observe(snapshot)}, nil
}

// parseVersion reads a version; anything unreadable counts as none yet.
func parseVersion(raw string) int64 {
	v, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
	if err != nil {
		return 0
	}
	return v
}

// snapshotEpochs turns PostgreSQL transaction snapshots into epochs. A
// snapshot (xmin:xmax:in-progress xids) cannot stay the same across a
// commit: the committing transaction either was in progress (and leaves
// the list) or started later (and moves xmax past it). Writes anywhere on
// the server move it too, which only costs a cache miss.
type snapshotEpochs struct {
	mu    sync.Mutex // rounds are sequential, Rebuild may read beside them
	last  string
	epoch Epoch
}

func (e *snapshotEpochs) observe(snapshot string) Epoch {
	e.mu.Lock()
	defer e.mu.Unlock()
	if snapshot != e.last {
		e.last = snapshot
		e.epoch++
	}
	return e.epoch
}

// versionGate reads the catalog version for many concurrent requests with
// one query. A request joins the next round that has not started yet, so
// the version it gets was read after the request arrived: an import that
// finished before the request is always seen, yet under load one query
// answers every request waiting at that moment.
type versionGate struct {
	read    func(context.Context) (dbState, error)
	mu      sync.Mutex
	running bool
	waiting []chan versionResult
}

type versionResult struct {
	dbState
	err error
}

func newVersionGate(read func(context.Context) (dbState, error)) *versionGate {
	return &versionGate{read: read}
}

func (g *versionGate) current(ctx context.Context) (dbState, error) {
	ch := make(chan versionResult, 1)
	g.mu.Lock()
	g.waiting = append(g.waiting, ch)
	if !g.running {
		g.running = true
		go g.rounds()
	}
	g.mu.Unlock()
	select {
	case r := <-ch:
		return r.dbState, r.err
	case <-ctx.Done():
		return dbState{}, ctx.Err()
	}
}

func (g *versionGate) rounds() {
	for {
		g.mu.Lock()
		batch := g.waiting
		g.waiting = nil
		if len(batch) == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		// The waiters' contexts may end; the round itself must not.
		st, err := g.read(context.Background())
		for _, ch := range batch {
			ch <- versionResult{st, err}
		}
	}
}
