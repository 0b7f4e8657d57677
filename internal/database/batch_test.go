package database_test

import (
	"context"
	"strings"
	"testing"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/testdb"
)

// TestBatch: a batch's statements run in order in one transaction (a later
// one sees an earlier one's row), commit or roll back as keep says, and a
// failing statement undoes the ones before it; the connection it ran on
// serves the next batch.
func TestBatch(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	if _, err := db.ExecContext(ctx, "CREATE TABLE batch_test (k TEXT PRIMARY KEY, n INTEGER NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	stmts := database.NewStmtCache(db)
	count := func() (n int) {
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM batch_test").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	cases := []struct {
		name     string
		k        string
		n        any // nil breaks the NOT NULL of the second statement
		keep     bool
		wantErr  string
		wantRows int
	}{
		{name: "kept", k: "a", n: 1, keep: true, wantRows: 1},
		{name: "rolled back by keep", k: "b", n: 2, keep: false, wantRows: 1},
		{name: "failing statement", k: "c", n: nil, keep: true, wantErr: "null", wantRows: 1},
		{name: "after a failure", k: "d", n: 4, keep: true, wantRows: 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var seen []int64
			b := database.NewBatch(stmts)
			b.Query(nil, "INSERT INTO batch_test (k, n) VALUES ($1, 10)", c.k)
			b.Query(nil, "UPDATE batch_test SET n = $2 WHERE k = $1", c.k, c.n)
			b.Query(func(row database.Scanner) error {
				var n int64
				err := row.Scan(&n)
				seen = append(seen, n)
				return err
			}, "SELECT n FROM batch_test WHERE k = $1", c.k)
			err := db.RunRelaxed(ctx, b, func() bool { return c.keep })
			if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || !strings.Contains(strings.ToLower(err.Error()), c.wantErr)) {
				t.Fatalf("error %v, want one saying %q", err, c.wantErr)
			}
			if c.wantErr == "" && (len(seen) != 1 || seen[0] != int64(c.n.(int))) {
				t.Errorf("the last statement read %v, want [%v]", seen, c.n)
			}
			if got := count(); got != c.wantRows {
				t.Errorf("%d rows after the batch, want %d", got, c.wantRows)
			}
		})
	}
}
