package api

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/checkout"
)

// Click and collect: the store instead of an address and shipping; a
// coupon applied at checkout counts as used once the order is placed.
func TestCheckoutClickAndCollectWithCoupon(t *testing.T) {
	cs := newCheckoutStore(t)
	sh := cs.shopper()
	sh.register("ada@example.com", "correct horse 1")
	sh.do("POST", "/baskets/basket/", map[string]any{"product": cs.ids["TEE-B"], "quantity": 1}).must(t, 200)
	c := nextPage(t, step(sh, "DeliveryOptionSelectionPage", "delivery_option", cs.id("delivery:store")).must(t, 200), "RetailStoreSelectionPage")
	if stores := c.ContextList[0].PageContext["retail_stores"].([]any); len(stores) != 1 {
		t.Fatalf("stores: %v", stores)
	}
	billing := sh.do("POST", "/address/", map[string]any{"title": "Home", "first_name": "Ada", "last_name": "Lovelace",
		"phone_number": "05551112233", "country": cs.id("country:tr"), "city": cs.id("city:Ankara"), "line": "Kızılay 1"}).must(t, 201).json()["pk"]
	step(sh, "RetailStoreSelectionPage", "retail_store", "999999", "billing_address", cs.id("store:moda")).must(t, 400)
	c = nextPage(t, step(sh, "RetailStoreSelectionPage", "retail_store", cs.id("store:moda"), "billing_address", fmt.Sprint(billing)).must(t, 200), "PaymentOptionSelectionPage")
	store := c.PreOrder["retail_store"].(map[string]any)
	if store["name"] != "Moda Store" || store["address"] != "Moda Cad. 10" || store["township"].(map[string]any)["name"] != "Kadıköy" {
		t.Fatalf("pre_order retail_store: %v", store)
	}

	c = checkoutOf(t, step(sh, "CouponSelectionPage", "coupon", "ONCE20", "action", "add").must(t, 200))
	if c.PreOrder["total_amount"] != "180.00" || c.PreOrder["shipping_amount"] != "0.00" {
		t.Fatalf("pre_order with coupon and pickup: %v", c.PreOrder)
	}
	nextPage(t, step(sh, "OrderNotePage", "notes", "Ring twice").must(t, 200), "PaymentOptionSelectionPage")
	nextPage(t, step(sh, "PaymentOptionSelectionPage", "payment_option", cs.id("payment:pod")).must(t, 200), "PayOnDeliveryPaymentChoicePage")
	c = nextPage(t, step(sh, "PayOnDeliveryPaymentChoicePage", "payment_choice", "credit_card").must(t, 200), "PayOnDeliveryPage")
	if choice := c.PreOrder["payment_choice"].(map[string]any); choice["value"] != "credit_card" || choice["label"] != "Credit card at the door" || choice["price"] != "15.00" {
		t.Fatalf("pre_order payment_choice: %v", choice)
	}
	// The contracts name the order being agreed to.
	for _, name := range []string{"distance-sales", "pre-information"} {
		text := string(sh.do("GET", "/orders/contract/?contract_name="+name, nil).must(t, 200).body)
		for _, want := range []string{"Ada Lovelace, ada@example.com", "Moda Store, Moda Cad. 10", "<td>Product TEE-B</td><td>1</td><td>180.00 TRY</td>",
			"Shipping: 0.00 TRY. Total to pay: 195.00 TRY, by Pay on delivery."} {
			if !strings.Contains(text, want) {
				t.Fatalf("%s contract lacks %q: %s", name, want, text)
			}
		}
	}
	id, _ := placed(t, step(sh, "PayOnDeliveryPage", "agreement", "1", "paymentType", "credit_card"))
	if text := string(sh.do("GET", "/orders/contract/?contract_name=distance-sales", nil).must(t, 200).body); strings.Contains(text, "The order") {
		t.Fatalf("a contract names an order already placed: %s", text)
	}
	o := sh.do("GET", fmt.Sprintf("/users/orders/%d/", id), nil).must(t, 200).json()
	if o["amount"] != "195.00" || o["discount_amount"] != "20.00" || o["notes"] != "Ring twice" || o["delivery_option_slug"] != "store" {
		t.Fatalf("order: %v", o)
	}
	if n := cs.count("SELECT used_count FROM vouchers WHERE code = 'ONCE20'"); n != 1 {
		t.Fatalf("voucher used %d times", n)
	}
}

