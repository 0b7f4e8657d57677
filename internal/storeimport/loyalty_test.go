package storeimport_test

import (
	"context"
	"testing"

	"github.com/vitrin/vitrin/internal/loyalty"
	"github.com/vitrin/vitrin/internal/testdb"
)

// An imported loyalty_balance opens the customer's ledger once; a later
// import, whatever it says, leaves the ledger to orders and the back office.
func TestImportLoyaltyBalances(t *testing.T) {
	db := testdb.Open(t)
	d := fixture(t)
	mustRun(t, db, d.bytes(t))
	id := scalar[int64](t, db, "SELECT id FROM customers WHERE email_lower = 'ayse@example.com'")
	d["customers"].([]any)[0].(map[string]any)["loyalty_balance"] = "999.00"
	mustRun(t, db, d.bytes(t))
	entries, err := loyalty.Entries(context.Background(), db, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Amount != 12050 || entries[0].Reason != loyalty.OpeningReason {
		t.Fatalf("ledger: %+v", entries)
	}
	if n := scalar[int](t, db, "SELECT COUNT(*) FROM loyalty_entries"); n != 1 {
		t.Fatalf("%d entries; a customer without a balance gets none", n)
	}
}
