package storeimport_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/vitrin/vitrin/internal/demo"
	"github.com/vitrin/vitrin/internal/storeimport"
	"github.com/vitrin/vitrin/internal/testdb"
)

// BenchmarkImport measures a first import and a no-op re-import of a
// 5,000-product demo store.
func BenchmarkImport(b *testing.B) {
	var buf bytes.Buffer
	if err := demo.Write(&buf, demo.Options{Products: 5000, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			db := testdb.Open(b)
			b.StartTimer()
			if _, err := storeimport.Run(context.Background(), db, bytes.NewReader(buf.Bytes()), storeimport.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		db := testdb.Open(b)
		if _, err := storeimport.Run(context.Background(), db, bytes.NewReader(buf.Bytes()), storeimport.Options{}); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := storeimport.Run(context.Background(), db, bytes.NewReader(buf.Bytes()), storeimport.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