// A card payment abandoned at the bank holds its stock only for a while:
// after PaymentTimeout the serve loop's ReleaseStale releases it, and the
// bank's late answer places nothing and keeps no money.
func TestCheckoutAbandonedThreeD(t *testing.T) {
	cs := newCheckoutStore(t)
	stock := cs.stock("TEE-B")
	slow := cs.buyer(t, true, "slow@example.com", "TEE-B", 1)
	confirm := payByCard(t, cs, slow, "4242 4242 4242 4242", 1, true)
	nextPage(t, confirm.must(t, 200), "CreditCardThreeDSecurePage")
	if cs.stock("TEE-B") != stock-1 {
		t.Fatal("a payment at the bank holds no stock")
	}
	cs.exec("UPDATE orders SET created_at = $1 WHERE status = 'pending'", "2000-01-01 00:00:00")
	if err := cs.api.checkout.ReleaseStale(context.Background()); err != nil {
		t.Fatal(err)
	}
	if cs.stock("TEE-B") != stock {
		t.Fatalf("abandoned reservation kept: stock %d, want %d", cs.stock("TEE-B"), stock)
	}
	late := threeD(t, slow, confirm, "approve")
	if late.StatusCode != 400 {
		t.Fatalf("late bank answer: %d %s", late.StatusCode, late.body)
	}
	if cs.count("SELECT COUNT(*) FROM orders WHERE email = 'slow@example.com'") != 0 ||
		cs.count("SELECT COUNT(*) FROM sandbox_charges WHERE refunded <> amount") != 0 {
		t.Fatal("the late payment placed an order or kept money")
	}
}

// Two orders cancelled in one bulk request; the reasons, the contracts and
// a nested place in an address PATCH (the client sends addresses back as
// it got them).
func TestOrdersBulkCancelReasonsContracts(t *testing.T) {
	cs := newCheckoutStore(t)
	sh := cs.buyer(t, false, "ada@example.com", "TEE-B", 1)
	first, _ := placed(t, cs.readyToPay(t, sh, true)())
	sh.do("POST", "/baskets/basket/", map[string]any{"product": cs.ids["TEE-A"], "quantity": 2}).must(t, 200)
	nextPage(t, sh.do("GET", "/orders/checkout/", nil).must(t, 200), "DeliveryOptionSelectionPage")
	step(sh, "DeliveryOptionSelectionPage", "delivery_option", cs.id("delivery:home")).must(t, 200)
	addr := sh.do("GET", "/address/detailed/", nil).must(t, 200).json()["results"].([]any)[0].(map[string]any)
	pk := fmt.Sprint(addr["pk"])
	sh.do("PATCH", "/address/"+pk+"/", map[string]any{"city": addr["city"], "country": addr["country"], "title": "Home 2"}).must(t, 200)
	step(sh, "AddressSelectionPage", "shipping_address", pk, "billing_address", pk).must(t, 200)
	step(sh, "ShippingOptionSelectionPage", "shipping_option", cs.id("shipping:express")).must(t, 200)
	second, _ := placed(t, cs.readyToPay(t, sh, false)())

	var reasons struct {
		Count   int              `json:"count"`
		Results []map[string]any `json:"results"`
	}
	sh.do("GET", "/users/orders/cancellation_reasons/", nil).must(t, 200).decode(t, &reasons)
	if reasons.Count != 1 || reasons.Results[0]["subject"] != "I changed my mind" {
		t.Fatalf("reasons: %+v", reasons)
	}
	var items []any
	for _, id := range []int64{first, second} {
		o := sh.do("GET", fmt.Sprintf("/users/orders/%d/", id), nil).must(t, 200).json()
		item := o["orderitem_set"].([]any)[0].(map[string]any)
		items = append(items, map[string]any{"order_item": fmt.Sprint(item["id"]), "reason": fmt.Sprint(reasons.Results[0]["id"]),
			"cancellation_type": "cancel", "description": "bulk"})
	}
	stockA, stockB := cs.stock("TEE-A"), cs.stock("TEE-B")
	sh.do("POST", "/users/orders/bulk_cancellation_requests/", map[string]any{"cancel_order_items": items, "return_policy": true}).must(t, 200)
	for _, id := range []int64{first, second} {
		if st := sh.do("GET", fmt.Sprintf("/users/orders/%d/", id), nil).must(t, 200).json()["status"].(map[string]any)["value"]; st != "cancelled" {
			t.Fatalf("order %d: %v", id, st)
		}
	}
	if cs.stock("TEE-A") != stockA+2 || cs.stock("TEE-B") != stockB+1 {
		t.Fatal("stock not returned")
	}
	sh.do("POST", "/users/orders/bulk_cancellation_requests/", map[string]any{"cancel_order_items": items}).must(t, 400)

	for _, name := range []string{"distance-sales", "pre-information"} {
		if res := sh.do("GET", "/orders/contract/?contract_name="+name, nil).must(t, 200); res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Fatalf("contract %s: %s", name, res.Header.Get("Content-Type"))
		}
	}
	sh.do("GET", "/orders/contract/?contract_name=nope", nil).must(t, 404)
}

