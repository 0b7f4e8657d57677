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
	err = s.db.Tx(ctx, func(tx *sql.Tx) error { return s.settleTx(ctx, tx, "", o, o.Gateway, paid) })
	if err == nil {
		slog.Info("a card payment left pending was charged: the order is placed", "order", id)
		return nil
	}
	slog.Warn("a card payment left pending was charged but cannot be placed: refunding it", "order", id, "err", err)
	return s.voidPaid(ctx, "", id, o.Gateway, paid)
}
