package catalog

import (
	"bytes"
	"context"
	"os"
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

// TestSQLiteChangesFollowANewIndexFile: when SQLite replaces the "-shm"
// file (its last connection closed, a new one opened), the watcher reads
// the new file, never the old one whose header no longer moves.
func TestSQLiteChangesFollowANewIndexFile(t *testing.T) {
	path := t.TempDir() + "/vitrin.db-shm"
	header := func(b byte) []byte { return bytes.Repeat([]byte{b}, walIndexHeaderSize) }
	write := func(b byte) {
		t.Helper()
		// A new file under the old name, as SQLite makes it.
		if err := os.WriteFile(path+".new", header(b), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".new", path); err != nil {
			t.Fatal(err)
		}
	}
	write(1)
	c := &sqliteChanges{path: path}
	if !c.open() {
		t.Fatal("cannot open the index file")
	}
	t.Cleanup(func() { c.shm.Close() })
	queries := 0
	check := func(wantQuery bool) {
		t.Helper()
		before := queries
		if _, err := c.versionSince(context.Background(), func(context.Context) (int64, error) { queries++; return 1, nil }); err != nil {
			t.Fatal(err)
		}
		if queried := queries > before; queried != wantQuery {
			t.Fatalf("queried %v, want %v", queried, wantQuery)
		}
	}
	check(true)  // nothing known yet
	check(false) // unchanged
	write(2)
	check(true)  // a new file: unknown
	check(true)  // its header, read for the first time
	check(false) // unchanged
	write(2)
	check(true) // a new file with the same bytes is still a new file
}