// A checkout untouched for longer than the purge age is deleted; its
// shopper starts again at the first page, and a fresh checkout is kept.
func TestCheckoutPurgeAbandoned(t *testing.T) {
	cs := newCheckoutStore(t)
	stale := cs.buyer(t, true, "stale@example.com", "TEE-A", 1)
	fresh := cs.buyer(t, true, "fresh@example.com", "TEE-A", 1)
	cs.exec("UPDATE checkouts SET updated_at = $1 WHERE data LIKE '%stale@example.com%'", time.Now().UTC().Add(-15*24*time.Hour))

	n, err := checkout.PurgeAbandoned(context.Background(), cs.db, 14*24*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("purged %d, %v; want the one stale checkout", n, err)
	}
	if n := cs.count("SELECT COUNT(*) FROM checkouts"); n != 1 {
		t.Fatalf("%d checkouts left, want 1", n)
	}
	nextPage(t, stale.do("GET", "/orders/checkout/", nil).must(t, 200), "IndexPage")
	nextPage(t, fresh.do("GET", "/orders/checkout/", nil).must(t, 200), "PaymentOptionSelectionPage")
}

// Cancellation is only for orders not shipped yet, and a bulk request is
// all or nothing: naming a shipped order cancels none of the others, takes
// no stock back and refunds nothing. The status history records each
// change with its time.
func TestOrdersCancelOnlyBeforeShipment(t *testing.T) {
	cs := newCheckoutStore(t)
	sh := cs.buyer(t, false, "ada@example.com", "TEE-B", 1)
	shipped, _ := placed(t, cs.readyToPay(t, sh, true)())
	sh.do("POST", "/baskets/basket/", map[string]any{"product": cs.ids["TEE-A"], "quantity": 2}).must(t, 200)
	cs.againToPayment(t, sh)
	open, _ := placed(t, cs.readyToPay(t, sh, true)())

	// A fulfilment system ships the first order.
	cs.exec("UPDATE orders SET status = 'shipped' WHERE id = $1", shipped)
	cs.exec("UPDATE order_items SET status = 'shipped' WHERE order_id = $1", shipped)

	itemOf := func(id int64) any {
		o := sh.do("GET", fmt.Sprintf("/users/orders/%d/", id), nil).must(t, 200).json()
		if id == shipped && o["is_cancellable"] != false {
			t.Fatalf("a shipped order is cancellable: %v", o)
		}
		return o["orderitem_set"].([]any)[0].(map[string]any)["id"]
	}
	stockA, stockB := cs.stock("TEE-A"), cs.stock("TEE-B")
	history := cs.count("SELECT COUNT(*) FROM order_status_history")
	refunded := cs.count("SELECT COUNT(*) FROM sandbox_charges WHERE refunded > 0")
	unchanged := func(what string) {
		t.Helper()
		if cs.stock("TEE-A") != stockA || cs.stock("TEE-B") != stockB || cs.count("SELECT COUNT(*) FROM order_status_history") != history ||
			cs.count("SELECT COUNT(*) FROM sandbox_charges WHERE refunded > 0") != refunded ||
			cs.count("SELECT COUNT(*) FROM orders WHERE status = 'cancelled'") != 0 ||
			cs.count("SELECT COUNT(*) FROM order_items WHERE status = 'cancelled'") != 0 {
			t.Fatalf("%s changed something", what)
		}
	}
	bulk := map[string]any{"cancel_order_items": []any{
		map[string]any{"order_item": itemOf(open), "reason": cs.pk["reason:changed-mind"], "cancellation_type": "cancel"},
		map[string]any{"order_item": itemOf(shipped), "reason": cs.pk["reason:changed-mind"], "cancellation_type": "cancel"}}}
	if r := sh.do("POST", "/users/orders/bulk_cancellation_requests/", bulk).must(t, 400); !strings.Contains(string(r.body), "no longer be cancelled") {
		t.Fatalf("bulk with a shipped order: %s", r.body)
	}
	unchanged("a bulk cancellation naming a shipped order")
	sh.do("POST", fmt.Sprintf("/orders/%d/cancel/", shipped), map[string]any{}).must(t, 400)
	unchanged("cancelling a shipped order")
	for _, bad := range []any{"x", []any{map[string]any{"order_item": "abc"}}, []any{map[string]any{"order_item": itemOf(open), "reason": 999999}},
		[]any{map[string]any{"order_item": itemOf(shipped)}}} {
		if r := sh.do("POST", fmt.Sprintf("/orders/%d/cancel/", open), map[string]any{"cancel_order_items": bad}); r.StatusCode != 400 {
			t.Fatalf("cancel_order_items %v: %d %s", bad, r.StatusCode, r.body)
		}
		unchanged(fmt.Sprintf("cancel_order_items %v", bad))
	}

	// The open order alone cancels, with its refund and its stock.
	o := sh.do("POST", fmt.Sprintf("/orders/%d/cancel/", open), map[string]any{}).must(t, 200).json()
	if o["status"].(map[string]any)["value"] != "cancelled" || cs.stock("TEE-A") != stockA+2 ||
		cs.count("SELECT COUNT(*) FROM sandbox_charges WHERE refunded = amount") != refunded+1 {
		t.Fatalf("cancel of the open order: %v", o["status"])
	}
	var changes []string
	for _, h := range o["status_history"].([]any) {
		h := h.(map[string]any)
		if _, err := time.Parse(time.RFC3339, fmt.Sprint(h["created_date"])); err != nil {
			t.Fatalf("history entry without a time: %v", h)
		}
		changes = append(changes, fmt.Sprint(h["status"].(map[string]any)["value"], " ", h["note"]))
	}
	// The last entry is the refund going through.
	if strings.Join(changes, ",") != "pending placed,approved paid,cancelled cancelled by the customer,cancelled refunded "+fmt.Sprint(o["amount"])+" TRY" {
		t.Fatalf("status history: %v", changes)
	}
}

