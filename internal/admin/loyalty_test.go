package admin

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// The back office credits and debits loyalty money with a reason, never
// below zero; bad amounts change nothing.
func TestLoyaltyThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	var id int64
	if err := e.db.QueryRowContext(context.Background(), `INSERT INTO customers (email, email_lower, password_hash, date_joined)
		VALUES ('ada@example.com', 'ada@example.com', '', $1) RETURNING id`, time.Now().UTC()).Scan(&id); err != nil {
		t.Fatal(err)
	}
	path := "/v1/customers/" + strconv.FormatInt(id, 10) + "/loyalty"
	if status, raw := e.do(t, e.all, "POST", path, map[string]any{"amount": "50.00", "reason": "apology for a late parcel"}); status != http.StatusCreated {
		t.Fatalf("credit: %d %s", status, raw)
	}
	for name, body := range map[string]map[string]any{
		"three decimals": {"amount": "1.005", "reason": "x"},
		"past zero":      {"amount": "-50.01", "reason": "x"},
		"no reason":      {"amount": "5.00"},
		"a number":       {"amount": 5, "reason": "x"},
	} {
		if status, raw := e.do(t, e.all, "POST", path, body); status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", name, status, raw)
		}
	}
	if status, _ := e.do(t, e.hooks, "POST", path, map[string]any{"amount": "5.00", "reason": "x"}); status != http.StatusForbidden {
		t.Errorf("a webhooks token credited loyalty money: %d", status)
	}
	if status, _ := e.do(t, e.all, "POST", "/v1/customers/999999/loyalty", map[string]any{"amount": "5.00", "reason": "x"}); status != http.StatusNotFound {
		t.Errorf("an unknown customer: %d", status)
	}
	e.do(t, e.all, "POST", path, map[string]any{"amount": "-20.10", "reason": "spent at the till", "order_number": "261202000000001"})
	status, raw := e.do(t, e.all, "GET", path, nil)
	got := decodeJSON[struct {
		Balance string `json:"balance"`
		Entries []struct {
			OrderNumber string `json:"order_number"`
		} `json:"entries"`
	}](t, raw)
	if status != http.StatusOK || got.Balance != "29.90" || len(got.Entries) != 2 || got.Entries[0].OrderNumber != "261202000000001" {
		t.Fatalf("loyalty: %d %s", status, raw)
	}
}
