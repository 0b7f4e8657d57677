package checkout

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/order"
	"github.com/vitrin/vitrin/internal/payment"
)

// A shopper whose connection drops right after the bank approved the card
// still gets the order: settling does not depend on the request.
func TestSettleSurvivesDisconnect(t *testing.T) {
	s := newStore(t)
	sh, addr := s.guest("TEE", 1, true)
	s.toPayment(sh, addr)
	s.toCard(sh)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.gateway.afterCharge = cancel
	s.svc.Handle(ctx, sh, CardPage, true, fields(card("4242 4242 4242 4242", false)...))
	if n := s.count("SELECT COUNT(*) FROM orders WHERE status = $1", order.Approved); n != 1 {
		t.Fatalf("%d approved orders after the shopper left; want 1 (pending: %d)", n,
			s.count("SELECT COUNT(*) FROM orders WHERE status = $1", order.Pending))
	}
}

// pendingThreeD leaves a guest's card payment waiting at the bank and
// returns the attempt key and the pending order.
func (s *store) pendingThreeD(sku string) (Shopper, string, int64) {
	s.t.Helper()
	sh, addr := s.guest(sku, 1, true)
	s.toPayment(sh, addr)
	s.toCard(sh)
	s.expect(sh, 200, ThreeDPage, CardPage, card("4242 4242 4242 4242", true)...)
	st := s.state(sh)
	if st.ThreeDOrder == 0 {
		s.t.Fatal("no pending order after starting 3-D Secure")
	}
	return sh, st.Attempt, st.ThreeDOrder
}

// A payment that waited at the bank for too long is asked after at the
// gateway: charged, it becomes an order (or, when its voucher went
// meanwhile, is cancelled and refunded); not charged, its stock goes back;
// when the gateway cannot tell, it waits for the next run.
func TestReleaseStaleAsksTheGateway(t *testing.T) {
	cases := []struct {
		name           string
		charged        bool
		voucherGone    bool
		lookupErr      error
		status         string // of the order afterwards; "" when released
		stock, refunds int
	}{
		{name: "charged", charged: true, status: order.Approved, stock: 0},
		{name: "charged, voucher used up", charged: true, voucherGone: true, status: order.Cancelled, stock: 1, refunds: 1},
		{name: "not charged", status: "", stock: 1},
		{name: "gateway cannot tell", charged: true, lookupErr: payment.ErrUnavailable, status: order.Pending, stock: 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			_, key, id := s.pendingThreeD("LAST")
			if c.charged {
				// The bank took the money; the node settling it died.
				if _, err := s.gateway.Sandbox.Charge(context.Background(), payment.Charge{Key: key, Amount: 14990,
					Currency: "TRY", Installments: 1, Card: payment.Card{Number: "4242424242424242"}}); err != nil {
					t.Fatal(err)
				}
			}
			if c.voucherGone {
				s.exec("UPDATE orders SET voucher_code = 'ONCE20' WHERE id = $1", id)
				s.exec("UPDATE vouchers SET used_count = usage_limit")
			}
			s.gateway.lookupErr = c.lookupErr
			s.exec("UPDATE orders SET created_at = $1 WHERE id = $2", time.Now().UTC().Add(-2*PaymentTimeout), id)
			err := s.svc.ReleaseStale(context.Background())
			if (err != nil) != (c.lookupErr != nil) {
				t.Fatalf("ReleaseStale: %v", err)
			}
			var status string
			s.db.QueryRow("SELECT status FROM orders WHERE id = $1", id).Scan(&status)
			stock := s.count("SELECT stock FROM products WHERE sku = 'LAST'")
			refunds := s.count("SELECT COUNT(*) FROM sandbox_charges WHERE refunded = amount")
			if status != c.status || stock != c.stock || refunds != c.refunds {
				t.Fatalf("order %q, stock %d, refunded %d; want %q, %d, %d", status, stock, refunds, c.status, c.stock, c.refunds)
			}
			if c.status == order.Approved && s.count("SELECT COUNT(*) FROM basket_items") != 0 {
				t.Fatal("the basket of the placed order is not emptied")
			}
		})
	}
}