// A voucher's per-customer limit counts a guest's uses under the checkout
// e-mail: once the guest has given it, the checkout shows the voucher as
// used up, refuses it at the coupon page, and the final step refuses the
// order before any card is charged.
func TestCheckoutGuestVoucherPerCustomerLimit(t *testing.T) {
	cs := newCheckoutStore(t)
	first := cs.buyer(t, true, "guest@example.com", "TEE-B", 1)
	first.do("PATCH", "/baskets/basket/", map[string]any{"voucher_code": "EACH10"}).must(t, 200)
	nextPage(t, first.do("GET", "/orders/checkout/", nil).must(t, 200), "PaymentOptionSelectionPage")
	placed(t, cs.readyToPay(t, first, true)())

	// The same guest, another session: the basket takes the code (the
	// e-mail is not known yet), the checkout does not.
	again := cs.buyer(t, true, "Guest@Example.com", "TEE-B", 1)
	again.do("PATCH", "/baskets/basket/", map[string]any{"voucher_code": "EACH10"}).must(t, 200)
	c := checkoutOf(t, again.do("GET", "/orders/checkout/", nil).must(t, 200))
	basket := c.PreOrder["basket"].(map[string]any)
	if msg, _ := basket["voucher_message"].(string); !strings.Contains(msg, "already used") || c.PreOrder["total_amount"] != "249.90" {
		t.Fatalf("pre_order of a used-up voucher: total %v, basket %v", c.PreOrder["total_amount"], basket["voucher_message"])
	}
	if r := step(again, "CouponSelectionPage", "coupon", "EACH10", "action", "add").must(t, 400); !strings.Contains(string(r.body), "already used") {
		t.Fatalf("coupon page: %s", r.body)
	}
	charges, orders := cs.count("SELECT COUNT(*) FROM sandbox_charges"), cs.count("SELECT COUNT(*) FROM orders")
	r := cs.readyToPay(t, again, true)().must(t, 400)
	if !strings.Contains(string(r.body), "already used") {
		t.Fatalf("final step with a used-up voucher: %s", r.body)
	}
	if cs.count("SELECT COUNT(*) FROM sandbox_charges") != charges || cs.count("SELECT COUNT(*) FROM orders") != orders {
		t.Fatal("a used-up voucher was charged or ordered")
	}
	// The guest who signs up under that e-mail has used it up as well.
	member := cs.shopper()
	member.register("guest@example.com", "correct horse 3")
	member.do("POST", "/baskets/basket/", map[string]any{"product": cs.ids["TEE-B"], "quantity": 1}).must(t, 200)
	if r := member.do("PATCH", "/baskets/basket/", map[string]any{"voucher_code": "EACH10"}).must(t, 400); !strings.Contains(string(r.body), "already used") {
		t.Fatalf("the guest's use does not count for the new customer: %s", r.body)
	}

	// Without the voucher (reviewed in checkout) the guest pays the full price.
	again.do("PATCH", "/baskets/basket/", map[string]any{"remove_voucher_code": true}).must(t, 200)
	nextPage(t, again.do("GET", "/orders/checkout/", nil).must(t, 200), "CreditCardConfirmationPage")
	id, _ := placed(t, step(again, "CreditCardConfirmationPage", "agreement", "1", "card_holder", "Ada", "card_number", "4242424242424242",
		"card_month", "12", "card_year", "2040", "card_cvv", "123"))
	if n := cs.count("SELECT amount FROM orders WHERE id = $1", id); n != 24990 {
		t.Fatalf("order amount %d", n)
	}
}

