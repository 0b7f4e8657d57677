package database_test

import (
	"context"
	"strings"
	"testing"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/testdb"
)

// TestPending: a new database has every migration pending, a migrated one
// none.
func TestPending(t *testing.T) {
	ctx := context.Background()
	db, err := database.Open(ctx, testdb.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pending, err := db.Pending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) == 0 || !strings.HasPrefix(pending[0], "0001_") {
		t.Fatalf("pending on a new database: %v, want every migration", pending)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if pending, err := db.Pending(ctx); err != nil || len(pending) != 0 {
		t.Fatalf("pending after migrating: %v, %v", pending, err)
	}
}

// TestOpenRefusesUnknownSchemes: a URL of another database names its
// scheme, rather than being taken for a SQLite path.
func TestOpenRefusesUnknownSchemes(t *testing.T) {
	for _, url := range []string{"mysql://x", "mongodb://localhost/store", "http://example.com/db"} {
		_, err := database.Open(context.Background(), url)
		if err == nil || !strings.Contains(err.Error(), "unsupported database URL scheme") {
			t.Errorf("Open(%q) = %v, want an unsupported scheme error", url, err)
		}
	}
}