// A charge whose answer was lost (neither a decline nor "nothing
// charged") keeps the order pending: ReleaseStale asks the gateway, and
// the money taken becomes the order.
func TestLostChargeAnswerKeepsTheOrder(t *testing.T) {
	s := newStore(t)
	sh, addr := s.guest("LAST", 1, true)
	s.toPayment(sh, addr)
	s.toCard(sh)
	s.gateway.lostAnswer = errors.New("connection reset by peer")
	if _, err := s.svc.Handle(context.Background(), sh, CardPage, true, fields(card("4242424242424242", false)...)); err == nil {
		t.Fatal("a lost gateway answer passed for an answer")
	}
	if n := s.count("SELECT COUNT(*) FROM orders WHERE status = $1", order.Pending); n != 1 {
		t.Fatalf("%d pending orders after a lost answer, want 1", n)
	}
	s.exec("UPDATE orders SET created_at = $1", time.Now().UTC().Add(-2*PaymentTimeout))
	if err := s.svc.ReleaseStale(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := s.count("SELECT COUNT(*) FROM orders WHERE status = $1", order.Approved); n != 1 {
		t.Fatalf("%d approved orders, want the one paid for", n)
	}
}

// A 3-D answer that comes back after the reservation was released clears
// the waiting payment from the checkout, for good.
func TestExpiredThreeDIsForgotten(t *testing.T) {
	s := newStore(t)
	sh, _, id := s.pendingThreeD("TEE")
	if err := s.db.Tx(context.Background(), func(tx *sql.Tx) error { return order.Release(context.Background(), tx, id, nil) }); err != nil {
		t.Fatal(err)
	}
	s.expect(sh, 400, CardPage, ThreeDPage, "three_d_token", "whatever")
	if st := s.state(sh); st.ThreeDOrder != 0 || st.ThreeDAction != "" {
		t.Fatalf("the released payment is still waiting in the checkout: %+v", st)
	}
}

// An address that cannot be read (the database went away) is an error,
// not the shopper's invalid choice.
func TestAddressLookupFailureIsNotInvalidPK(t *testing.T) {
	s := newStore(t)
	sh, addr := s.guest("TEE", 1, true)
	s.expect(sh, 200, DeliveryPage, IndexPage, "user_email", "ada@example.com", "phone_number", "05551112233")
	s.expect(sh, 200, AddressPage, DeliveryPage, "delivery_option", s.id("delivery:home"))
	st := s.state(sh)
	qt, _, err := s.svc.quote(context.Background(), nil, sh, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	a := strconv.FormatInt(addr, 10)
	err = s.svc.record(gone, AddressPage, entry{sh: sh, st: st, qt: qt, form: fields("shipping_address", a, "billing_address", a)})
	var invalid apperror.Fields
	if errors.As(err, &invalid) || !errors.Is(err, context.Canceled) {
		t.Fatalf("failed lookup answered %v; want the lookup's error", err)
	}
}

// A paid order that settle cannot read is an error, rolled back, not a
// success: the database, not the shopper, failed.
func TestSettleReadFailureIsAnError(t *testing.T) {
	s := newStore(t)
	sh, _, id := s.pendingThreeD("TEE")
	ctx := context.Background()
	o, err := order.Get(ctx, s.db, id)
	if err != nil {
		t.Fatal(err)
	}
	errRollback := errors.New("rollback")
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		// Settled meanwhile by another request, and unreadable.
		for _, q := range []string{"UPDATE orders SET status = 'approved'", "ALTER TABLE order_status_history RENAME TO gone"} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		if err := s.svc.settleTx(ctx, tx, sh.Sess.Get(SessionKey), o, "sandbox", payment.Payment{}); err != nil {
			return err
		}
		return errRollback
	})
	if errors.Is(err, errRollback) || err == nil {
		t.Fatalf("settle with an unreadable order: %v; want the read's error", err)
	}
}
