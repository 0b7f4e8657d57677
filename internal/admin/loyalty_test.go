package admin

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/loyalty"
	"github.com/vitrin/vitrin/internal/order"
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

// The merchant cancels an order loyalty money paid part of: the loyalty
// money goes back to the balance and only the rest is refunded.
func TestMerchantCancelReturnsLoyaltyMoney(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var customer int64
	if err := e.db.QueryRowContext(ctx, `INSERT INTO customers (email, email_lower, password_hash, date_joined)
		VALUES ('ada@example.com', 'ada@example.com', '', $1) RETURNING id`, time.Now().UTC()).Scan(&customer); err != nil {
		t.Fatal(err)
	}
	o := e.placeOrder(t, order.Approved, 2) // two items of 10.00: 15.00 by card, 5.00 by loyalty money
	if _, err := e.db.ExecContext(ctx, "UPDATE orders SET customer_id = $1, amount = 1500, loyalty_amount = 500 WHERE id = $2", customer, o.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loyalty.Adjust(ctx, e.db, customer, 1000, "welcome", ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loyalty.Adjust(ctx, e.db, customer, -500, "order", o.Number); err != nil {
		t.Fatal(err)
	}
	status, raw := e.do(t, e.all, "POST", "/v1/orders/"+strconv.FormatInt(o.ID, 10)+"/cancel", map[string]any{"reason": "out of stock"})
	got := decodeJSON[struct {
		Status          string `json:"status"`
		RefundAmount    string `json:"refund_amount"`
		LoyaltyReturned string `json:"loyalty_returned"`
	}](t, raw)
	balance, err := loyalty.Balance(ctx, e.db, customer)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusOK || got.Status != order.Cancelled || got.RefundAmount != "15.00" || got.LoyaltyReturned != "5.00" || balance != 1000 {
		t.Fatalf("cancel: %d %s; balance %s", status, raw, balance)
	}
}
