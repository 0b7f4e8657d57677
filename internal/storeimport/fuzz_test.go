package storeimport_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/vitrin/vitrin/internal/storeimport"
	"github.com/vitrin/vitrin/internal/testdb"
)

// FuzzImportRefusesWhatItCannotRead imports made-up documents: each either
// imports or is refused with the import's own errors (each at its JSON
// path, never a database error or a panic), and a refused one writes
// nothing. `go test` runs the seeds; `go test -run '^$'
// -fuzz FuzzImportRefusesWhatItCannotRead ./internal/storeimport` searches
// further.
func FuzzImportRefusesWhatItCannotRead(f *testing.F) {
	db := testdb.Open(f)
	valid := fixture(f).bytes(f)
	f.Add(valid)
	f.Add([]byte(`{"format": "vitrin.store/1", "products": [{"sku": "A", "prices": {"TRY": {"price": 1.5}}}]}`))
	f.Add([]byte(`{"format": "vitrin.store/1", "categories": [{"code": "a", "parent": "a", "slug": "a", "name": "A"}]}`))
	f.Add([]byte(`{"format": "vitrin.store/1", "promotions": {"vouchers": [{"code": "", "type": "percent", "value": "200"}]}}`))
	f.Add([]byte(`{"format": "vitrin.store/1", "customers": [{"email": "x", "password_hash": "md5$$"}]}`))
	f.Add([]byte(`{"format": "vitrin.store/1", "store": {"default_currency": "try", "currencies": []}}`))
	f.Add([]byte(`{"format": "vitrin.store/1", "products": {"replace": true, "items": [null]}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"format": "vitrin.store/1", "products": [{"sku": "A"`))
	f.Add(bytes.Replace(valid, []byte(`"stock":3`), []byte(`"stock":-3`), 1))
	f.Add(bytes.Replace(valid, []byte(`"1299.90"`), []byte(`"12.999"`), 1))
	f.Add(bytes.Replace(valid, []byte(`"1299.90"`), []byte(`"1299.90", "name": "A\u0000"`), 1))
	f.Add([]byte(`{"format": "vitrin.store/1", "redirects": [{"old_path": "/a\u0000", "new_path": "/b"}]}`))

	version := func() string {
		var v string
		db.QueryRow("SELECT COALESCE((SELECT value FROM settings WHERE key = 'catalog_version'), '')").Scan(&v)
		return v
	}
	f.Fuzz(func(t *testing.T, document []byte) {
		before := version()
		_, err := storeimport.Run(context.Background(), db, bytes.NewReader(document), storeimport.Options{})
		if err == nil {
			return
		}
		var refused storeimport.Errors
		if !errors.As(err, &refused) || len(refused) == 0 {
			t.Fatalf("not refused with located errors: %v\n%s", err, document)
		}
		for _, e := range refused {
			if e.Message == "" {
				t.Fatalf("an error without a message: %+v\n%s", e, document)
			}
		}
		if after := version(); after != before {
			t.Fatalf("a refused import moved the catalog version %s → %s", before, after)
		}
	})
}
