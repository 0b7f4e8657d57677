package checkout

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"testing"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/order"
	"github.com/vitrin/vitrin/internal/payment"
)

// Each payment type's pages follow the payment page in order, and each
// step answers with the next page; store pickup replaces the address and
// shipping pages with the store's.
func TestPageOrder(t *testing.T) {
	s := newStore(t)
	cases := []struct {
		name  string
		steps [][]string // page, next page, fields...
	}{
		{"card", [][]string{
			{PaymentPage, BinPage, "payment_option", s.id("payment:card")},
			{BinPage, InstallmentPage, "bin_number", "42424242"},
			{InstallmentPage, CardPage, "installment", "3"}}},
		{"transfer", [][]string{
			{PaymentPage, TransferChoicePage, "payment_option", s.id("payment:transfer")},
			{TransferChoicePage, TransferPage, "bank_account", s.id("bank:TR330006100519786457841326")}}},
		{"pay on delivery", [][]string{
			{PaymentPage, DeliveryChoicePage, "payment_option", s.id("payment:pod")},
			{DeliveryChoicePage, PayOnDeliveryPage, "payment_choice", "cash"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sh, addr := s.guest("TEE", 1, true)
			s.toPayment(sh, addr)
			for _, step := range c.steps {
				s.expect(sh, 200, step[1], step[0], step[2:]...)
			}
		})
	}
	t.Run("store pickup", func(t *testing.T) {
		sh, addr := s.guest("TEE", 1, true)
		s.expect(sh, 200, DeliveryPage, IndexPage, "user_email", "ada@example.com", "phone_number", "05551112233")
		s.expect(sh, 200, RetailStorePage, DeliveryPage, "delivery_option", s.id("delivery:store"))
		s.expect(sh, 200, PaymentPage, RetailStorePage, "retail_store", s.id("store:moda"),
			"billing_address", strconv.FormatInt(addr, 10))
	})
}

// A page whose previous pages are not done, of an empty basket, or that
// does not exist is refused with a 400 and the page to do next; coupons
// and notes may be sent at any time.
func TestStepsOutOfOrder(t *testing.T) {
	s := newStore(t)
	cases := []struct {
		name, page, next string
		status           int
		basket           bool
		fields           []string
	}{
		{"shipping first", ShippingPage, IndexPage, 400, true, []string{"shipping_option", s.id("shipping:standard")}},
		{"payment first", PaymentPage, IndexPage, 400, true, []string{"payment_option", s.id("payment:card")}},
		{"card first", CardPage, IndexPage, 400, true, card("4242424242424242", false)},
		{"3-D answer with nothing waiting", ThreeDPage, IndexPage, 400, true, []string{"three_d_token", "x"}},
		{"unknown page", "NoSuchPage", IndexPage, 400, true, nil},
		{"empty basket", IndexPage, IndexPage, 400, false, []string{"user_email", "a@example.com", "phone_number", "0555"}},
		{"notes any time", NotePage, IndexPage, 200, true, []string{"notes", "ring twice"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sh, _ := s.guest("TEE", 1, false)
			if !c.basket {
				if _, err := s.baskets.Clear(context.Background(), sh.Sess, "TRY"); err != nil {
					t.Fatal(err)
				}
			}
			res := s.submit(sh, c.page, c.fields...)
			if res.Status != c.status || shown(res) != c.next {
				t.Fatalf("%d %s, want %d %s; errors %v", res.Status, shown(res), c.status, c.next, res.Errors)
			}
			if n := s.count("SELECT COUNT(*) FROM orders"); n != 0 {
				t.Fatalf("%d orders written", n)
			}
		})
	}
}

// A step whose inputs no longer hold sends the shopper back: a deleted
// address drops the addresses, saying why, and the shipping chosen for it.
func TestStaleChoicesDropped(t *testing.T) {
	s := newStore(t)
	sh, addr := s.guest("TEE", 1, true)
	s.toPayment(sh, addr)
	s.exec("DELETE FROM customer_addresses WHERE id = $1", addr)
	res, err := s.svc.Handle(context.Background(), sh, "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	errs, _ := res.Errors.(apperror.Fields)
	if shown(res) != AddressPage || errs["shipping_address"] == nil || errs["billing_address"] == nil {
		t.Fatalf("after the address went: %s %v", shown(res), res.Errors)
	}
	if st := s.state(sh); st.ShippingAddr != 0 || st.Shipping != 0 {
		t.Fatalf("stale choices kept: %+v", st)
	}
}

// Each page refuses bad input with a 400 on the offending field and
// records nothing.
func TestPageValidation(t *testing.T) {
	s := newStore(t)
	_, othersAddr := s.guest("TEE", 1, true)
	foreign := strconv.FormatInt(othersAddr, 10)
	cases := []struct {
		page, field string
		fields      []string
	}{
		{IndexPage, "user_email", []string{"user_email", "not-an-email", "phone_number", "05551112233"}},
		{IndexPage, "phone_number", []string{"user_email", "ada@example.com", "phone_number", "call me"}},
		{DeliveryPage, "delivery_option", nil},
		{DeliveryPage, "delivery_option", []string{"delivery_option", "abc"}},
		{DeliveryPage, "delivery_option", []string{"delivery_option", "99999"}},
		{AddressPage, "shipping_address", []string{"shipping_address", foreign, "billing_address", foreign}},
		{AddressPage, "billing_address", []string{"shipping_address", foreign}},
		{ShippingPage, "shipping_option", []string{"shipping_option", "99999"}},
		{PaymentPage, "payment_option", []string{"payment_option", "99999"}},
		{BinPage, "bin_number", []string{"bin_number", "42"}},
		{BinPage, "bin_number", []string{"bin_number", "4242abcd"}},
		{InstallmentPage, "installment", []string{"installment", "7"}},
		{NotePage, "notes", []string{"notes", strings.Repeat("n", 1001)}},
		{CouponPage, "coupon", []string{"coupon", ""}},
		{CouponPage, "coupon", []string{"coupon", "NOSUCHCODE"}},
		{CardPage, "agreement", card("4242424242424242", false)[2:]},
		{CardPage, "card_number", card("4242424242424241", false)},
		{CardPage, "card_cvv", append(card("4242424242424242", false), "card_cvv", "1x")},
	}
	sh, addr := s.guest("TEE", 1, true)
	s.toPayment(sh, addr)
	s.toCard(sh)
	before := *s.state(sh)
	for _, c := range cases {
		t.Run(c.page+"/"+c.field, func(t *testing.T) {
			res := s.submit(sh, c.page, c.fields...)
			errs, _ := res.Errors.(apperror.Fields)
			if res.Status != 400 || errs[c.field] == nil {
				t.Fatalf("%d %v, want 400 on %s", res.Status, res.Errors, c.field)
			}
			if st := s.state(sh); st.Attempt != before.Attempt {
				t.Fatalf("a refused step changed the checkout: %+v", st)
			}
		})
	}
	if n := s.count("SELECT COUNT(*) FROM orders") + s.count("SELECT COUNT(*) FROM sandbox_charges"); n != 0 {
		t.Fatalf("refused steps wrote %d orders and charges", n)
	}
}

// reserve refuses an order whose stock went meanwhile and takes nothing;
// the other shopper's order holds.
func TestReserveRefusesWhenStockIsGone(t *testing.T) {
	s := newStore(t)
	first, a1 := s.guest("LAST", 1, true)
	second, a2 := s.guest("LAST", 1, true)
	for _, g := range []struct {
		sh   Shopper
		addr int64
	}{{first, a1}, {second, a2}} {
		s.toPayment(g.sh, g.addr)
		s.toCard(g.sh)
	}
	s.expect(first, 200, ThankYouPage, CardPage, card("4242424242424242", false)...)
	res := s.submit(second, CardPage, card("4242424242424242", false)...)
	if res.Status != 400 || res.RedirectURL != BasketPath {
		t.Fatalf("second buyer of the last unit: %d %s %v", res.Status, res.RedirectURL, res.Errors)
	}
	if n := s.count("SELECT COUNT(*) FROM orders"); n != 1 {
		t.Fatalf("%d orders for one unit", n)
	}
	if n := s.count("SELECT COUNT(*) FROM sandbox_charges"); n != 1 {
		t.Fatalf("%d charges for one order", n)
	}
	if n := s.count("SELECT stock FROM products WHERE sku = 'LAST'"); n != 0 {
		t.Fatalf("stock %d", n)
	}
}

// settle is idempotent: settling a paid order again (a parallel final
// step, or ReleaseStale after the shopper's own request) confirms it once.
func TestSettleIsIdempotent(t *testing.T) {
	s := newStore(t)
	sh, _, id := s.pendingThreeD("TEE")
	ctx := context.Background()
	s.exec("UPDATE orders SET voucher_code = 'ONCE20' WHERE id = $1", id)
	o, err := order.Get(ctx, s.db, id)
	if err != nil {
		t.Fatal(err)
	}
	paid := payment.Payment{Reference: "sbx_1", Brand: "visa", LastFour: "4242", Amount: o.Amount}
	for _, key := range []string{sh.Sess.Get(SessionKey), sh.Sess.Get(SessionKey), ""} {
		if err := s.db.Tx(ctx, func(tx *sql.Tx) error { return s.svc.settleTx(ctx, tx, key, o, "sandbox", paid) }); err != nil {
			t.Fatalf("settle (checkout %q): %v", key, err)
		}
	}
	counts := map[string]int{
		"approved orders":    s.count("SELECT COUNT(*) FROM orders WHERE status = $1", order.Approved),
		"voucher uses":       s.count("SELECT used_count FROM vouchers WHERE code = 'ONCE20'"),
		"confirmation mails": s.count("SELECT COUNT(*) FROM mail_outbox"),
		"history entries":    s.count("SELECT COUNT(*) FROM order_status_history WHERE order_id = $1 AND status = $2", id, order.Approved),
	}
	for what, n := range counts {
		if n != 1 {
			t.Errorf("%s: %d, want 1", what, n)
		}
	}
	if st := s.state(sh); st.Placed != id || st.ThreeDOrder != 0 {
		t.Fatalf("checkout after settling: %+v", st)
	}
}

// The final step retried after success answers with the same order and
// charges once; a declined card releases the reservation.
func TestPlaceOutcomes(t *testing.T) {
	cases := []struct {
		name, number string
		status       int
		next         string
		orders       int
	}{
		{"approved", "4242424242424242", 200, ThankYouPage, 1},
		{"declined", "4000000000000002", 400, CardPage, 0},
		{"gateway down", "4000000000000119", 400, CardPage, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			sh, addr := s.guest("LAST", 1, true)
			s.toPayment(sh, addr)
			s.toCard(sh)
			for range 2 {
				s.expect(sh, c.status, c.next, CardPage, card(c.number, false)...)
			}
			if n := s.count("SELECT COUNT(*) FROM orders"); n != c.orders {
				t.Fatalf("%d orders, want %d", n, c.orders)
			}
			if stock := s.count("SELECT stock FROM products WHERE sku = 'LAST'"); stock != 1-c.orders {
				t.Fatalf("stock %d", stock)
			}
			if n := s.count("SELECT COUNT(*) FROM sandbox_charges"); n != c.orders {
				t.Fatalf("%d charges", n)
			}
		})
	}
}

// Paying again after leaving the bank page releases the first
// reservation; the second payment places the one order.
func TestPayAgainReleasesTheWaitingPayment(t *testing.T) {
	s := newStore(t)
	sh, _, _ := s.pendingThreeD("LAST")
	s.expect(sh, 200, ThankYouPage, CardPage, card("4242424242424242", false)...)
	if n := s.count("SELECT COUNT(*) FROM orders WHERE status = $1", order.Approved); n != 1 ||
		s.count("SELECT COUNT(*) FROM orders") != 1 {
		t.Fatalf("%d approved orders of %d, want the one", n, s.count("SELECT COUNT(*) FROM orders"))
	}
	if stock := s.count("SELECT stock FROM products WHERE sku = 'LAST'"); stock != 0 {
		t.Fatalf("stock %d", stock)
	}
}