// A cancelled order's stock fires the stock alerts of its products at
// once: the shopper waiting for the last unit hears it is back.
func TestOrderCancelFiresStockAlerts(t *testing.T) {
	cs := newCheckoutStore(t)
	cs.exec("UPDATE products SET stock = 1 WHERE id = $1", cs.ids["TEE-B"])
	buyer := cs.buyer(t, false, "ada@example.com", "TEE-B", 1)
	id, _ := placed(t, cs.readyToPay(t, buyer, true)())
	watcher := cs.shopper()
	watcher.register("grace@example.com", "correct horse 2")
	watcher.do("POST", "/wishlists/product-alerts/", url.Values{"product": {fmt.Sprint(cs.ids["TEE-B"])}}).must(t, 201)
	mails := cs.count("SELECT COUNT(*) FROM mail_outbox WHERE recipient = 'grace@example.com'")

	buyer.do("POST", fmt.Sprintf("/orders/%d/cancel/", id), map[string]any{}).must(t, 200)
	if cs.stock("TEE-B") != 1 || cs.count("SELECT COUNT(*) FROM product_alerts WHERE notified_at IS NULL") != 0 ||
		cs.count("SELECT COUNT(*) FROM mail_outbox WHERE recipient = 'grace@example.com'") != mails+1 {
		t.Fatal("the cancellation's stock did not fire the alert")
	}
}

