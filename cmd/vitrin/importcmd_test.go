package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vitrin/vitrin/internal/demo"
	"github.com/vitrin/vitrin/internal/testdb"
)

func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "store.json")
	f, err := os.Create(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Write(f, demo.Options{Products: 40, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"format": "vitrin.store/1", "prodcts": []}`), 0o600)
	url := testdb.URL(t)
	ctx := context.Background()
	// Flags may follow the file.
	if err := runImport(ctx, []string{good, "--database", url}); err != nil {
		t.Fatalf("import: %v", err)
	}
	if err := runImport(ctx, []string{"--database", url, good}); err != nil {
		t.Fatalf("re-import: %v", err)
	}
	if err := runImport(ctx, []string{"--database", url, bad}); err == nil || !strings.Contains(err.Error(), "1 errors") {
		t.Fatalf("bad file: err = %v, want a rejection", err)
	}
	if err := runImport(ctx, []string{"--database", url}); err == nil {
		t.Fatal("no file: want an error")
	}
}
