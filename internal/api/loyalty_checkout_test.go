package api

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/vitrin/vitrin/internal/loyalty"
	"github.com/vitrin/vitrin/internal/money"
)

// newLoyaltyStore is the checkout store with a loyalty money payment
// option.
func newLoyaltyStore(t *testing.T) *checkoutStore {
	t.Helper()
	doc := checkoutFixture()
	doc["payment_options"] = append(doc["payment_options"].([]any),
		map[string]any{"slug": "loyalty", "name": "Loyalty money", "type": "loyalty_money"})
	return checkoutStoreOf(t, newTestStore(t), doc)
}

func (cs *checkoutStore) customerID(email string) int64 {
	var id int64
	if err := cs.db.QueryRow("SELECT id FROM customers WHERE email_lower = $1", email).Scan(&id); err != nil {
		cs.t.Fatal(err)
	}
	return id
}

// credit gives the customer loyalty money as the back office does.
func (cs *checkoutStore) credit(email string, amount money.Amount) {
	if _, _, err := loyalty.Adjust(context.Background(), cs.db, cs.customerID(email), amount, "welcome", ""); err != nil {
		cs.t.Fatal(err)
	}
}

func (cs *checkoutStore) balance(email string) money.Amount {
	b, err := loyalty.Balance(context.Background(), cs.db, cs.customerID(email))
	if err != nil {
		cs.t.Fatal(err)
	}
	return b
}

// Part of an order paid with loyalty money, the rest by card; cancelling
// an item returns loyalty money's share of it, cancelling the rest
// returns the rest, never more than was used.
func TestCheckoutLoyaltyMoneyPaysPart(t *testing.T) {
	cs := newLoyaltyStore(t)
	const email = "part@example.com"
	sh := cs.buyer(t, false, email, "TEE-B", 1)
	sh.do("POST", "/baskets/basket/", map[string]any{"product": cs.ids["TEE-A"], "quantity": 1}).must(t, 200)
	cs.credit(email, 15000)
	c := nextPage(t, sh.do("GET", "/orders/checkout/?page=LoyaltyMoneyUsagePage", nil).must(t, 200), "LoyaltyMoneyUsagePage")
	if c.ContextList[0].PageContext["balance"] != "150.00" {
		t.Fatalf("page context: %v", c.ContextList[0].PageContext)
	}
	c = nextPage(t, step(sh, "LoyaltyMoneyUsagePage", "loyalty_amount_to_use", "100.00").must(t, 200), "PaymentOptionSelectionPage")
	// 300.00 + 200.00, free shipping above 750 does not apply: + 49.90.
	if c.PreOrder["loyalty_money"] != "100.00" || c.PreOrder["unpaid_amount"] != "449.90" || c.PreOrder["total_amount"] != "549.90" {
		t.Fatalf("pre_order: %v", c.PreOrder)
	}
	id, _ := placed(t, cs.readyToPay(t, sh, true)())
	o := sh.do("GET", fmt.Sprintf("/users/orders/%d/", id), nil).must(t, 200).json()
	if o["amount"] != "449.90" || o["loyalty_money"] != "100.00" || cs.balance(email) != 5000 {
		t.Fatalf("order amount %v, balance %s", o["amount"], cs.balance(email))
	}
	if n := cs.count("SELECT COUNT(*) FROM loyalty_entries WHERE amount = -10000 AND order_number = $1", o["number"]); n != 1 {
		t.Fatalf("%d debits of the order in the ledger", n)
	}
	items := map[string]any{}
	for _, it := range o["orderitem_set"].([]any) {
		it := it.(map[string]any)
		items[it["product"].(map[string]any)["sku"].(string)] = it["id"]
	}
	cancel := func(item any) map[string]any {
		return sh.do("POST", fmt.Sprintf("/orders/%d/cancel/", id), map[string]any{"cancel_order_items": []any{
			map[string]any{"order_item": item, "reason": cs.pk["reason:changed-mind"], "cancellation_type": "cancel", "description": ""}},
		}).must(t, 200).json()
	}
	// TEE-B, 200.00 of 549.90: loyalty money paid 100.00 × 200.00/549.90 = 36.37 of it.
	if got := cancel(items["TEE-B"]); got["refund_amount"] != "163.63" || cs.balance(email) != 5000+3637 {
		t.Fatalf("after one item: refund %v, balance %s", got["refund_amount"], cs.balance(email))
	}
	if got := cancel(items["TEE-A"]); got["refund_amount"] != "449.90" || cs.balance(email) != 15000 {
		t.Fatalf("after all: refund %v, balance %s", got["refund_amount"], cs.balance(email))
	}
}

