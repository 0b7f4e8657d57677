package catalog

import (
	"context"
	"strconv"
	"testing"

	"github.com/vitrin/vitrin/internal/testdb"
)

// TestSQLiteChangesSeesEveryCommit: a version committed by any connection
// is read on the next check, and an unchanged database costs no query.
func TestSQLiteChangesSeesEveryCommit(t *testing.T) {
	db := testdb.Open(t)
	ctx := context.Background()
	s := New(db)
	if err := s.prepared(ctx); err != nil {
		t.Fatal(err)
	}
	if s.changes == nil {
		t.Skip("not SQLite in WAL mode: the version is always queried")
	}
	queries := 0
	query := func(ctx context.Context) (int64, error) {
		queries++
		return s.readVersion(ctx)
	}
	epochs := map[int]Epoch{}
	for i := 1; i <= 50; i++ {
		if _, err := db.Exec(`INSERT INTO settings (key, value) VALUES ('catalog_version', $1)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			st, err := s.changes.versionSince(ctx, query)
			if err != nil || st.version != int64(i) || st.epoch == 0 {
				t.Fatalf("after commit %d: %+v, %v", i, st, err)
			}
			if epochs[i] != 0 && epochs[i] != st.epoch {
				t.Fatalf("epoch moved without a commit: %d then %d", epochs[i], st.epoch)
			}
			epochs[i] = st.epoch
		}
	}
	if epochs[1] == epochs[2] {
		t.Errorf("a commit did not move the epoch")
	}
	if queries > 60 {
		t.Errorf("%d queries for 50 commits read 150 times: unchanged reads should not query", queries)
	}
}
