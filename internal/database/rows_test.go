package database_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/testdb"
)

// TestCollect: Collect reads every row, answers [] for none, passes the
// query's error through, stops at a scan's error, and leaves the rows
// closed in every case (a transaction can query again at once).
func TestCollect(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	if _, err := db.ExecContext(ctx, "CREATE TABLE collect_test (n INTEGER)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO collect_test (n) VALUES (1), (2), (3)"); err != nil {
		t.Fatal(err)
	}
	errThree := errors.New("three")
	scanInt := func(row database.Scanner) (int, error) {
		var n int
		err := row.Scan(&n)
		if n == 3 {
			err = errThree
		}
		return n, err
	}
	cases := []struct {
		name    string
		query   string
		want    []int
		wantErr error // nil: none; errAny: any
	}{
		{"all rows", "SELECT n FROM collect_test WHERE n < 3 ORDER BY n", []int{1, 2}, nil},
		{"no rows", "SELECT n FROM collect_test WHERE n > 5", []int{}, nil},
		{"scan error", "SELECT n FROM collect_test ORDER BY n", nil, errThree},
		{"query error", "SELECT nothing FROM no_such_table", nil, errAny},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := db.Tx(ctx, func(tx *sql.Tx) error {
				rows, err := tx.QueryContext(ctx, c.query)
				got, err := database.Collect(rows, err, scanInt)
				if !matches(err, c.wantErr) {
					t.Fatalf("error %v, want %v", err, c.wantErr)
				}
				if !slices.Equal(got, c.want) || (c.want != nil && got == nil) {
					t.Fatalf("got %#v, want %#v", got, c.want)
				}
				if rows != nil {
					var n int
					if err := rows.Scan(&n); err == nil {
						t.Fatal("the rows were left open")
					}
				}
				if c.wantErr != errAny { // a failed statement ends a PostgreSQL transaction
					var count int
					if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM collect_test").Scan(&count); err != nil {
						t.Fatalf("querying after Collect: %v", err)
					}
				}
				return errRollback
			})
			if err != errRollback {
				t.Fatal(err)
			}
		})
	}
}

var errAny, errRollback = errors.New("any error"), errors.New("rolled back")

func matches(err, want error) bool {
	if want == errAny {
		return err != nil
	}
	return errors.Is(err, want)
}
