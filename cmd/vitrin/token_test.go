package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/vitrin/vitrin/internal/testdb"
)

// vitrin token create prints the token once; list shows it without the
// secret; revoke marks it.
func TestTokenCommand(t *testing.T) {
	ctx := context.Background()
	db := "--database=" + testdb.URL(t)
	var out bytes.Buffer
	if err := runToken(ctx, []string{"create", db, "--name", "erp", "--scope", "orders,webhooks"}, &out); err != nil {
		t.Fatal(err)
	}
	secret, _, _ := strings.Cut(out.String(), "\n")
	if !strings.HasPrefix(secret, "vtk_") {
		t.Fatalf("create printed %q", out.String())
	}
	for _, args := range [][]string{{"create", db, "--name", "x", "--scope", "root"}, {"create", db, "--scope", "orders"}, {"revoke", db}, {"fly"}} {
		if err := runToken(ctx, args, &out); err == nil {
			t.Errorf("token %v: no error", args)
		}
	}
	if err := runToken(ctx, []string{"revoke", db, "erp"}, &out); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"token", "list", db}); err != nil {
		t.Fatalf("vitrin token list: %v", err) // the command must be reachable from main
	}
	out.Reset()
	if err := runToken(ctx, []string{"list", db}, &out); err != nil {
		t.Fatal(err)
	}
	if list := out.String(); strings.Contains(list, secret) || !strings.Contains(list, "erp") || !strings.Contains(list, "orders,webhooks") ||
		strings.Contains(list, "  -\n") {
		t.Fatalf("list:\n%s", list)
	}
}
