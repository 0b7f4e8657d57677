package storeimport_test

import (
	"bytes"
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/vitrin/vitrin/internal/account"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/demo"
	"github.com/vitrin/vitrin/internal/storeimport"
	"github.com/vitrin/vitrin/internal/testdb"
)

// doc is an import document under construction: tests change one field of
// the fixture and import it.
type doc map[string]any

func (d doc) bytes(t testing.TB) []byte {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func product(sku, base, color, size, try string, stock int, categories ...string) map[string]any {
	return map[string]any{"sku": sku, "base_code": base, "name": "Keten Elbise", "slug": strings.ToLower(sku),
		"attributes": map[string]any{"color": color, "size": size, "brand": "Nova"}, "categories": categories,
		"images": []string{"https://cdn.example/" + sku + ".jpg"}, "tax_rate": "10",
		"prices": map[string]any{"TRY": map[string]any{"price": try, "retail_price": "1599.90"},
			"USD": map[string]any{"price": "39.90"}},
		"stock": stock, "created": "2026-01-05T10:00:00Z",
		"translations": map[string]any{"en-us": map[string]any{"name": "Linen dress"}}}
}

func djangoPBKDF2(password, salt string) string {
	key, _ := pbkdf2.Key(sha256.New, password, []byte(salt), 1000, sha256.Size)
	return fmt.Sprintf("pbkdf2_sha256$1000$%s$%s", salt, base64.StdEncoding.EncodeToString(key))
}

func djangoBcrypt(t testing.TB, password string) string {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return "bcrypt$" + string(h)
}

func fixture(t testing.TB) doc {
	return doc{
		"format": "vitrin.store/1",
		"store": map[string]any{"name": "Test", "default_currency": "TRY", "currencies": []string{"TRY", "USD"},
			"default_language": "tr-tr", "languages": []string{"tr-tr", "en-us"}, "country": "tr"},
		"attributes": []any{
			map[string]any{"key": "color", "name": "Renk", "facet": true, "variant": true, "sort_order": 1},
			map[string]any{"key": "size", "name": "Beden", "facet": true, "variant": true, "sort_order": 2},
		},
		// Children before their parent: the importer orders them.
		"categories": []any{
			map[string]any{"code": "women-dresses", "name": "Elbise", "parent": "women-clothing", "slug": "kadin/giyim/elbise"},
			map[string]any{"code": "women-clothing", "name": "Giyim", "parent": "women", "slug": "kadin/giyim"},
			map[string]any{"code": "women", "name": "Kadın", "parent": nil, "slug": "kadin"},
		},
		"products": []any{
			product("DRS-1-RED-S", "DRS-1", "Kırmızı", "S", "1299.90", 3, "women-dresses"),
			product("DRS-1-RED-M", "DRS-1", "Kırmızı", "M", "1299.90", 0, "women-dresses"),
			product("DRS-2-BLK-S", "DRS-2", "Siyah", "S", "999", 5, "women-dresses", "women"),
		},
		"geography": map[string]any{"countries": []any{map[string]any{"code": "tr", "name": "Türkiye", "cities": []any{
			map[string]any{"name": "İstanbul", "postcode": "34000", "townships": []any{
				map[string]any{"name": "Kadıköy", "postcode": "34710", "districts": []any{
					map[string]any{"name": "Moda", "postcode": "34710"}}}}}}}}},
		"retail_stores": []any{map[string]any{"code": "IST-1", "name": "Moda", "country": "tr", "city": "İstanbul",
			"township": "Kadıköy", "district": "Moda", "latitude": "40.98742", "longitude": 29.02608,
			"store_hours": []any{map[string]any{"day": "Mon", "hours": "10-22"}}, "stock": map[string]any{"DRS-1-RED-S": 2}}},
		"pages": []any{
			map[string]any{"url": "/about/", "kind": "flat", "title": "Hakkımızda", "content": "<p>Biz</p>"},
			map[string]any{"url": "/sale/", "kind": "special", "title": "İndirim", "products": []string{"DRS-2-BLK-S", "DRS-1-RED-S"}},
		},
		"widgets":   []any{map[string]any{"slug": "home-hero", "name": "Hero", "attributes": map[string]any{"x": 1}, "products": []string{"DRS-1-RED-M"}}},
		"redirects": []any{map[string]any{"old_path": "/eski-elbise/", "new_path": "/drs-1-red-s/"}},
		"customers": []any{
			map[string]any{"email": "Ayse@Example.com", "first_name": "Ayşe", "password_hash": djangoPBKDF2("eski-sifre-1", "salt123"),
				"loyalty_balance": "120.50",
				"addresses": []any{
					map[string]any{"title": "Ev", "first_name": "Ayşe", "country": "tr", "city": "İstanbul", "township": "Kadıköy",
						"district": "Moda", "line": "Moda Cad. 1", "postcode": "34710", "phone_number": "+905551112233", "is_primary": true},
					map[string]any{"title": "İş", "country": "tr", "city": "İstanbul", "line": "Büyükdere Cad. 2",
						"is_corporate": true, "company_name": "Örnek A.Ş.", "tax_no": "1234567890", "tax_office": "Şişli"}}},
			map[string]any{"email": "can@example.com", "password_hash": djangoBcrypt(t, "bcrypt-sifre-2"), "date_joined": "2024-02-01T10:00:00Z"},
		},
	}
}

func run(t *testing.T, db *database.DB, body []byte) (*storeimport.Summary, error) {
	t.Helper()
	return storeimport.Run(context.Background(), db, bytes.NewReader(body), storeimport.Options{})
}

func mustRun(t *testing.T, db *database.DB, body []byte) *storeimport.Summary {
	t.Helper()
	s, err := run(t, db, body)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return s
}

// counts renders a summary as "section:created/updated/unchanged/removed".
func counts(s *storeimport.Summary) map[string]string {
	out := map[string]string{}
	for _, sec := range s.Sections {
		out[sec.Name] = fmt.Sprintf("%d/%d/%d/%d", sec.Created, sec.Updated, sec.Unchanged, sec.Removed)
	}
	return out
}

func scalar[T any](t *testing.T, db *database.DB, query string, args ...any) T {
	t.Helper()
	var v T
	if err := db.QueryRow(query, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v
}

func TestImportFixture(t *testing.T) {
	db := testdb.Open(t)
	s := mustRun(t, db, fixture(t).bytes(t))
	want := map[string]string{"store": "0/1/0/0", "attributes": "2/0/0/0", "categories": "3/0/0/0", "products": "3/0/0/0",
		"geography": "4/0/0/0", "retail_stores": "1/0/0/0", "pages": "2/0/0/0", "widgets": "1/0/0/0",
		"redirects": "1/0/0/0", "customers": "2/0/0/0"}
	if got := counts(s); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("summary %v, want %v", got, want)
	}
	if s.CatalogVersion != 1 {
		t.Errorf("catalog version %d, want 1", s.CatalogVersion)
	}
	if got := scalar[int](t, db, `SELECT COUNT(*) FROM customer_addresses a JOIN customers c ON c.id = a.customer_id
		JOIN districts d ON d.id = a.district_id WHERE c.email_lower = 'ayse@example.com' AND a.is_primary AND d.name = 'Moda'`); got != 1 {
		t.Errorf("%d primary Moda addresses, want 1", got)
	}
	if got := scalar[int](t, db, "SELECT COUNT(*) FROM customer_addresses WHERE township_id IS NULL AND is_corporate"); got != 1 {
		t.Errorf("%d corporate addresses without township, want 1", got)
	}

	// The category tree: depth and materialised path follow the parents.
	var depth int
	var path, rootPath string
	if err := db.QueryRow("SELECT depth, path FROM categories WHERE code = 'women-dresses'").Scan(&depth, &path); err != nil {
		t.Fatal(err)
	}
	rootPath = scalar[string](t, db, "SELECT path FROM categories WHERE code = 'women'")
	if depth != 2 || !strings.HasPrefix(path, rootPath+"/") || strings.Count(path, "/") != 2 {
		t.Errorf("women-dresses depth %d path %q (root %q)", depth, path, rootPath)
	}
	// Money in minor units; retail price defaults to the price.
	if got := scalar[int64](t, db, `SELECT pp.price FROM product_prices pp JOIN products p ON p.id = pp.product_id
		WHERE p.sku = 'DRS-2-BLK-S' AND pp.currency = 'TRY'`); got != 99900 {
		t.Errorf("TRY price %d, want 99900", got)
	}
	if got := scalar[int64](t, db, `SELECT pp.retail_price FROM product_prices pp JOIN products p ON p.id = pp.product_id
		WHERE p.sku = 'DRS-2-BLK-S' AND pp.currency = 'USD'`); got != 3990 {
		t.Errorf("USD retail price %d, want 3990", got)
	}
	if got := scalar[int](t, db, "SELECT COUNT(*) FROM product_categories pc JOIN products p ON p.id = pc.product_id WHERE p.sku = 'DRS-2-BLK-S'"); got != 2 {
		t.Errorf("DRS-2 in %d categories, want 2", got)
	}
	if got := scalar[string](t, db, "SELECT search_text FROM products WHERE sku = 'DRS-1-RED-S'"); !strings.Contains(got, "keten elbise") || !strings.Contains(got, "kirmizi") || !strings.Contains(got, "linen dress") {
		t.Errorf("search_text %q", got)
	}
	if got := scalar[int](t, db, `SELECT s.stock FROM retail_store_stock s JOIN retail_stores r ON r.id = s.retail_store_id
		JOIN districts d ON d.id = r.district_id WHERE r.code = 'IST-1' AND d.name = 'Moda'`); got != 2 {
		t.Errorf("retail stock %d, want 2", got)
	}
	if got := scalar[string](t, db, "SELECT longitude FROM retail_stores WHERE code = 'IST-1'"); got != "29.02608" {
		t.Errorf("longitude %q", got)
	}
	if got := scalar[string](t, db, `SELECT p.sku FROM page_products pp JOIN products p ON p.id = pp.product_id
		JOIN pages g ON g.id = pp.page_id WHERE g.url = '/sale/' ORDER BY pp.sort_order LIMIT 1`); got != "DRS-2-BLK-S" {
		t.Errorf("first special page product %q", got)
	}
	if got := scalar[int](t, db, "SELECT COUNT(*) FROM widget_products"); got != 1 {
		t.Errorf("%d widget products", got)
	}
	if got := scalar[string](t, db, "SELECT currencies FROM store WHERE id = 1"); got != `["TRY","USD"]` {
		t.Errorf("store currencies %s", got)
	}
}

func TestReimportChangesNothing(t *testing.T) {
	db := testdb.Open(t)
	body := fixture(t).bytes(t)
	mustRun(t, db, body)
	before := scalar[string](t, db, "SELECT MAX(updated_at) FROM products")
	s := mustRun(t, db, body)
	if s.Changed() {
		t.Fatalf("re-import changed something: %v", counts(s))
	}
	for name, c := range counts(s) {
		if strings.HasPrefix(c, "0/0/") && strings.HasSuffix(c, "/0") {
			continue
		}
		t.Errorf("%s: %s, want all unchanged", name, c)
	}
	if s.CatalogVersion != 1 {
		t.Errorf("catalog version %d, want 1 (no change)", s.CatalogVersion)
	}
	if after := scalar[string](t, db, "SELECT MAX(updated_at) FROM products"); after != before {
		t.Errorf("products rewritten: updated_at %s → %s", before, after)
	}
}

func TestChangedFileUpdatesExactlyTheChangedRecords(t *testing.T) {
	db := testdb.Open(t)
	d := fixture(t)
	mustRun(t, db, d.bytes(t))
	products := d["products"].([]any)
	products[0].(map[string]any)["prices"] = map[string]any{"TRY": map[string]any{"price": "1199.90"}}
	products[1].(map[string]any)["stock"] = 7 // back in stock
	d["categories"].([]any)[2].(map[string]any)["name"] = "Kadın Giyim"
	var restocked []int64
	s, err := storeimport.Run(context.Background(), db, bytes.NewReader(d.bytes(t)), storeimport.Options{
		Restocked: func(ctx context.Context, tx *sql.Tx, ids []int64) error {
			restocked = append(restocked, ids...)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	got := counts(s)
	if got["products"] != "0/2/1/0" || got["categories"] != "0/1/2/0" || got["customers"] != "0/0/2/0" {
		t.Fatalf("summary %v", got)
	}
	if s.CatalogVersion != 2 {
		t.Errorf("catalog version %d, want 2", s.CatalogVersion)
	}
	if n := scalar[int](t, db, "SELECT COUNT(*) FROM product_prices pp JOIN products p ON p.id = pp.product_id WHERE p.sku = 'DRS-1-RED-S'"); n != 1 {
		t.Errorf("DRS-1-RED-S has %d prices, want only TRY", n)
	}
	id := scalar[int64](t, db, "SELECT id FROM products WHERE sku = 'DRS-1-RED-M'")
	if fmt.Sprint(s.Restocked) != fmt.Sprint([]int64{id}) {
		t.Errorf("restocked %v, want [%d]", s.Restocked, id)
	}
	if !strings.Contains(fmt.Sprint(restocked), fmt.Sprint(id)) {
		t.Errorf("restock hook saw %v, want %d", restocked, id)
	}
}

func TestImportErrors(t *testing.T) {
	db := testdb.Open(t)
	for _, tc := range []struct {
		name   string
		change func(d doc)
		body   string // used instead of the fixture when set
		want   []string
	}{
		{"float money", func(d doc) {
			d["products"].([]any)[1].(map[string]any)["prices"] = map[string]any{"USD": map[string]any{"price": 39.9}}
		}, "", []string{"products[1].prices.USD.price: money must be a decimal string"}},
		{"not a decimal", func(d doc) {
			d["products"].([]any)[2].(map[string]any)["prices"] = map[string]any{"TRY": map[string]any{"price": "12.345"}}
		}, "", []string{"products[2].prices.TRY.price: not a decimal"}},
		{"bad currency", func(d doc) {
			d["products"].([]any)[0].(map[string]any)["prices"] = map[string]any{"try": map[string]any{"price": "1.00"}}
		}, "", []string{"products[0].prices.try: not an ISO 4217"}},
		{"required and typed fields", func(d doc) {
			p := d["products"].([]any)[0].(map[string]any)
			delete(p, "name")
			p["stock"] = -1
			p["active"] = "yes"
		}, "", []string{"products[0].active: must be true or false", "products[0].name: required", "products[0].stock: must be between 0"}},
		{"unknown field", func(d doc) { d["products"].([]any)[0].(map[string]any)["prcies"] = 1 }, "",
			[]string{"products[0].prcies: unknown field"}},
		{"attribute value given twice", func(d doc) {
			d["attributes"].([]any)[0].(map[string]any)["values"] = []any{
				map[string]any{"value": "Kırmızı", "translations": map[string]any{"en-us": map[string]any{"name": "Red"}}},
				map[string]any{"value": "Kırmızı"},
			}
		}, "", []string{"attributes[0].values[1].value: given twice"}},
		{"attribute value typo", func(d doc) {
			d["attributes"].([]any)[0].(map[string]any)["values"] = []any{map[string]any{"valeu": "Kırmızı"}}
		}, "", []string{"attributes[0].values[0].value: required", "attributes[0].values[0].valeu: unknown field"}},
		{"unknown category", func(d doc) { d["products"].([]any)[2].(map[string]any)["categories"] = []string{"nope"} }, "",
			[]string{`products[2].categories[0]: unknown category "nope"`}},
		{"unknown parent", func(d doc) { d["categories"].([]any)[2].(map[string]any)["parent"] = "ghost" }, "",
			[]string{"categories[2].parent: unknown category ghost"}},
		{"duplicate sku", func(d doc) { d["products"] = append(d["products"].([]any), d["products"].([]any)[0]) }, "",
			[]string{"products[3].sku: duplicate SKU DRS-1-RED-S"}},
		{"unknown SKU in a widget", func(d doc) { d["widgets"].([]any)[0].(map[string]any)["products"] = []string{"NOPE"} }, "",
			[]string{`widgets[0].products[0]: unknown product SKU "NOPE"`}},
		{"unknown place", func(d doc) { d["retail_stores"].([]any)[0].(map[string]any)["township"] = "Nowhere" }, "",
			[]string{`retail_stores[0].township: unknown township "Nowhere"`}},
		{"loyalty balance", func(d doc) {
			d["customers"].([]any)[0].(map[string]any)["loyalty_balance"] = "1.005"
			d["customers"].([]any)[1].(map[string]any)["loyalty_balance"] = "-5.00"
		}, "", []string{"customers[0].loyalty_balance: not a decimal", "customers[1].loyalty_balance: must not be negative"}},
		{"bad password hash", func(d doc) { d["customers"].([]any)[0].(map[string]any)["password_hash"] = "md5$x" }, "",
			[]string{"customers[0].password_hash: unsupported encoding"}},
		{"unknown address city", func(d doc) {
			d["customers"].([]any)[0].(map[string]any)["addresses"].([]any)[1].(map[string]any)["city"] = "Atlantis"
		}, "", []string{`customers[0].addresses[1].city: unknown city "Atlantis"`}},
		{"address without a country", func(d doc) {
			delete(d["customers"].([]any)[0].(map[string]any)["addresses"].([]any)[0].(map[string]any), "country")
		}, "", []string{`customers[0].addresses[0].country: required`}},
		{"bad email", func(d doc) { d["customers"].([]any)[1].(map[string]any)["email"] = "not-an-email" }, "",
			[]string{"customers[1].email: Enter a valid email address."}},
		{"unknown section", func(d doc) { d["prodcuts"] = []any{} }, "", []string{"prodcuts: unknown section"}},
		{"record not an object", func(d doc) { d["redirects"] = []any{"x"} }, "", []string{"redirects[0]: must be an object"}},
		{"wrong format", func(d doc) { d["format"] = "vitrin.store/2" }, "", []string{`format: must be "vitrin.store/1"`}},
		{"missing format", func(d doc) { delete(d, "format") }, "", []string{`format: required`}},
		{"broken JSON", nil, `{"format": "vitrin.store/1", "products": [{"sku": "A",}]}`, []string{"products[0]: invalid JSON"}},
		{"truncated", nil, `{"format": "vitrin.store/1", "products": [`, []string{"unexpected end of the document"}},
		{"not an object", nil, `[1, 2]`, []string{"the document must be a JSON object"}},
		{"section given twice", nil, `{"format": "vitrin.store/1", "redirects": [], "redirects": []}`, []string{"redirects: given twice"}},
		{"NUL in a name", func(d doc) { d["products"].([]any)[0].(map[string]any)["name"] = "A\x00B" }, "",
			[]string{"products[0].name: must not contain a NUL character"}},
		{"NUL deep in a record", func(d doc) {
			d["customers"].([]any)[0].(map[string]any)["addresses"].([]any)[1].(map[string]any)["line"] = "\x00"
		}, "", []string{"customers[0].addresses[1].line: must not contain a NUL character"}},
		{"NUL in a key", nil, `{"format": "vitrin.store/1", "store": {"default_currency\u0000": "TRY"}}`,
			[]string{"store: a key must not contain a NUL character"}},
		{"replace not a boolean", nil, `{"format": "vitrin.store/1", "redirects": {"replace": "yes", "items": []}}`, []string{"redirects.replace: must be true or false"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(tc.body)
			if tc.change != nil {
				d := fixture(t)
				tc.change(d)
				body = d.bytes(t)
			}
			_, err := run(t, db, body)
			var problems storeimport.Errors
			if !errors.As(err, &problems) {
				t.Fatalf("err = %v, want import errors", err)
			}
			text := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("errors %q\nwant one containing %q", text, w)
				}
			}
			// All-or-nothing: nothing from the rejected file was written.
			if n := scalar[int](t, db, "SELECT COUNT(*) FROM products"); n != 0 {
				t.Errorf("%d products written by a rejected import", n)
			}
			if n := scalar[int](t, db, "SELECT COUNT(*) FROM customers"); n != 0 {
				t.Errorf("%d customers written by a rejected import", n)
			}
		})
	}
}

func TestBadRecordAtTheEndLeavesDatabaseUntouched(t *testing.T) {
	db := testdb.Open(t)
	d := fixture(t)
	var products []any
	for i := range 1200 {
		products = append(products, product(fmt.Sprintf("P-%04d", i), "P", "Red", "S", "10.00", 1, "women"))
	}
	products = append(products, product("BAD", "P", "Red", "S", "10.001", 1, "women"))
	d["products"] = products
	_, err := run(t, db, d.bytes(t))
	if err == nil || !strings.Contains(err.Error(), "products[1200].prices.TRY.price: not a decimal") {
		t.Fatalf("err = %v", err)
	}
	for _, table := range []string{"products", "categories", "pages", "countries", "customers", "product_prices"} {
		if n := scalar[int](t, db, "SELECT COUNT(*) FROM "+table); n != 0 {
			t.Errorf("%d rows in %s after a rejected import", n, table)
		}
	}
	if v := scalar[string](t, db, "SELECT import_hash FROM store WHERE id = 1"); v != "" {
		t.Errorf("store settings written by a rejected import")
	}
}

func TestAtMostHundredErrors(t *testing.T) {
	db := testdb.Open(t)
	var products []any
	for i := range 300 {
		products = append(products, map[string]any{"sku": fmt.Sprintf("P-%d", i), "name": "x", "prices": map[string]any{"TRY": map[string]any{"price": 1.5}}})
	}
	_, err := run(t, db, doc{"format": "vitrin.store/1", "products": products}.bytes(t))
	var problems storeimport.Errors
	if !errors.As(err, &problems) || len(problems) != 100 {
		t.Fatalf("got %d errors, want 100 (%v)", len(problems), err)
	}
}

func TestReplaceSections(t *testing.T) {
	db := testdb.Open(t)
	d := fixture(t)
	mustRun(t, db, d.bytes(t))
	d["products"] = map[string]any{"replace": true, "items": d["products"].([]any)[:1]}
	d["redirects"] = map[string]any{"items": []any{map[string]any{"old_path": "/yeni/", "new_path": "/about/"}}, "replace": true}
	d["pages"] = map[string]any{"replace": false, "items": []any{}}
	s := mustRun(t, db, d.bytes(t))
	got := counts(s)
	if got["products"] != "0/0/1/2" || got["redirects"] != "1/0/0/1" || got["pages"] != "0/0/0/0" {
		t.Fatalf("summary %v", got)
	}
	// Products are deactivated, not deleted: orders point at them.
	if n := scalar[int](t, db, "SELECT COUNT(*) FROM products WHERE active"); n != 1 {
		t.Errorf("%d active products, want 1", n)
	}
	if n := scalar[int](t, db, "SELECT COUNT(*) FROM products"); n != 3 {
		t.Errorf("%d products, want 3 kept", n)
	}
	if n := scalar[int](t, db, "SELECT COUNT(*) FROM redirects"); n != 1 {
		t.Errorf("%d redirects, want 1", n)
	}
	if n := scalar[int](t, db, "SELECT COUNT(*) FROM pages"); n != 2 {
		t.Errorf("%d pages, want 2 (no replace)", n)
	}
	// Listing a deactivated product again reactivates it.
	d["products"] = fixture(t)["products"]
	if got := counts(mustRun(t, db, d.bytes(t)))["products"]; got != "0/2/1/0" {
		t.Errorf("products %s, want two reactivated", got)
	}
	if n := scalar[int](t, db, "SELECT COUNT(*) FROM products WHERE active"); n != 3 {
		t.Errorf("%d active products, want 3", n)
	}
}

func TestSectionOrderDoesNotMatter(t *testing.T) {
	db := testdb.Open(t)
	// Products before the categories and widgets before the products.
	body := `{"widgets": [{"slug": "w", "products": ["A-1"]}],
		"products": [{"sku": "A-1", "name": "A", "categories": ["c"], "prices": {"TRY": {"price": "1.00"}}}],
		"categories": [{"code": "c", "name": "C"}], "format": "vitrin.store/1"}`
	mustRun(t, db, []byte(body))
	if n := scalar[int](t, db, "SELECT COUNT(*) FROM product_categories"); n != 1 {
		t.Errorf("%d category links, want 1", n)
	}
	if n := scalar[int](t, db, "SELECT COUNT(*) FROM widget_products"); n != 1 {
		t.Errorf("%d widget products, want 1", n)
	}
}

func TestMigratedCustomersLogIn(t *testing.T) {
	db := testdb.Open(t)
	mustRun(t, db, fixture(t).bytes(t))
	accounts := account.NewService(db)
	for _, tc := range []struct{ email, password string }{
		{"ayse@example.com", "eski-sifre-1"}, // pbkdf2_sha256, e-mail matched ignoring case
		{"CAN@example.com", "bcrypt-sifre-2"},
	} {
		c, err := accounts.Authenticate(context.Background(), account.LoginAttempt{Email: tc.email, Password: tc.password, ClientAddr: "127.0.0.1"}, nil)
		if err != nil {
			t.Errorf("%s: %v", tc.email, err)
			continue
		}
		if !strings.HasPrefix(c.PasswordHash, "argon2$argon2id$") {
			t.Errorf("%s: hash not upgraded: %s", tc.email, c.PasswordHash)
		}
	}
	if _, err := accounts.Authenticate(context.Background(), account.LoginAttempt{Email: "ayse@example.com", Password: "wrong-password", ClientAddr: "127.0.0.1"}, nil); err == nil {
		t.Error("wrong password accepted")
	}
}

func TestDemoStoreImports(t *testing.T) {
	db := testdb.Open(t)
	var buf bytes.Buffer
	if err := demo.Write(&buf, demo.Options{Products: 300, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	s := mustRun(t, db, buf.Bytes())
	if got := counts(s)["products"]; got != "300/0/0/0" {
		t.Errorf("products %s", got)
	}
	if n := scalar[int](t, db, "SELECT MAX(depth) FROM categories"); n != 2 {
		t.Errorf("category tree depth %d, want three levels", n+1)
	}
	if n := scalar[int](t, db, "SELECT COUNT(DISTINCT base_code) FROM products"); n >= 300 || n < 10 {
		t.Errorf("%d base products for 300 variants", n)
	}
	if n := scalar[int](t, db, "SELECT COUNT(*) FROM products WHERE stock = 0"); n == 0 {
		t.Error("no product out of stock")
	}
	if s := mustRun(t, db, buf.Bytes()); s.Changed() {
		t.Errorf("re-import of the demo changed %v", counts(s))
	}
	var again bytes.Buffer
	if err := demo.Write(&again, demo.Options{Products: 300, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("the generator is not deterministic")
	}
	c, err := account.NewService(db).Authenticate(context.Background(), account.LoginAttempt{Email: "demo@vitrin.dev", Password: demo.Password, ClientAddr: "127.0.0.1"}, nil)
	if err != nil || c.Email != "demo@vitrin.dev" {
		t.Errorf("demo login: %v", err)
	}
}

func TestLoadDemoIntoEmptyDatabaseOnly(t *testing.T) {
	db := testdb.Open(t)
	ctx := context.Background()
	loaded, err := demo.LoadIfEmpty(ctx, db, 50)
	if err != nil || !loaded {
		t.Fatalf("loaded %v, err %v", loaded, err)
	}
	loaded, err = demo.LoadIfEmpty(ctx, db, 50)
	if err != nil || loaded {
		t.Fatalf("second load: loaded %v, err %v", loaded, err)
	}
}

func TestConcurrentImportsSerialise(t *testing.T) {
	db := testdb.Open(t)
	body := fixture(t).bytes(t)
	results := make(chan *storeimport.Summary, 2)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			s, err := storeimport.Run(context.Background(), db, bytes.NewReader(body), storeimport.Options{})
			results <- s
			errs <- err
		}()
	}
	var created []string
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		created = append(created, counts(<-results)["products"])
	}
	if !(created[0] == "3/0/0/0" && created[1] == "0/0/3/0") && !(created[1] == "3/0/0/0" && created[0] == "0/0/3/0") {
		t.Errorf("products %v: want one import to create, the other to find all unchanged", created)
	}
}

func TestCustomerAddressesFollowTheFile(t *testing.T) {
	db := testdb.Open(t)
	d := fixture(t)
	mustRun(t, db, d.bytes(t))
	mustRun(t, db, d.bytes(t))
	if n := scalar[int](t, db, "SELECT COUNT(*) FROM customer_addresses"); n != 2 {
		t.Fatalf("%d addresses after a re-import, want 2", n)
	}
	// An address the customer added in the store survives a changed import.
	customerID := scalar[int64](t, db, "SELECT id FROM customers WHERE email_lower = 'ayse@example.com'")
	if _, err := db.Exec(`INSERT INTO customer_addresses (customer_id, country_id, city_id, line, created_at, updated_at)
		SELECT $1, country_id, id, 'Kendi adresim', $2, $2 FROM cities LIMIT 1`, customerID, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	ayse := d["customers"].([]any)[0].(map[string]any)
	ayse["addresses"] = ayse["addresses"].([]any)[:1]
	if got := counts(mustRun(t, db, d.bytes(t)))["customers"]; got != "0/1/1/0" {
		t.Errorf("customers %s", got)
	}
	if n := scalar[int](t, db, "SELECT COUNT(*) FROM customer_addresses WHERE customer_id = $1", customerID); n != 2 {
		t.Errorf("%d addresses, want the imported one and the customer's own", n)
	}
}
