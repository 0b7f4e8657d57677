package storeimport_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/testdb"
)

// manyProducts is more than two write batches of products (500) and
// not a multiple of SQLite's rows per statement (100): product i has
// stock i+1, a TRY price of i+1 and one of two categories by parity.
func manyProducts(n int) []any {
	products := make([]any, n)
	for i := range products {
		category := "women"
		if i%2 == 1 {
			category = "women-dresses"
		}
		products[i] = product(fmt.Sprintf("P-%05d", i), "P", "Red", "S", fmt.Sprintf("%d.00", i+1), i+1, category)
	}
	return products
}

func TestBulkWritesEveryBatch(t *testing.T) {
	db := testdb.Open(t)
	d := fixture(t)
	d["products"] = manyProducts(1234)
	delete(d, "pages")
	delete(d, "widgets")
	delete(d, "retail_stores")
	if got := counts(mustRun(t, db, d.bytes(t)))["products"]; got != "1234/0/0/0" {
		t.Fatalf("products %s, want 1234 created", got)
	}
	// Each product's children went to its own id, in every batch and
	// every statement of a batch.
	if n := scalar[int](t, db, `SELECT COUNT(*) FROM products p JOIN product_prices pp ON pp.product_id = p.id
		WHERE pp.currency = 'TRY' AND pp.price = p.stock * 100`); n != 1234 {
		t.Errorf("%d products with their own TRY price, want 1234", n)
	}
	if n := scalar[int](t, db, `SELECT COUNT(*) FROM products p JOIN product_categories pc ON pc.product_id = p.id
		JOIN categories c ON c.id = pc.category_id
		WHERE (c.code = 'women' AND p.stock % 2 = 1) OR (c.code = 'women-dresses' AND p.stock % 2 = 0)`); n != 1234 {
		t.Errorf("%d products in their own category, want 1234", n)
	}
	if n := scalar[int](t, db, "SELECT COUNT(*) FROM product_prices"); n != 2*1234 {
		t.Errorf("%d prices, want %d", n, 2*1234)
	}
}

// TestBulkUpdatesExactlyTheChanged changes products in the first, a
// middle and the last batch, in three ways, and checks that just those
// rows are written and just they are logged for the read model.
func TestBulkUpdatesExactlyTheChanged(t *testing.T) {
	db := testdb.Open(t)
	d := fixture(t)
	delete(d, "pages")
	delete(d, "widgets")
	delete(d, "retail_stores")
	d["products"] = manyProducts(1234)
	mustRun(t, db, d.bytes(t))
	before := scalar[string](t, db, "SELECT MAX(updated_at) FROM products")

	products := d["products"].([]any)
	products[0].(map[string]any)["prices"] = map[string]any{"TRY": map[string]any{"price": "5.55"}} // rewritten
	products[777].(map[string]any)["name"] = "Yeni Elbise"                                          // rewritten
	products[600].(map[string]any)["active"] = false                                                // flag only
	products[1233].(map[string]any)["stock"] = 0                                                    // stock only
	s := mustRun(t, db, d.bytes(t))
	if got := counts(s)["products"]; got != "0/4/1230/0" {
		t.Fatalf("products %s, want 4 updated, 1230 unchanged", got)
	}
	want := ids(t, db, "SELECT id FROM products WHERE sku IN ('P-00000', 'P-00600', 'P-00777', 'P-01233') ORDER BY id")
	if got := ids(t, db, "SELECT product_id FROM catalog_changes WHERE version = $1 ORDER BY product_id", s.CatalogVersion); !slices.Equal(got, want) {
		t.Errorf("catalog changes %v, want %v", got, want)
	}
	if n := scalar[int](t, db, "SELECT COUNT(*) FROM products WHERE updated_at > $1", before); n != 4 {
		t.Errorf("%d products written, want 4", n)
	}
	for query, want := range map[string]string{
		"SELECT CAST(COUNT(*) AS TEXT) FROM product_prices pp JOIN products p ON p.id = pp.product_id WHERE p.sku = 'P-00000'":                                "1",
		"SELECT CAST(pp.price AS TEXT) FROM product_prices pp JOIN products p ON p.id = pp.product_id WHERE p.sku = 'P-00000'":                                "555",
		"SELECT name FROM products WHERE sku = 'P-00777'":                                                                                                     "Yeni Elbise",
		"SELECT CAST(COUNT(*) AS TEXT) FROM product_prices pp JOIN products p ON p.id = pp.product_id WHERE p.sku = 'P-00777'":                                "2",
		"SELECT CAST(COUNT(*) AS TEXT) FROM product_categories pc JOIN products p ON p.id = pc.product_id WHERE p.sku = 'P-00777'":                            "1",
		"SELECT CAST(stock AS TEXT) FROM products WHERE sku = 'P-01233'":                                                                                      "0",
		"SELECT CAST(COUNT(*) AS TEXT) FROM products WHERE NOT active":                                                                                        "1",
		"SELECT CAST(COUNT(*) AS TEXT) FROM products p JOIN product_prices pp ON pp.product_id = p.id WHERE pp.currency = 'TRY' AND pp.price = p.stock * 100": "1232",
	} {
		if got := scalar[string](t, db, query); got != want {
			t.Errorf("%s: %s, want %s", query, got, want)
		}
	}
	if s := mustRun(t, db, d.bytes(t)); s.Changed() {
		t.Errorf("a third import of the same file changed %v", counts(s))
	}
}

func ids(t *testing.T, db *database.DB, query string, args ...any) []int64 {
	t.Helper()
	rows, err := db.Query(query, args...)
	list, err := database.Collect(rows, err, database.Scalar[int64])
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestBulkErrorsKeepTheirPaths puts a bad record in the middle of a
// later batch: its error names it, and nothing is written.
func TestBulkErrorsKeepTheirPaths(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(products []any)
		want   string
	}{
		{"bad price", func(p []any) {
			p[777].(map[string]any)["prices"] = map[string]any{"TRY": map[string]any{"price": "1.001"}}
		},
			"products[777].prices.TRY.price: not a decimal"},
		{"duplicate across batches", func(p []any) { p[1100].(map[string]any)["sku"] = "P-00003" },
			"products[1100].sku: duplicate SKU P-00003"},
		{"duplicate within a batch", func(p []any) { p[640].(map[string]any)["sku"] = "P-00639" },
			"products[640].sku: duplicate SKU P-00639"},
		{"unknown category", func(p []any) { p[501].(map[string]any)["categories"] = []string{"nowhere"} },
			`products[501].categories[0]: unknown category "nowhere"`},
		{"not an object", func(p []any) { p[999] = "P-00999" }, "products[999]: must be an object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := testdb.Open(t)
			products := manyProducts(1234)
			tc.change(products)
			_, err := run(t, db, doc{"format": "vitrin.store/1", "categories": fixture(t)["categories"], "products": products}.bytes(t))
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Count(err.Error(), "\n") != 1 {
				t.Fatalf("err = %v, want just %q", err, tc.want)
			}
			if n := scalar[int](t, db, "SELECT COUNT(*) FROM products"); n != 0 {
				t.Errorf("%d products written by a rejected import", n)
			}
		})
	}
}
