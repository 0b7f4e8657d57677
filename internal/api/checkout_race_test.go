package api

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// At the last step, the card page or the pay-on-delivery page.
func (cs *checkoutStore) readyToPay(t *testing.T, sh *shopper, byCard bool) func() *response {
	t.Helper()
	if byCard {
		nextPage(t, step(sh, "PaymentOptionSelectionPage", "payment_option", cs.id("payment:card")).must(t, 200), "BinNumberPage")
		nextPage(t, step(sh, "BinNumberPage", "bin_number", "424242").must(t, 200), "InstallmentSelectionPage")
		nextPage(t, step(sh, "InstallmentSelectionPage", "installment", "1").must(t, 200), "CreditCardConfirmationPage")
		return func() *response {
			return step(sh, "CreditCardConfirmationPage", "agreement", "1", "card_holder", "Ada", "card_number", "4242424242424242",
				"card_month", "12", "card_year", "2040", "card_cvv", "123")
		}
	}
	nextPage(t, step(sh, "PaymentOptionSelectionPage", "payment_option", cs.id("payment:pod")).must(t, 200), "PayOnDeliveryPaymentChoicePage")
	nextPage(t, step(sh, "PayOnDeliveryPaymentChoicePage", "payment_choice", "cash").must(t, 200), "PayOnDeliveryPage")
	return func() *response { return step(sh, "PayOnDeliveryPage", "agreement", "1") }
}

// Fifty buyers race for the last ten units: exactly ten orders, stock 0,
// every loser refused with a 4xx and nothing charged for them.
func TestCheckoutLastUnitsRace(t *testing.T) {
	cs := newCheckoutStore(t)
	cs.exec("UPDATE products SET stock = 10 WHERE id = $1", cs.ids["TEE-A"])
	const buyers = 50
	pay := make([]func() *response, buyers)
	for i := range pay {
		sh := cs.buyer(t, i%3 == 0, fmt.Sprintf("racer%d@example.com", i), "TEE-A", 1)
		pay[i] = cs.readyToPay(t, sh, i%2 == 0)
	}
	statuses := make([]int, buyers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range pay {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			statuses[i] = pay[i]().StatusCode
		}(i)
	}
	close(start)
	wg.Wait()
	won := 0
	for i, st := range statuses {
		switch {
		case st == 200:
			won++
		case st >= 500 || st < 400:
			t.Errorf("buyer %d: status %d", i, st)
		}
	}
	orders := cs.count("SELECT COUNT(*) FROM orders")
	if won != 10 || orders != 10 || cs.stock("TEE-A") != 0 {
		t.Fatalf("%d buyers won, %d orders, stock %d; want 10, 10, 0", won, orders, cs.stock("TEE-A"))
	}
	if charges, refunded := cs.count("SELECT COUNT(*) FROM sandbox_charges"), cs.count("SELECT COUNT(*) FROM sandbox_charges WHERE refunded > 0"); charges-refunded != cs.count("SELECT COUNT(*) FROM orders WHERE gateway_reference <> ''") {
		t.Fatalf("%d charges (%d refunded) for %d card orders", charges, refunded, cs.count("SELECT COUNT(*) FROM orders WHERE gateway_reference <> ''"))
	}
}

// The final step sent twice at once, then again: one order, one charge.
func TestCheckoutFinalStepIdempotent(t *testing.T) {
	cs := newCheckoutStore(t)
	for _, byCard := range []bool{true, false} {
		t.Run(fmt.Sprintf("card=%v", byCard), func(t *testing.T) {
			ordersBefore := cs.count("SELECT COUNT(*) FROM orders")
			chargesBefore := cs.count("SELECT COUNT(*) FROM sandbox_charges")
			stockBefore := cs.stock("TEE-A")
			sh := cs.buyer(t, false, fmt.Sprintf("twice-%v@example.com", byCard), "TEE-A", 2)
			pay := cs.readyToPay(t, sh, byCard)
			ids := make([]int64, 3)
			var wg sync.WaitGroup
			for i := 0; i < 2; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					res := pay()
					if res.StatusCode != 200 {
						t.Errorf("parallel final step %d: %d %s", i, res.StatusCode, res.body)
						return
					}
					ids[i], _ = placed(t, res)
				}(i)
			}
			wg.Wait()
			ids[2], _ = placed(t, pay())
			if ids[0] != ids[1] || ids[1] != ids[2] || ids[0] == 0 {
				t.Fatalf("order ids %v", ids)
			}
			if n := cs.count("SELECT COUNT(*) FROM orders") - ordersBefore; n != 1 {
				t.Fatalf("%d orders", n)
			}
			wantCharges := 0
			if byCard {
				wantCharges = 1
			}
			if n := cs.count("SELECT COUNT(*) FROM sandbox_charges") - chargesBefore; n != wantCharges {
				t.Fatalf("%d charges, want %d", n, wantCharges)
			}
			if cs.stock("TEE-A") != stockBefore-2 {
				t.Fatalf("stock %d, want %d", cs.stock("TEE-A"), stockBefore-2)
			}
		})
	}
}