// A shipping option's free-shipping threshold applies to the products
// after their discounts, is shown on the shipping page, in pre_order and
// in the order, and follows the basket when it changes.
func TestCheckoutShippingFreeAbove(t *testing.T) {
	cs := newCheckoutStore(t)
	sh := cs.buyer(t, false, "ada@example.com", "TEE-B", 4) // 800.00, standard shipping free above 750.00
	amounts := map[string]any{}
	c := nextPage(t, sh.do("GET", "/orders/checkout/?page=ShippingOptionSelectionPage", nil).must(t, 200), "ShippingOptionSelectionPage")
	for _, o := range c.ContextList[0].PageContext["shipping_options"].([]any) {
		o := o.(map[string]any)
		amounts[o["slug"].(string)] = o["shipping_amount"]
	}
	if amounts["standard"] != "0.00" || amounts["express"] != "99.90" || len(amounts) != 2 {
		t.Fatalf("shipping options above the threshold: %v", amounts)
	}
	po := checkoutOf(t, sh.do("GET", "/orders/checkout/", nil).must(t, 200)).PreOrder
	if po["shipping_amount"] != "0.00" || po["total_amount"] != "800.00" {
		t.Fatalf("pre_order above the threshold: shipping %v total %v", po["shipping_amount"], po["total_amount"])
	}
	// Below it again (600.00): the standard price comes back.
	sh.do("PUT", "/baskets/basket/", map[string]any{"product": cs.ids["TEE-B"], "quantity": 3}).must(t, 200)
	po = checkoutOf(t, sh.do("GET", "/orders/checkout/", nil).must(t, 200)).PreOrder
	if po["shipping_amount"] != "49.90" || po["total_amount"] != "649.90" {
		t.Fatalf("pre_order below the threshold: shipping %v total %v", po["shipping_amount"], po["total_amount"])
	}
	sh.do("PUT", "/baskets/basket/", map[string]any{"product": cs.ids["TEE-B"], "quantity": 4}).must(t, 200)
	sh.do("GET", "/orders/checkout/", nil).must(t, 200)
	id, _ := placed(t, cs.readyToPay(t, sh, false)())
	o := sh.do("GET", fmt.Sprintf("/users/orders/%d/", id), nil).must(t, 200).json()
	if o["shipping_amount"] != "0.00" || o["amount"] != "815.00" { // 800.00 + 15.00 pay-on-delivery fee
		t.Fatalf("order: shipping %v amount %v", o["shipping_amount"], o["amount"])
	}
}

// Cancelling one item refunds that item through the gateway and returns
// its stock; cancelling the rest refunds what is left of the payment
// (shipping included), so the refunds add up to the charge exactly.
func TestOrderPartialCancellation(t *testing.T) {
	cs := newCheckoutStore(t)
	sh := cs.buyer(t, false, "ada@example.com", "TEE-B", 1)
	sh.do("POST", "/baskets/basket/", map[string]any{"product": cs.ids["TEE-A"], "quantity": 1}).must(t, 200)
	sh.do("GET", "/orders/checkout/", nil).must(t, 200)
	id, _ := placed(t, cs.readyToPay(t, sh, true)())
	stockA, stockB := cs.stock("TEE-A"), cs.stock("TEE-B")
	o := sh.do("GET", fmt.Sprintf("/users/orders/%d/", id), nil).must(t, 200).json()
	if o["amount"] != "549.90" { // 300.00 + 200.00 + 49.90 shipping
		t.Fatalf("order amount %v", o["amount"])
	}
	var teeA any
	for _, it := range o["orderitem_set"].([]any) {
		if it := it.(map[string]any); it["product"].(map[string]any)["sku"] == "TEE-A" {
			teeA = it["id"]
		}
	}
	o = sh.do("POST", fmt.Sprintf("/orders/%d/cancel/", id), map[string]any{"cancel_order_items": []any{
		map[string]any{"order_item": teeA, "reason": cs.pk["reason:changed-mind"], "cancellation_type": "cancel"}}}).must(t, 200).json()
	if o["status"].(map[string]any)["value"] != "approved" || o["refund_amount"] != "300.00" || o["is_cancellable"] != true ||
		cs.stock("TEE-A") != stockA+1 || cs.stock("TEE-B") != stockB ||
		cs.count("SELECT refunded FROM sandbox_charges") != 30000 {
		t.Fatalf("after cancelling TEE-A: status %v refund %v", o["status"], o["refund_amount"])
	}
	o = sh.do("POST", fmt.Sprintf("/orders/%d/cancel/", id), map[string]any{}).must(t, 200).json()
	if o["status"].(map[string]any)["value"] != "cancelled" || o["refund_amount"] != "549.90" || cs.stock("TEE-B") != stockB+1 ||
		cs.count("SELECT COUNT(*) FROM sandbox_charges WHERE refunded = amount AND amount = 54990") != 1 {
		t.Fatalf("after cancelling the rest: status %v refund %v", o["status"], o["refund_amount"])
	}
}

