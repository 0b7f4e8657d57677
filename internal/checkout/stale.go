package checkout

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/order"
	"github.com/vitrin/vitrin/internal/payment"
)

// ReleaseStale ends the card payments left pending for longer than
// PaymentTimeout: abandoned at the bank, or cut short by a node that died
// between the charge and the order. Each is asked after at its gateway by
// the attempt's idempotency key: charged, the order is placed (or, if it
// cannot be, cancelled and refunded); not charged, it is released and its
// stock returned. The serve loop runs it every minute or so; a payment
// the gateway cannot answer for stays pending until a later run.
func (s *Service) ReleaseStale(ctx context.Context) error {
	ids, err := order.Stale(ctx, s.db, time.Now().Add(-PaymentTimeout))
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		if err := s.releaseStale(ctx, id); err != nil {
			errs = append(errs, fmt.Errorf("pending order %d: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Service) releaseStale(ctx context.Context, id int64) error {
	o, err := order.Get(ctx, s.db, id)
	if errors.Is(err, apperror.ErrNotFound) {
		return nil // released meanwhile
	}
	if err != nil {
		return err
	}
	release := func(tx *sql.Tx) error { return order.Release(ctx, tx, id, s.restocked) }
	if o.Gateway == "" {
		// Reserved before pending orders named their gateway.
		return s.db.Tx(ctx, release)
	}
	gateway := s.gateways[o.Gateway]
	if gateway == nil {
		return fmt.Errorf("gateway %q is not configured: nobody can tell whether it was charged", o.Gateway)
	}
	paid, charged, err := gateway.Lookup(ctx, o.Key)
	if err != nil {
		return err
	}
	if !charged {
		return s.db.Tx(ctx, release)
	}
	return s.finishPaid(ctx, o, paid, nil)
}

// finishPaid places the pending order o, paid outside any shopper's
// request (found by ReleaseStale, told of by the provider's webhook),
// exactly as the shopper's return would: order.Paid moves it once,
// whoever comes first. One that cannot be placed (its voucher was used up
// meanwhile, or it was released) is cancelled and its payment refunded.
// record notes the event that asked, in the transaction that acts.
func (s *Service) finishPaid(ctx context.Context, o *order.Order, paid payment.Payment, record recordFunc) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if first, err := record.first(tx); !first || err != nil {
			return err
		}
		return s.settleTx(ctx, tx, "", o, o.Gateway, paid)
	})
	if err == nil {
		return nil
	}
	slog.Warn("a payment that came in outside the shopper's request cannot be placed: refunding it", "order", o.ID, "err", err)
	return s.voidPaid(ctx, "", o, o.Gateway, paid, record)
}
