package storeimport_test

import (
	"strings"
	"testing"

	"github.com/vitrin/vitrin/internal/testdb"
)

func checkoutDoc() doc {
	return doc{"format": "vitrin.store/1",
		"delivery_options": []any{map[string]any{"slug": "home", "name": "Home", "type": "customer", "sort_order": 1}},
		"shipping_options": []any{map[string]any{"slug": "standard", "name": "Standard", "countries": []string{"TR"},
			"prices": map[string]any{"TRY": "49.90"}, "free_above": map[string]any{"TRY": "750.00"}}},
		"payment_options": []any{map[string]any{"slug": "card", "name": "Card", "type": "credit_card", "gateway": "sandbox",
			"installments": []any{map[string]any{"count": 3, "interest_rate": "4.5"}}, "pay_on_delivery_fee": map[string]any{"TRY": "15.00"}}},
		"bank_accounts":        []any{map[string]any{"iban": "TR33 0006 1005 1978 6457 8413 26", "bank": "Example Bank"}},
		"cancellation_reasons": []any{map[string]any{"code": "changed-mind", "subject": "Changed my mind", "cancellation_type": "refund"}},
	}
}

func TestImportCheckoutSections(t *testing.T) {
	db := testdb.Open(t)
	got := counts(mustRun(t, db, checkoutDoc().bytes(t)))
	for _, section := range []string{"delivery_options", "shipping_options", "payment_options", "bank_accounts", "cancellation_reasons"} {
		if got[section] != "1/0/0/0" {
			t.Errorf("%s: %s", section, got[section])
		}
	}
	if got := counts(mustRun(t, db, checkoutDoc().bytes(t)))["shipping_options"]; got != "0/0/1/0" {
		t.Errorf("same file again: %s", got)
	}
	// Money in minor units, country codes in lower case, IBAN without spaces.
	if s := scalar[string](t, db, "SELECT prices || free_above || countries FROM shipping_options"); s != `{"TRY":4990}{"TRY":75000}["tr"]` {
		t.Errorf("shipping option stored as %s", s)
	}
	if s := scalar[string](t, db, "SELECT installments || pay_on_delivery_fee FROM payment_options"); s != `[{"count":3,"interest_rate":"4.5"}]{"TRY":1500}` {
		t.Errorf("payment option stored as %s", s)
	}
	if s := scalar[string](t, db, "SELECT iban FROM bank_accounts"); s != "TR330006100519786457841326" {
		t.Errorf("iban %s", s)
	}
	// Orders point at these rows: replace deactivates.
	mustRun(t, db, doc{"format": "vitrin.store/1", "payment_options": map[string]any{"replace": true, "items": []any{}}}.bytes(t))
	if n := scalar[int64](t, db, "SELECT COUNT(*) FROM payment_options WHERE is_active"); n != 0 {
		t.Errorf("%d active payment options after replace", n)
	}
}

func TestImportCheckoutSectionErrors(t *testing.T) {
	for _, tt := range []struct {
		section string
		item    map[string]any
		want    string
	}{
		{"delivery_options", map[string]any{"slug": "x", "name": "X", "type": "drone"}, "delivery_options[0].type"},
		{"shipping_options", map[string]any{"slug": "x", "name": "X", "prices": map[string]any{"try": "1.00"}}, "shipping_options[0].prices.try"},
		{"shipping_options", map[string]any{"slug": "x", "name": "X", "prices": map[string]any{"TRY": 1.5}}, "shipping_options[0].prices.TRY"},
		{"payment_options", map[string]any{"slug": "x", "name": "X", "type": "barter"}, "payment_options[0].type"},
		{"payment_options", map[string]any{"slug": "x", "name": "X", "installments": []any{map[string]any{"count": 0}}}, "payment_options[0].installments[0].count"},
		{"bank_accounts", map[string]any{"bank": "B"}, "bank_accounts[0].iban"},
		{"cancellation_reasons", map[string]any{"code": "x", "subject": "S", "cancellation_type": "keep"}, "cancellation_reasons[0].cancellation_type"},
	} {
		db := testdb.Open(t)
		_, err := run(t, db, doc{"format": "vitrin.store/1", tt.section: []any{tt.item}}.bytes(t))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: got %v, want an error on %s", tt.item, err, tt.want)
		}
	}
}
