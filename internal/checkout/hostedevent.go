package checkout

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/order"
	"github.com/vitrin/vitrin/internal/payment"
)

// PaymentEvent acts on what a hosted gateway's webhook told (its
// signature checked by the gateway), once per event: the event is noted
// in the transaction that acts on it, so a second delivery, or one that
// races the first, changes nothing. An error leaves the event unnoted,
// for the gateway to deliver again.
func (s *Service) PaymentEvent(ctx context.Context, gateway string, e payment.HostedEvent) error {
	if seen, err := payment.EventSeen(ctx, s.db, e.ID); err != nil || seen {
		return err
	}
	record := func(tx *sql.Tx) (bool, error) { return payment.RecordEvent(ctx, tx, e.ID, e.Type, time.Now()) }
	switch e.Kind {
	case payment.EventSession:
		err := s.concludeHosted(ctx, gateway, e.Key, record)
		if errors.Is(err, payment.ErrUnavailable) {
			return errProviderSilent
		}
		return err
	case payment.EventFailed:
		return s.onPendingOrder(ctx, e.Key, record, func(tx *sql.Tx, o *order.Order) error {
			slog.Info("a try on a hosted payment page failed; the page stays open", "order", o.ID, "note", e.Note)
			return order.Note(ctx, tx, o.ID, e.Note)
		})
	case payment.EventRefunded:
		return s.db.Tx(ctx, func(tx *sql.Tx) error {
			if first, err := record(tx); !first || err != nil {
				return err
			}
			return order.RefundedElsewhere(ctx, tx, s.db.ForUpdate(), gateway, e.Reference, e.Refunded)
		})
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error { _, err := record(tx); return err })
}

// concludeHosted ends the payment of checkout attempt key as the gateway
// says it stands now, whatever the event said: paid, its pending order is
// placed (finishPaid: the same placing as the shopper's return, so the two
// racing place it once), or its payment refunded when the order is gone;
// expired, the order is released and its stock returned; still open,
// nothing changes. An order placed already is left alone.
func (s *Service) concludeHosted(ctx context.Context, gateway, key string, record recordFunc) error {
	hosted, ok := s.gateways[gateway].(payment.Hosted)
	if !ok {
		return errors.New("checkout: gateway " + gateway + " has no hosted payment page")
	}
	o, err := order.ByKey(ctx, s.db, key)
	switch {
	case errors.Is(err, apperror.ErrNotFound):
		o = &order.Order{Key: key, Gateway: gateway} // released: a payment is owed back
	case err != nil:
		return err
	case o.Status != order.Pending:
		return s.db.Tx(ctx, func(tx *sql.Tx) error { _, err := record(tx); return err })
	}
	paid, charged, err := hosted.CompleteHosted(ctx, key)
	var declined *payment.Declined
	switch {
	case errors.As(err, &declined) && o.ID != 0:
		return s.onPendingOrder(ctx, key, record, func(tx *sql.Tx, o *order.Order) error {
			return order.Release(ctx, tx, o.ID, s.restocked)
		})
	case err != nil && declined == nil:
		return err
	case !charged:
		return s.db.Tx(ctx, func(tx *sql.Tx) error { _, err := record(tx); return err })
	case o.ID == 0:
		return s.voidPaid(ctx, "", o, gateway, paid, record)
	}
	return s.finishPaid(ctx, o, paid, record)
}

// onPendingOrder runs act on the pending order of checkout attempt key,
// if there still is one, and records the event, in one transaction.
func (s *Service) onPendingOrder(ctx context.Context, key string, record recordFunc, act func(tx *sql.Tx, o *order.Order) error) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if first, err := record(tx); !first || err != nil {
			return err
		}
		o, err := order.ByKey(ctx, tx, key)
		if errors.Is(err, apperror.ErrNotFound) {
			return nil
		}
		if err != nil || o.Status != order.Pending {
			return err
		}
		return act(tx, o)
	})
}
