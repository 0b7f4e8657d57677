package api

import (
	"context"
	"testing"

	"github.com/vitrin/vitrin/internal/loyalty"
)

// The storefront shows the balance and the ledger the back office writes.
func TestLoyaltyMoneyOnTheStorefront(t *testing.T) {
	ts := newTestStore(t)
	sh := ts.shopper()
	sh.do("GET", "/account/loyalty-account-balance/", nil).must(t, 401)
	sh.register("ada@example.com", "analytical-engine-1843")
	if got := string(sh.do("GET", "/account/loyalty-account-balance/", nil).must(t, 200).body); got != `{"balance":0.00}` {
		t.Fatalf("balance of a new customer: %s", got)
	}
	var id int64
	ts.db.QueryRow("SELECT id FROM customers WHERE email_lower = 'ada@example.com'").Scan(&id)
	ctx := context.Background()
	if _, _, err := loyalty.Adjust(ctx, ts.db, id, 5000, "welcome", ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loyalty.Adjust(ctx, ts.db, id, -1250, "spent", "261202000000001"); err != nil {
		t.Fatal(err)
	}
	if got := string(sh.do("GET", "/account/loyalty-account-balance/", nil).must(t, 200).body); got != `{"balance":37.50}` {
		t.Fatalf("balance: %s", got)
	}
	list := sh.do("GET", "/account/loyalty/", nil).must(t, 200).json()
	results := list["results"].([]any)
	first := results[0].(map[string]any)
	if list["count"] != float64(2) || first["amount"] != "-12.50" || first["transaction"].(map[string]any)["order"] != "261202000000001" ||
		results[1].(map[string]any)["transaction"].(map[string]any)["order"] != nil {
		t.Fatalf("ledger: %v", list)
	}
}
