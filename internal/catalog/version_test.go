package catalog

import (
	"context"
	"strconv"
	"testing"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/testdb"
)

// TestVersionAndEpochFollowCommits: a version committed by any connection
// is read on the next check and moves the epoch, on both engines.
func TestVersionAndEpochFollowCommits(t *testing.T) {
	db := testdb.Open(t)
	ctx := context.Background()
	s := New(db)
	var last Epoch
	for i := 1; i <= 30; i++ {
		if _, err := db.Exec(`INSERT INTO settings (key, value) VALUES ('catalog_version', $1)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
		st, err := s.currentState(ctx)
		if err != nil || st.version != int64(i) || st.epoch == 0 || st.epoch == last {
			t.Fatalf("after commit %d: %+v (epoch before %d), %v", i, st, last, err)
		}
		last = st.epoch
	}
}

// TestSQLiteChangesSkipQueries: on SQLite an unchanged database is checked
// without a query and keeps its epoch.
func TestSQLiteChangesSkipQueries(t *testing.T) {
	db := testdb.Open(t)
	if db.Engine != database.SQLite {
		t.Skip("PostgreSQL has no WAL index file to watch: the version is always queried")
	}
	ctx := context.Background()
	s := New(db)
	if err := s.prepared(ctx); err != nil {
		t.Fatal(err)
	}
	if s.changes == nil {
		t.Fatal("SQLite in WAL mode without change detection")
	}
	queries := 0
	query := func(ctx context.Context) (int64, error) {
		queries++
		return s.readVersion(ctx)
	}
	first, err := s.changes.versionSince(ctx, query)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		st, err := s.changes.versionSince(ctx, query)
		if err != nil || st != first {
			t.Fatalf("unchanged database: %+v then %+v, %v", first, st, err)
		}
	}
	if queries != 1 {
		t.Errorf("%d queries for an unchanged database, want 1", queries)
	}
}
