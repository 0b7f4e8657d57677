package database_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/testdb"
)

// TestSQLiteSettings: every pooled SQLite connection runs in WAL mode with
// a busy timeout and foreign keys enforced.
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
		for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "10000"} {
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