// The real client submits several steps at once (one request per missing
// choice): steps of one checkout racing each other all keep their choice.
func TestCheckoutParallelStepsKeepEveryChoice(t *testing.T) {
	cs := newCheckoutStore(t)
	sh := cs.buyer(t, false, "ada@example.com", "TEE-A", 1)
	options := []string{cs.id("payment:card"), cs.id("payment:transfer"), cs.id("payment:pod")}
	for round := 0; round < 12; round++ {
		note, option := fmt.Sprintf("note %d", round), options[round%len(options)]
		var wg sync.WaitGroup
		for _, submit := range []func() *response{
			func() *response { return step(sh, "OrderNotePage", "notes", note) },
			func() *response { return step(sh, "PaymentOptionSelectionPage", "payment_option", option) },
		} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if res := submit(); res.StatusCode != 200 {
					t.Errorf("round %d: %d %s", round, res.StatusCode, res.body)
				}
			}()
		}
		wg.Wait()
		po := checkoutOf(t, sh.do("GET", "/orders/checkout/", nil).must(t, 200)).PreOrder
		chosen, _ := po["payment_option"].(map[string]any)
		if po["notes"] != note || chosen == nil || fmt.Sprint(chosen["pk"]) != option {
			t.Fatalf("round %d: a parallel step lost its choice: notes %v, payment option %v", round, po["notes"], chosen)
		}
	}
}

// Buyers racing for a voucher's last use: exactly one order gets it; the
// others are refused with the voucher's error, and a card paid meanwhile
// is refunded in full.
func TestCheckoutVoucherLastUseRace(t *testing.T) {
	cs := newCheckoutStore(t)
	const buyers = 6
	pay := make([]func() *response, buyers)
	for i := range pay {
		sh := cs.buyer(t, i%2 == 0, fmt.Sprintf("voucher%d@example.com", i), "TEE-B", 1)
		sh.do("PATCH", "/baskets/basket/", map[string]any{"voucher_code": "ONCE20"}).must(t, 200)
		sh.do("GET", "/orders/checkout/", nil).must(t, 200)
		pay[i] = cs.readyToPay(t, sh, i%3 == 0)
	}
	stock := cs.stock("TEE-B")
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for _, p := range pay {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := p()
			mu.Lock()
			statuses[res.StatusCode]++
			mu.Unlock()
			if res.StatusCode == 400 && !strings.Contains(string(res.body), "ONCE20") {
				t.Errorf("refused for another reason: %s", res.body)
			}
		}()
	}
	wg.Wait()
	if statuses[200] != 1 || statuses[400] != buyers-1 {
		t.Fatalf("statuses %v", statuses)
	}
	if n := cs.count("SELECT used_count FROM vouchers WHERE code = 'ONCE20'"); n != 1 {
		t.Fatalf("voucher used %d times", n)
	}
	if cs.count("SELECT COUNT(*) FROM orders WHERE status NOT IN ('pending', 'cancelled')") != 1 || cs.stock("TEE-B") != stock-1 {
		t.Fatalf("%d orders, stock %d of %d", cs.count("SELECT COUNT(*) FROM orders"), cs.stock("TEE-B"), stock)
	}
	if cs.count("SELECT COUNT(*) FROM sandbox_charges WHERE refunded <> 0 AND refunded <> amount") != 0 ||
		cs.count("SELECT COUNT(*) FROM sandbox_charges WHERE refunded = 0") !=
			cs.count("SELECT COUNT(*) FROM orders WHERE gateway_reference <> '' AND status <> 'cancelled'") {
		t.Fatal("a losing card payment was kept")
	}
	// A card charged for a lost race leaves a cancelled order with its
	// refund on the books.
	voided := cs.count("SELECT COUNT(*) FROM orders WHERE status = 'cancelled'")
	if voided != cs.count("SELECT COUNT(*) FROM sandbox_charges WHERE refunded > 0") ||
		voided != cs.count("SELECT COUNT(*) FROM refunds WHERE status = 'done'") ||
		voided != cs.count("SELECT COUNT(*) FROM orders WHERE status = 'cancelled' AND refund_amount = amount") {
		t.Fatalf("%d voided orders, their refunds: %d charges refunded, %d refunds done", voided,
			cs.count("SELECT COUNT(*) FROM sandbox_charges WHERE refunded > 0"), cs.count("SELECT COUNT(*) FROM refunds WHERE status = 'done'"))
	}
}

