// Package testdb gives each test a fresh, migrated database: a SQLite file
// in a temporary directory, or, when VITRIN_TEST_DATABASE_URL is set, a
// schema of its own on that PostgreSQL server (dropped afterwards), so
// tests run in parallel on both engines.
package testdb

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/token"
)

// URL returns a database URL for a new, empty database.
func URL(t testing.TB) string {
	t.Helper()
	pg := os.Getenv("VITRIN_TEST_DATABASE_URL")
	if pg == "" {
		return "sqlite:" + t.TempDir() + "/vitrin.db"
	}
	schema := "t_" + strings.ToLower(token.New(12))
	admin, err := sql.Open("pgx", pg)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create test schema on %s: %v", pg, err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", pg)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(pg)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a migrated database that lives as long as the test.
func Open(t testing.TB) *database.DB {
	t.Helper()
	db, err := database.Open(context.Background(), URL(t))
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-in first-out: close before the schema is dropped.
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}
