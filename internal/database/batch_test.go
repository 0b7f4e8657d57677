package database_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/testdb"
)

// TestBatch: a batch's statements run in order in one transaction (a later
// one sees an earlier one's row); a Require statement that returns no row,
// like a failing statement, undoes the ones before it and stops the ones
// after it; the connection it ran on serves the next batch.
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
		n        any    // nil breaks the NOT NULL of the second statement
		require  string // the required UPDATE's condition
		wantErr  string
		wantRows int
	}{
		{name: "committed", k: "a", n: 1, require: "TRUE", wantRows: 1},
		{name: "required row missing", k: "b", n: 2, require: "FALSE", wantErr: "returned no row", wantRows: 1},
		{name: "failing statement", k: "c", n: nil, require: "TRUE", wantErr: "null", wantRows: 1},
		{name: "after a failure", k: "d", n: 4, require: "TRUE", wantRows: 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var seen []int64
			b := database.NewBatch(stmts)
			b.Query(nil, "INSERT INTO batch_test (k, n) VALUES ($1, 10)", c.k)
			b.Require("UPDATE batch_test SET n = n + 1 WHERE k = $1 AND "+c.require+" RETURNING n", c.k)
			b.Query(nil, "UPDATE batch_test SET n = $2 WHERE k = $1", c.k, c.n)
			b.Query(func(row database.Scanner) error {
				var n int64
				err := row.Scan(&n)
				seen = append(seen, n)
				return err
			}, "SELECT n FROM batch_test WHERE k = $1", c.k)
			err := db.RunRelaxed(ctx, b)
			if c.require == "FALSE" && !errors.Is(err, database.ErrNoRequiredRow) {
				t.Errorf("error %v, want ErrNoRequiredRow", err)
			}
			if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || !strings.Contains(strings.ToLower(err.Error()), c.wantErr)) {
				t.Fatalf("error %v, want one saying %q", err, c.wantErr)
			}
			if c.wantErr != "" && len(seen) > 0 {
				t.Errorf("the last statement ran after the batch failed: read %v", seen)
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

// TestRead: a read batch's statements run in order, each row to its
// callback.
func TestRead(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	var got []string
	b := database.NewBatch(database.NewStmtCache(db))
	for _, v := range []string{"a", "b"} {
		b.Query(func(row database.Scanner) error {
			var s string
			err := row.Scan(&s)
			got = append(got, s)
			return err
		}, "SELECT $1", v)
	}
	if err := db.Read(ctx, b); err != nil || strings.Join(got, "") != "ab" {
		t.Fatalf("read %v, %v; want [a b]", got, err)
	}
}