// Orders taking the same products in opposite basket orders, placed at
// once, all go through: stock rows are always taken in one order, so
// PostgreSQL never finds two orders waiting for each other's rows.
func TestCheckoutOppositeBasketOrdersRace(t *testing.T) {
	cs := newCheckoutStore(t)
	const buyers = 16
	pay := make([]func() *response, buyers)
	for i := range pay {
		first, second := "TEE-A", "TEE-B"
		if i%2 == 1 {
			first, second = second, first
		}
		sh := cs.buyer(t, false, fmt.Sprintf("opposite%d@example.com", i), first, 1)
		sh.do("POST", "/baskets/basket/", map[string]any{"product": cs.ids[second], "quantity": 1}).must(t, 200)
		sh.do("GET", "/orders/checkout/", nil).must(t, 200)
		pay[i] = cs.readyToPay(t, sh, false)
	}
	stockA, stockB := cs.stock("TEE-A"), cs.stock("TEE-B")
	var wg sync.WaitGroup
	for _, p := range pay {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if res := p(); res.StatusCode != 200 {
				t.Errorf("%d %.300s", res.StatusCode, res.body)
			}
		}()
	}
	wg.Wait()
	if cs.stock("TEE-A") != stockA-buyers || cs.stock("TEE-B") != stockB-buyers {
		t.Fatalf("stock %d and %d, want %d and %d", cs.stock("TEE-A"), cs.stock("TEE-B"), stockA-buyers, stockB-buyers)
	}
}

// A card paid at the bank while its voucher's last use went to another
// order: the order cannot be completed, so it is cancelled with its stock
// back and a refund on the books that the gateway has taken.
func TestCheckoutPaidButVoucherGoneIsRefunded(t *testing.T) {
	cs := newCheckoutStore(t)
	stock := cs.stock("TEE-B")
	slow := cs.buyer(t, true, "slow@example.com", "TEE-B", 1)
	slow.do("PATCH", "/baskets/basket/", map[string]any{"voucher_code": "ONCE20"}).must(t, 200)
	confirm := payByCard(t, cs, slow, "4242 4242 4242 4242", 1, true)

	fast := cs.buyer(t, true, "fast@example.com", "TEE-B", 1)
	fast.do("PATCH", "/baskets/basket/", map[string]any{"voucher_code": "ONCE20"}).must(t, 200)
	placed(t, cs.readyToPay(t, fast, false)())

	late := threeD(t, slow, confirm, "approve")
	if late.StatusCode != 400 || !strings.Contains(string(late.body), "ONCE20") {
		t.Fatalf("the late payment answered %d %s", late.StatusCode, late.body)
	}
	var status string
	var refund, amount int64
	if err := cs.db.QueryRow("SELECT status, refund_amount, amount FROM orders WHERE email = 'slow@example.com'").Scan(&status, &refund, &amount); err != nil {
		t.Fatal(err)
	}
	if status != "cancelled" || refund != amount || cs.stock("TEE-B") != stock-1 {
		t.Fatalf("voided order: %s, refund %d of %d, stock %d of %d", status, refund, amount, cs.stock("TEE-B"), stock)
	}
	if cs.count("SELECT COUNT(*) FROM refunds WHERE status = 'done'") != 1 ||
		cs.count("SELECT COUNT(*) FROM sandbox_charges WHERE refunded = amount") != 1 {
		t.Fatal("the charge of the voided order was not refunded")
	}
}
