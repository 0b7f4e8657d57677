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
// gateway: charged, it becomes an order; not charged, its stock goes back.
func TestReleaseStaleAsksTheGateway(t *testing.T) {
	for _, charged := range []bool{true, false} {
		t.Run("charged="+strconv.FormatBool(charged), func(t *testing.T) {
			s := newStore(t)
			_, key, id := s.pendingThreeD("LAST")
			if charged {
				// The bank took the money; the node settling it died.
				if _, err := s.gateway.Sandbox.Charge(context.Background(), payment.Charge{Key: key, Amount: 14990,
					Currency: "TRY", Installments: 1, Card: payment.Card{Number: "4242424242424242"}}); err != nil {
					t.Fatal(err)
				}
			}
			s.exec("UPDATE orders SET created_at = $1 WHERE id = $2", time.Now().UTC().Add(-2*PaymentTimeout), id)
			if err := s.svc.ReleaseStale(context.Background()); err != nil {
				t.Fatal(err)
			}
			approved := s.count("SELECT COUNT(*) FROM orders WHERE id = $1 AND status = $2", id, order.Approved)
			stock := s.count("SELECT stock FROM products WHERE sku = 'LAST'")
			if charged && (approved != 1 || stock != 0 || s.count("SELECT COUNT(*) FROM basket_items") != 0) {
				t.Fatalf("charged: approved %d, stock %d, basket lines %d; want the order placed", approved, stock,
					s.count("SELECT COUNT(*) FROM basket_items"))
			}
			if !charged && (s.count("SELECT COUNT(*) FROM orders") != 0 || stock != 1) {
				t.Fatalf("not charged: %d orders, stock %d; want it released", s.count("SELECT COUNT(*) FROM orders"), stock)
			}
		})
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
	qt, _, err := s.svc.quote(context.Background(), s.db, sh, st, false, nil)
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
