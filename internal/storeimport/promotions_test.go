package storeimport_test

import (
	"strings"
	"testing"

	"github.com/vitrin/vitrin/internal/testdb"
)

// promotionsDoc is the fixture store with a promotions section; the
// promotions come before nothing else, so categories are resolved after
// the whole document is read.
func promotionsDoc(t *testing.T, promotions map[string]any) doc {
	d := fixture(t)
	d["promotions"] = promotions
	return d
}

var promotionsFixture = map[string]any{
	"vouchers": []any{
		map[string]any{"code": "welcome10", "type": "percent", "value": "10", "currency": "TRY", "min_basket": "500.00",
			"max_discount": "250.00", "starts": "2026-01-01T00:00:00Z", "ends": "2027-01-01T00:00:00Z",
			"usage_limit": 1000, "per_customer_limit": 1, "categories": []string{"women"}},
		map[string]any{"code": "FIFTY", "type": "amount", "value": "50.00", "currency": "TRY"},
	},
	"offers": []any{
		map[string]any{"slug": "3for2-dresses", "label": "3 for 2", "kind": "buy_x_pay_y", "buy": 3, "pay": 2, "categories": []string{"women-dresses"}},
		map[string]any{"slug": "free-shipping-750", "kind": "free_shipping", "min_basket": map[string]any{"TRY": "750.00"},
			"label": "750 TL üzeri kargo bedava", "translations": map[string]any{"en-us": map[string]any{"label": "Free shipping over 750 TL"}}},
		map[string]any{"slug": "10-off-dresses", "kind": "percent", "value": "10", "categories": []string{"women-dresses"}},
	},
}

func TestImportPromotions(t *testing.T) {
	db := testdb.Open(t)
	s := mustRun(t, db, promotionsDoc(t, promotionsFixture).bytes(t))
	if got := counts(s)["promotions"]; got != "5/0/0/0" {
		t.Fatalf("first import: promotions %s; want 5 created", got)
	}
	if code := scalar[string](t, db, "SELECT code FROM vouchers WHERE value = 1000"); code != "WELCOME10" {
		t.Fatalf("voucher code stored as %q", code)
	}
	if n := scalar[int64](t, db, "SELECT COUNT(*) FROM voucher_categories"); n != 1 {
		t.Fatalf("%d voucher categories", n)
	}
	if tr := scalar[string](t, db, "SELECT translations FROM offers WHERE slug = 'free-shipping-750'"); !strings.Contains(tr, "Free shipping over 750 TL") {
		t.Fatalf("offer translations %s", tr)
	}
	if amount := scalar[int64](t, db, "SELECT amount FROM offer_thresholds"); amount != 75000 {
		t.Fatalf("threshold %d", amount)
	}
	// The same file again changes nothing.
	s = mustRun(t, db, promotionsDoc(t, promotionsFixture).bytes(t))
	if got := counts(s)["promotions"]; got != "0/0/5/0" {
		t.Fatalf("second import: promotions %s; want 5 unchanged", got)
	}
	// A replace import deactivates what it does not list.
	s = mustRun(t, db, promotionsDoc(t, map[string]any{"replace": true, "vouchers": []any{
		map[string]any{"code": "FIFTY", "type": "amount", "value": "60.00", "currency": "TRY"},
	}}).bytes(t))
	if got := counts(s)["promotions"]; got != "0/1/0/4" {
		t.Fatalf("replace import: promotions %s; want 1 updated, 4 removed", got)
	}
	if n := scalar[int64](t, db, "SELECT COUNT(*) FROM offers WHERE active"); n != 0 {
		t.Fatalf("%d offers still active", n)
	}
}

func TestImportPromotionsErrors(t *testing.T) {
	tests := []struct {
		name string
		rec  map[string]any
		want string
	}{
		{"amount voucher without currency", map[string]any{"vouchers": []any{map[string]any{"code": "X", "type": "amount", "value": "5.00"}}}, "promotions.vouchers[0].currency: required"},
		{"unknown voucher type", map[string]any{"vouchers": []any{map[string]any{"code": "X", "type": "gift", "value": "5"}}}, "promotions.vouchers[0].type: must be one of"},
		{"percent above 100", map[string]any{"vouchers": []any{map[string]any{"code": "X", "type": "percent", "value": "150"}}}, "promotions.vouchers[0].value"},
		{"money as a float", map[string]any{"vouchers": []any{map[string]any{"code": "X", "type": "amount", "value": 5.5, "currency": "TRY"}}}, "not a JSON number"},
		{"ends before starts", map[string]any{"vouchers": []any{map[string]any{"code": "X", "type": "percent", "value": "5", "starts": "2026-02-01T00:00:00Z", "ends": "2026-01-01T00:00:00Z"}}}, "promotions.vouchers[0].ends"},
		{"unknown category", map[string]any{"offers": []any{map[string]any{"slug": "x", "kind": "percent", "value": "5", "categories": []string{"nope"}}}}, "unknown categories: nope"},
		{"pay not below buy", map[string]any{"offers": []any{map[string]any{"slug": "x", "kind": "buy_x_pay_y", "buy": 2, "pay": 2}}}, "promotions.offers[0].pay"},
		{"free shipping without threshold", map[string]any{"offers": []any{map[string]any{"slug": "x", "kind": "free_shipping"}}}, "promotions.offers[0].min_basket: required"},
		{"unknown field", map[string]any{"offers": []any{map[string]any{"slug": "x", "kind": "percent", "value": "5", "colour": "red"}}}, "promotions.offers[0].colour: unknown field"},
		{"duplicate code", map[string]any{"vouchers": []any{
			map[string]any{"code": "X", "type": "percent", "value": "5"}, map[string]any{"code": "x", "type": "percent", "value": "6"}}}, "promotions.vouchers[1].code: given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := testdb.Open(t)
			_, err := run(t, db, promotionsDoc(t, tt.rec).bytes(t))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v; want one containing %q", err, tt.want)
			}
			if n := scalar[int64](t, db, "SELECT COUNT(*) FROM products"); n != 0 {
				t.Fatalf("a failed import wrote %d products", n)
			}
		})
	}
}
