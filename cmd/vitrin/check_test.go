package main

import (
	"context"
	"strings"
	"testing"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/testdb"
)

// TestCheckCommand: `vitrin check` passes on a migrated database and
// names what is wrong otherwise.
func TestCheckCommand(t *testing.T) {
	migrated := testdb.URL(t)
	db, err := database.Open(context.Background(), migrated)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if out := stdout(t, func() error { return run([]string{"check", "--database", migrated}) }); !strings.HasSuffix(out, "migrations: up to date\n") {
		t.Errorf("check of a migrated database printed %q", out)
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"not migrated", []string{"--database", testdb.URL(t)}, "not applied"},
		{"other database", []string{"--database", "mysql://x"}, `unsupported database URL scheme "mysql"`},
		{"bad setting", []string{"--database", migrated, "--session-lifetime", "0"}, "--session-lifetime"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := run(append([]string{"check"}, tt.args...))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("check %v: %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}