// The whole order paid with loyalty money: no gateway, and the merchant's
// or the customer's cancellation gives all of it back.
func TestCheckoutLoyaltyMoneyPaysAll(t *testing.T) {
	cs := newLoyaltyStore(t)
	const email = "all@example.com"
	sh := cs.buyer(t, false, email, "TEE-B", 1)
	cs.credit(email, 20000)
	step(sh, "PaymentOptionSelectionPage", "payment_option", cs.id("payment:loyalty")).must(t, 400) // 200.00 < 249.90
	cs.credit(email, 10000)
	c := nextPage(t, step(sh, "PaymentOptionSelectionPage", "payment_option", cs.id("payment:loyalty")).must(t, 200), "LoyaltyPaymentSelectedPage")
	if c.PreOrder["loyalty_money"] != "249.90" || c.PreOrder["unpaid_amount"] != "0.00" || c.ContextList[0].PageContext["balance"] != "300.00" {
		t.Fatalf("pre_order %v, context %v", c.PreOrder, c.ContextList[0].PageContext)
	}
	chargesBefore := cs.count("SELECT COUNT(*) FROM sandbox_charges")
	id, _ := placed(t, step(sh, "LoyaltyPaymentSelectedPage", "agreement", "true"))
	o := sh.do("GET", fmt.Sprintf("/users/orders/%d/", id), nil).must(t, 200).json()
	if o["amount"] != "0.00" || o["status"].(map[string]any)["value"] != "approved" || cs.balance(email) != 5010 ||
		cs.count("SELECT COUNT(*) FROM sandbox_charges") != chargesBefore {
		t.Fatalf("order %v %v, balance %s", o["amount"], o["status"], cs.balance(email))
	}
	sh.do("POST", fmt.Sprintf("/orders/%d/cancel/", id), map[string]any{}).must(t, 200)
	if cs.balance(email) != 30000 || cs.count("SELECT COUNT(*) FROM refunds WHERE order_id = $1", id) != 0 {
		t.Fatalf("after cancel: balance %s", cs.balance(email))
	}
}

// Bad loyalty input is refused on its field and changes nothing.
func TestCheckoutLoyaltyMoneyRefused(t *testing.T) {
	cs := newLoyaltyStore(t)
	const email = "refused@example.com"
	sh := cs.buyer(t, false, email, "TEE-B", 1)
	cs.credit(email, 30000)
	for _, amount := range []string{"", "300.01", "-1.00", "1.005", "ten", "249.90"} {
		t.Run(amount, func(t *testing.T) {
			c := checkoutOf(t, step(sh, "LoyaltyMoneyUsagePage", "loyalty_amount_to_use", amount).must(t, 400))
			if c.Errors["loyalty_amount_to_use"] == nil || c.PreOrder["loyalty_money"] != nil {
				t.Fatalf("errors %v, pre_order %v", c.Errors, c.PreOrder)
			}
		})
	}
	guest := cs.buyer(t, true, "guest@example.com", "TEE-B", 1)
	c := checkoutOf(t, step(guest, "LoyaltyMoneyUsagePage", "loyalty_amount_to_use", "1.00").must(t, 400))
	if c.Errors["loyalty_amount_to_use"] == nil {
		t.Fatalf("guest: %v", c.Errors)
	}
	step(guest, "PaymentOptionSelectionPage", "payment_option", cs.id("payment:loyalty")).must(t, 400)
	if cs.balance(email) != 30000 || cs.count("SELECT COUNT(*) FROM orders") != 0 {
		t.Fatal("a refused step changed something")
	}
}

// An order and a back-office debit race for one balance: it is spent
// once, and the loser changes nothing.
func TestCheckoutLoyaltyMoneyRace(t *testing.T) {
	cs := newLoyaltyStore(t)
	for i := range 4 {
		email := fmt.Sprintf("racer%d@example.com", i)
		sh := cs.buyer(t, false, email, "TEE-B", 1)
		cs.credit(email, 10000)
		step(sh, "LoyaltyMoneyUsagePage", "loyalty_amount_to_use", "80.00").must(t, 200)
		pay := cs.readyToPay(t, sh, i%2 == 0)
		var status int
		var debitErr error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			status = pay().StatusCode
		}()
		go func() {
			defer wg.Done()
			<-start
			_, _, debitErr = loyalty.Adjust(context.Background(), cs.db, cs.customerID(email), -8000, "correction", "")
		}()
		close(start)
		wg.Wait()
		orders := cs.count("SELECT COUNT(*) FROM orders WHERE email = $1", email)
		if (status == 200) == (debitErr == nil) || orders != map[bool]int{true: 1, false: 0}[status == 200] || cs.balance(email) != 2000 {
			t.Fatalf("order %d (%d orders), debit %v, balance %s", status, orders, debitErr, cs.balance(email))
		}
	}
}

// A declined card gives back the loyalty money its order took.
func TestCheckoutLoyaltyMoneyDeclinedCard(t *testing.T) {
	cs := newLoyaltyStore(t)
	const email = "declined@example.com"
	sh := cs.buyer(t, false, email, "TEE-B", 1)
	cs.credit(email, 10000)
	step(sh, "LoyaltyMoneyUsagePage", "loyalty_amount_to_use", "40.00").must(t, 200)
	checkoutOf(t, payByCard(t, cs, sh, "4000 0000 0000 0002", 1, false).must(t, 400))
	if cs.balance(email) != 10000 || cs.count("SELECT COUNT(*) FROM orders") != 0 {
		t.Fatalf("after a declined card: balance %s", cs.balance(email))
	}
}