// The order list pages with limit and page (next and previous links),
// filters by creation date, and answers a page far past the end or a bad
// date without a 5xx.
func TestOrderListPages(t *testing.T) {
	cs := newCheckoutStore(t)
	sh := cs.buyer(t, false, "ada@example.com", "TEE-B", 1)
	first, _ := placed(t, cs.readyToPay(t, sh, false)())
	sh.do("POST", "/baskets/basket/", map[string]any{"product": cs.ids["TEE-A"], "quantity": 1}).must(t, 200)
	cs.againToPayment(t, sh)
	second, _ := placed(t, cs.readyToPay(t, sh, false)())

	type page struct {
		Count    int              `json:"count"`
		Next     *string          `json:"next"`
		Previous *string          `json:"previous"`
		Results  []map[string]any `json:"results"`
	}
	var p page
	sh.do("GET", "/users/orders/?limit=1", nil).must(t, 200).decode(t, &p)
	if p.Count != 2 || len(p.Results) != 1 || p.Results[0]["id"] != float64(second) || p.Next == nil || p.Previous != nil {
		t.Fatalf("first page: %+v", p)
	}
	sh.do("GET", *p.Next, nil).must(t, 200).decode(t, &p)
	if len(p.Results) != 1 || p.Results[0]["id"] != float64(first) || p.Next != nil || p.Previous == nil {
		t.Fatalf("second page: %+v", p)
	}
	// Both on one page, each with its own lines (read for the whole page at once).
	sh.do("GET", "/users/orders/", nil).must(t, 200).decode(t, &p)
	for i, sku := range []string{"TEE-A", "TEE-B"} {
		items := p.Results[i]["orderitem_set"].([]any)
		product := items[0].(map[string]any)["product"].(map[string]any)
		if len(items) != 1 || product["sku"] != sku {
			t.Fatalf("order %d of the page: items %v", i, items)
		}
	}
	tomorrow := time.Now().UTC().Add(24 * time.Hour).Format(time.DateOnly)
	sh.do("GET", "/users/orders/?created_date__gte="+tomorrow, nil).must(t, 200).decode(t, &p)
	if p.Count != 0 {
		t.Fatalf("orders from tomorrow: %+v", p)
	}
	sh.do("GET", "/users/orders/?created_date__lte="+tomorrow, nil).must(t, 200).decode(t, &p)
	if p.Count != 2 {
		t.Fatalf("orders until tomorrow: %+v", p)
	}
	for _, q := range []string{"page=9223372036854775807&limit=100", "page=92233720368547758&limit=100"} {
		sh.do("GET", "/users/orders/?"+q, nil).must(t, 200).decode(t, &p)
		if len(p.Results) != 0 || p.Count != 2 {
			t.Fatalf("%s: %+v", q, p)
		}
	}
	sh.do("GET", "/users/orders/?created_date__gte=yesterday", nil).must(t, 400)
	// The other paginated lists share the page parameter.
	for _, path := range []string{"/stores/", "/wishlists/favourite-products/", "/wishlists/product-alerts/"} {
		sh.do("GET", path+"?page=9223372036854775807&limit=100", nil).must(t, 200)
	}
}

