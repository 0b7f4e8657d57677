package checkout

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/address"
	"github.com/vitrin/vitrin/internal/basket"
	"github.com/vitrin/vitrin/internal/loyalty"
	"github.com/vitrin/vitrin/internal/money"
)

// newLoyaltyStore is the store with a loyalty money payment option.
func newLoyaltyStore(t *testing.T) *store {
	t.Helper()
	doc := storeFixture()
	doc["payment_options"] = append(doc["payment_options"].([]any),
		map[string]any{"slug": "loyalty", "name": "Loyalty money", "type": "loyalty_money"})
	return newStoreOf(t, doc)
}

// customer is a signed-in customer with balance in loyalty money and a
// basket of TEE (300.00), at the payment page with standard shipping
// (49.90).
func (s *store) customer(email string, balance money.Amount) Shopper {
	s.t.Helper()
	ctx := context.Background()
	var id int64
	if err := s.db.QueryRowContext(ctx, `INSERT INTO customers (email, email_lower, date_joined) VALUES ($1, $1, $2) RETURNING id`,
		email, time.Now().UTC()).Scan(&id); err != nil {
		s.t.Fatal(err)
	}
	if _, _, err := loyalty.Adjust(ctx, s.db, id, balance, "welcome", ""); err != nil {
		s.t.Fatal(err)
	}
	sess := s.sessions.New()
	sess.CustomerID = id
	sh := Shopper{Sess: sess, Owner: address.Owner{CustomerID: id}, Currency: "TRY", Language: "tr-tr", RemoteAddr: "127.0.0.1"}
	if err := s.sessions.Save(ctx, s.db, sess); err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.baskets.Add(ctx, sess, "TRY", basket.Change{ProductID: s.pk["sku:TEE"], Quantity: 1}); err != nil {
		s.t.Fatal(err)
	}
	a, err := s.svc.addresses.Create(ctx, sh.Owner, address.Fields{Title: "Home", FirstName: "Ada", LastName: "Lovelace",
		Phone: "05551112233", Country: s.pk["country:tr"], City: s.pk["city:İstanbul"], Line: "Moda Cad. 1"})
	if err != nil {
		s.t.Fatal(err)
	}
	addr := strconv.FormatInt(a.ID, 10)
	s.expect(sh, 200, AddressPage, DeliveryPage, "delivery_option", s.id("delivery:home"))
	s.expect(sh, 200, ShippingPage, AddressPage, "shipping_address", addr, "billing_address", addr)
	s.expect(sh, 200, PaymentPage, ShippingPage, "shipping_option", s.id("shipping:standard"))
	return sh
}

// The amount of loyalty money to use: at most the balance, less than the
// total, two decimals, not negative; a refusal keeps what was chosen.
func TestLoyaltyMoneyUsagePage(t *testing.T) {
	s := newLoyaltyStore(t)
	sh := s.customer("ada@example.com", 10000)
	s.expect(sh, 200, PaymentPage, LoyaltyUsagePage, "loyalty_amount_to_use", "25.50")
	cases := []struct {
		amount string
		status int
		want   int64 // the state's loyalty money after the step
	}{
		{"100.00", 200, 10000},
		{"100.01", 400, 10000},
		{"-1.00", 400, 10000},
		{"1.005", 400, 10000},
		{"", 400, 10000},
		{"0", 200, 0},
		{"12.5", 200, 1250},
	}
	for _, c := range cases {
		res := s.submit(sh, LoyaltyUsagePage, "loyalty_amount_to_use", c.amount)
		if res.Status != c.status || s.state(sh).Loyalty != c.want {
			t.Fatalf("%q: status %d, loyalty %d; want %d, %d (errors %v)", c.amount, res.Status, s.state(sh).Loyalty, c.status, c.want, res.Errors)
		}
	}
	res := s.submit(sh, PaymentPage, "payment_option", s.id("payment:transfer"))
	if res.PreOrder["loyalty_money"] != money.Amount(1250) || res.PreOrder["unpaid_amount"] != money.Amount(33740) {
		t.Fatalf("pre_order: %v", res.PreOrder)
	}
}

// Paying all of it with loyalty money: offered to customers only, chosen
// only when the balance covers the total, and then its one page places
// the order.
func TestLoyaltyPaymentSelectedPage(t *testing.T) {
	s := newLoyaltyStore(t)
	guest, addr := s.guest("TEE", 1, true)
	s.toPayment(guest, addr)
	s.expect(guest, 400, PaymentPage, PaymentPage, "payment_option", s.id("payment:loyalty"))
	s.expect(guest, 400, LoyaltyUsagePage, LoyaltyUsagePage, "loyalty_amount_to_use", "1.00")

	poor := s.customer("poor@example.com", 34989)
	s.expect(poor, 400, PaymentPage, PaymentPage, "payment_option", s.id("payment:loyalty"))

	rich := s.customer("rich@example.com", 34990)
	s.expect(rich, 200, LoyaltyPage, PaymentPage, "payment_option", s.id("payment:loyalty"))
	res := s.submit(rich, LoyaltyPage, "agreement", "1")
	if shown(res) != ThankYouPage {
		t.Fatalf("placing: %d %v", res.Status, res.Errors)
	}
	if n := s.count("SELECT COUNT(*) FROM orders WHERE amount = 0 AND loyalty_amount = 34990 AND status = 'approved' AND gateway = ''"); n != 1 {
		t.Fatalf("%d orders paid by loyalty money", n)
	}
	if b, _ := loyalty.Balance(context.Background(), s.db, rich.Sess.CustomerID); b != 0 {
		t.Fatalf("balance %s after paying all of it", b)
	}
}
