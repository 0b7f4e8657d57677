package database_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/testdb"
)

// TestSQLiteSettings: every pooled SQLite connection runs in WAL mode with
// a busy timeout, foreign keys enforced and commits that wait for the disk
// (synchronous FULL).
func TestSQLiteSettings(t *testing.T) {
	ctx := context.Background()
	db, err := database.Open(ctx, "sqlite:"+t.TempDir()+"/vitrin.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Hold several connections at once, so each is a different one.
	for i := range 3 {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "10000", "synchronous": "2"} {
			var got string
			if err := conn.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("connection %d: %s = %s, want %s", i, pragma, got, want)
			}
		}
	}
}

// TestMigrationsMatchAcrossEngines: both engines carry the same
// migrations, so one schema version means the same tables on either.
func TestMigrationsMatchAcrossEngines(t *testing.T) {
	names := func(engine string) []string {
		entries, err := os.ReadDir("migrations/" + engine)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	if sqlite, postgres := names("sqlite"), names("postgres"); !slices.Equal(sqlite, postgres) {
		t.Fatalf("migrations differ:\nsqlite:   %v\npostgres: %v", sqlite, postgres)
	}
}

// TestMigrateAgainAndForeignKeys: migrating a migrated database changes
// nothing, and the schema's foreign keys hold on the engine under test.
func TestMigrateAgainAndForeignKeys(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("second migration: %v", err)
	}
	_, err := db.ExecContext(ctx, "INSERT INTO sessions (id, customer_id, data, created_at, expires_at) VALUES ('s', 424242, '{}', $1, $1)", time.Now().UTC())
	if err == nil {
		t.Fatal("a session of a customer who does not exist was stored")
	}
}

// TestRelaxedTransactions: a relaxed transaction commits like any other,
// relaxed, and leaves no connection relaxed behind it (SQLite's setting
// belongs to the connection; PostgreSQL's relaxed transactions run on a
// pool of their own), also when it fails.
func TestRelaxedTransactions(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	if _, err := db.Exec("CREATE TABLE relaxed_test (n INTEGER)"); err != nil {
		t.Fatal(err)
	}
	query, want, relaxed := "PRAGMA synchronous", "2", "1"
	if db.Engine == database.Postgres {
		query, want, relaxed = "SHOW synchronous_commit", "on", "off"
	}
	for i := range 10 {
		err := db.TxRelaxed(ctx, func(tx *sql.Tx) error {
			var got string
			if err := tx.QueryRowContext(ctx, query).Scan(&got); err != nil || got != relaxed {
				t.Errorf("in a relaxed transaction: %q = %q, want %q (%v)", query, got, relaxed, err)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO relaxed_test (n) VALUES ($1)", i); err != nil {
				return err
			}
			if i%2 == 1 {
				return errors.New("undone")
			}
			return nil
		})
		if (err != nil) != (i%2 == 1) {
			t.Fatalf("transaction %d: %v", i, err)
		}
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM relaxed_test").Scan(&n); err != nil || n != 5 {
		t.Fatalf("%d rows committed, want 5 (%v)", n, err)
	}
	for i := range 8 {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var got string
		if err := conn.QueryRowContext(ctx, query).Scan(&got); err != nil || got != want {
			t.Fatalf("connection %d after relaxed transactions: %q = %q, want %q (%v)", i, query, got, want, err)
		}
	}
}