// againToPayment takes a customer who ordered before through a new
// checkout to the payment step, with the address already in the book.
func (cs *checkoutStore) againToPayment(t *testing.T, sh *shopper) {
	t.Helper()
	sh.do("GET", "/orders/checkout/", nil).must(t, 200)
	step(sh, "DeliveryOptionSelectionPage", "delivery_option", cs.id("delivery:home")).must(t, 200)
	addr := sh.do("GET", "/address/detailed/", nil).must(t, 200).json()["results"].([]any)[0].(map[string]any)
	pk := fmt.Sprint(addr["pk"])
	step(sh, "AddressSelectionPage", "shipping_address", pk, "billing_address", pk).must(t, 200)
	nextPage(t, step(sh, "ShippingOptionSelectionPage", "shipping_option", cs.id("shipping:standard")).must(t, 200), "PaymentOptionSelectionPage")
}

// One promotion computation from the basket to the order: the offers and
// the voucher give the same discounts in the basket, in pre_order and in
// the placed order, line by line.
func TestCheckoutSameDiscountsInBasketAndOrder(t *testing.T) {
	cs := newCheckoutStore(t)
	cs.importStore(map[string]any{"format": "vitrin.store/1", "promotions": map[string]any{"offers": []any{
		map[string]any{"slug": "10-off-men", "label": "10% off men", "kind": "percent", "value": "10", "categories": []string{"men"}},
		map[string]any{"slug": "free-shipping-500", "kind": "free_shipping", "min_basket": map[string]any{"TRY": "500.00"}}}}})
	sh := cs.buyer(t, false, "ada@example.com", "TEE-B", 2)
	sh.do("POST", "/baskets/basket/", map[string]any{"product": cs.ids["TEE-A"], "quantity": 1}).must(t, 200)
	b := basketOf(t, sh.do("PATCH", "/baskets/basket/", map[string]any{"voucher_code": "EACH10"}).must(t, 200))
	// 700.00 of t-shirts, 70.00 off men, 10.00 voucher; free shipping above 500.00.
	if b.ProductAmount != "700.00" || b.DiscountTotal != "80.00" || b.Total != "620.00" {
		t.Fatalf("basket: %+v", b)
	}
	lineDiscounts := map[string]string{}
	for _, it := range b.Items {
		lineDiscounts[it.Product.SKU] = it.Discount
	}
	po := checkoutOf(t, sh.do("GET", "/orders/checkout/", nil).must(t, 200)).PreOrder
	if po["total_amount"] != "620.00" || po["shipping_amount"] != "0.00" || po["basket"].(map[string]any)["total_discount_amount"] != "80.00" {
		t.Fatalf("pre_order: total %v shipping %v", po["total_amount"], po["shipping_amount"])
	}
	id, _ := placed(t, cs.readyToPay(t, sh, false)())
	o := sh.do("GET", fmt.Sprintf("/users/orders/%d/", id), nil).must(t, 200).json()
	if o["discount_amount"] != "80.00" || o["shipping_amount"] != "0.00" || o["amount"] != "635.00" { // + 15.00 pay on delivery
		t.Fatalf("order: discount %v shipping %v amount %v", o["discount_amount"], o["shipping_amount"], o["amount"])
	}
	for _, it := range o["orderitem_set"].([]any) {
		it := it.(map[string]any)
		if sku := fmt.Sprint(it["product"].(map[string]any)["sku"]); it["discount_amount"] != lineDiscounts[sku] {
			t.Fatalf("%s: order discount %v, basket %s", sku, it["discount_amount"], lineDiscounts[sku])
		}
	}
	names := map[any]bool{}
	for _, d := range o["discountitem_set"].([]any) {
		names[d.(map[string]any)["name"]] = true
	}
	if !names["10% off men"] || len(names) != 3 {
		t.Fatalf("order discounts: %v", o["discountitem_set"])
	}
}
