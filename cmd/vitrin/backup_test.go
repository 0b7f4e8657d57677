package main

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/testdb"
	"github.com/vitrin/vitrin/internal/token"
)

// TestBackupAndRestore backs up a store with an order, restores the backup
// the way the README says into a fresh database, and finds the order
// there (and not the one placed after the backup).
func TestBackupAndRestore(t *testing.T) {
	ctx := context.Background()
	live := testdb.URL(t)
	db, err := database.Open(ctx, live)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	placeOrder(t, db, "V-1")
	file := filepath.Join(t.TempDir(), "store.backup")
	if err := run([]string{"backup", "--database", live, file}); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"backup", "--database", live, file}); err == nil {
		t.Error("a second backup overwrote the first")
	}
	placeOrder(t, db, "V-2")

	restored, err := database.Open(ctx, restore(t, live, file))
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	for number, want := range map[string]int{"V-1": 1, "V-2": 0} {
		var n int
		if err := restored.QueryRow("SELECT COUNT(*) FROM orders WHERE number = $1", number).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("order %s: %d in the restored store, want %d", number, n, want)
		}
	}
	if pending, err := restored.Pending(ctx); err != nil || len(pending) > 0 {
		t.Errorf("restored schema: pending migrations %v, %v", pending, err)
	}
}

func placeOrder(t *testing.T, db *database.DB, number string) {
	t.Helper()
	now := time.Now().UTC()
	if _, err := db.Exec(`INSERT INTO orders (number, token, idempotency_key, email, status, currency,
		product_amount, amount, created_at, updated_at) VALUES ($1, $2, $3, 'ada@example.com', 'approved', 'TRY', 19990, 19990, $4, $4)`,
		number, "tok-"+number, "key-"+number, now); err != nil {
		t.Fatal(err)
	}
}

// restore follows the README and returns the restored database's URL.
// SQLite: the backup file is a database, put in place of the old one.
// PostgreSQL: pg_restore into a new, empty database.
func restore(t *testing.T, live, file string) string {
	t.Helper()
	admin := os.Getenv("VITRIN_TEST_DATABASE_URL")
	if admin == "" {
		return "sqlite:" + file
	}
	name := "restore_" + token.New(10)
	adminDB, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer adminDB.Close()
	if _, err := adminDB.Exec(`CREATE DATABASE "` + name + `"`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if adminDB, err := sql.Open("pgx", admin); err == nil {
			adminDB.Exec(`DROP DATABASE "` + name + `" WITH (FORCE)`)
			adminDB.Close()
		}
	})
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	if out, err := exec.Command("pg_restore", "--no-owner", "--exit-on-error", "--dbname="+u.String(), file).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	// The test store lives in a schema of its own (testdb), which the
	// dump carries; a store in "public" needs no search_path.
	lu, _ := url.Parse(live)
	q := u.Query()
	q.Set("search_path", lu.Query().Get("search_path"))
	u.RawQuery = q.Encode()
	return u.String()
}
