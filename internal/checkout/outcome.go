package checkout

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/order"
	"github.com/vitrin/vitrin/internal/payment"
)

// confirmOrder makes o final in tx: the basket it was made of is emptied,
// the voucher counts as used, the confirmation mail is queued and the
// checkout st (stored under key; nil when there is none) remembers the
// order. bank is the account a transfer goes to.
//
// The voucher is the order's: it was priced with it. A card order's
// voucher may have been used up by another order while the bank answered;
// MarkUsed then refuses and the payment is given back, rather than the
// order keeping a discount its voucher no longer has.
func (s *Service) confirmOrder(ctx context.Context, tx *sql.Tx, key string, st *State, o *order.Order, bank *BankAccount) error {
	if o.VoucherCode != "" {
		if err := s.baskets.Promotions().MarkUsed(ctx, tx, o.VoucherCode, o.CustomerID, o.Email, o.Number); err != nil {
			return err
		}
	}
	if o.BasketID != 0 {
		if err := s.baskets.ClearTx(ctx, tx, o.BasketID); err != nil {
			return err
		}
	}
	if err := s.queueConfirmation(ctx, tx, o, bank); err != nil {
		return err
	}
	if st == nil {
		return nil
	}
	st.Placed = o.ID
	return s.forgetThreeD(ctx, tx, key, st)
}

// releasePayment drops the pending order of a payment that did not go
// through and answers with why; stock and basket are as they were. A
// failure that does not say nothing was charged (the gateway's answer
// was lost) keeps the order pending: ReleaseStale asks the gateway later.
func (s *Service) releasePayment(ctx context.Context, pl *placement, cause error) (*Result, error) {
	if !uncharged(cause) {
		return nil, cause
	}
	id := pl.order.ID
	err := s.dropPayment(ctx, pl.key, id, func(tx *sql.Tx) error { return order.Release(ctx, tx, id, s.restocked) })
	if err != nil {
		return nil, err
	}
	return s.showPaymentFailure(ctx, pl, cause)
}

// uncharged reports whether a gateway's error says that nothing was taken.
func uncharged(err error) bool {
	var declined *payment.Declined
	var fields apperror.Fields
	return errors.As(err, &declined) || errors.Is(err, payment.ErrUnavailable) || errors.As(err, &fields)
}

// refundPayment cancels the pending order of a payment that was taken but
// could not be settled, refunds it (see voidPaid) and answers with why.
func (s *Service) refundPayment(ctx context.Context, pl *placement, paid payment.Payment, cause error) (*Result, error) {
	if err := s.voidPaid(ctx, pl.key, pl.order, pl.gatewayName, paid, nil); err != nil {
		return nil, err
	}
	return s.showPaymentFailure(ctx, pl, cause)
}

// recordFunc notes, in the transaction that acts on it, the event that
// asked for the act; it reports false for an event acted on before, and
// the act is then skipped. nil is an act nothing asked for twice.
type recordFunc func(tx *sql.Tx) (first bool, err error)

func (record recordFunc) first(tx *sql.Tx) (bool, error) {
	if record == nil {
		return true, nil
	}
	return record(tx)
}

// voidPaid cancels the pending order o that was paid but could not be
// completed and owes the payment back: the refund is recorded with the
// cancellation and sent at once, and the refunder retries it until the
// gateway takes it. An order released meanwhile (its payment came in
// after the reservation was given up) has nothing to cancel; its payment
// is owed back all the same. key is o's checkout ("" for none).
func (s *Service) voidPaid(ctx context.Context, key string, o *order.Order, gateway string, paid payment.Payment, record recordFunc) error {
	var refund *order.Refund
	err := s.dropPayment(ctx, key, o.ID, func(tx *sql.Tx) error {
		if first, err := record.first(tx); !first || err != nil {
			return err
		}
		var err error
		if refund, err = order.Void(ctx, tx, o.ID, gateway, paid, s.restocked); refund != nil || err != nil {
			return err
		}
		if _, err := order.Get(ctx, tx, o.ID); !errors.Is(err, apperror.ErrNotFound) {
			return err // completed by a parallel request
		}
		refund, err = order.RefundUnplaced(ctx, tx, o.Key, gateway, paid)
		return err
	})
	if err != nil || refund == nil {
		return err
	}
	if err := s.refunder.Send(ctx, []order.Refund{*refund}); err != nil {
		slog.Warn("refund of an uncompleted order not sent yet; it will be retried", "order", o.ID, "err", err)
	}
	return nil
}

// dropPayment runs drop on the pending order of a payment and clears the
// payment from the checkout under key ("" for none), in one transaction;
// nothing happens when a parallel request completed the order.
func (s *Service) dropPayment(ctx context.Context, key string, orderID int64, drop func(tx *sql.Tx) error) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if key == "" {
			return drop(tx)
		}
		st, err := s.load(ctx, tx, key, s.db.ForUpdate())
		if err != nil {
			return err
		}
		if st.Placed == orderID {
			return nil
		}
		if err := drop(tx); err != nil {
			return err
		}
		return s.forgetThreeD(ctx, tx, key, st)
	})
}

// showPaymentFailure answers a payment that did not end in an order, on
// the page where the shopper pays again: the card's, or the hosted
// option's.
func (s *Service) showPaymentFailure(ctx context.Context, pl *placement, cause error) (*Result, error) {
	page := CardPage
	if pl.page == RedirectionPage || pl.page == RedirectionReturnPage {
		page = RedirectionPage
	}
	var declined *payment.Declined
	switch {
	case errors.As(cause, &declined):
		return s.show(ctx, pl.sh, page, refuse(page, "non_field_errors", declined.Reason))
	case errors.Is(cause, payment.ErrUnavailable):
		return s.show(ctx, pl.sh, page, refuse(page, "non_field_errors", payment.ErrUnavailable.Error()))
	}
	if se, ok := asStepError(cause, page); ok {
		return s.show(ctx, pl.sh, se.page, se)
	}
	return nil, cause
}

// showPlaced answers with the thank-you page of order id.
func (s *Service) showPlaced(ctx context.Context, sh Shopper, id int64) (*Result, error) {
	o, err := order.Get(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	b, err := s.baskets.Get(ctx, sh.Sess, sh.Currency)
	if err != nil {
		return nil, err
	}
	return thankYou(sh, b, o), nil
}

// showThreeD answers a card payment that waits at the bank: the client
// goes to Vitrin's redirect page, which sends the shopper on to the bank.
func (s *Service) showThreeD(ctx context.Context, sh Shopper) (*Result, error) {
	res, err := s.show(ctx, sh, CardPage, nil)
	if err != nil {
		return nil, err
	}
	res.Contexts = []Context{{PageName: ThreeDPage, PageSlug: slugOf(ThreeDPage),
		PageContext: map[string]any{"redirect_url": RedirectThreeDPath}}}
	res.RedirectURL = RedirectThreeDPath
	return res, nil
}

// showHosted answers a payment that waits on the provider's page: the
// client sends the shopper to its redirect_url.
func (s *Service) showHosted(ctx context.Context, sh Shopper) (*Result, error) {
	key, _ := s.key(ctx, sh, false)
	st, err := s.load(ctx, s.db, key, "")
	if err != nil {
		return nil, err
	}
	res, err := s.show(ctx, sh, RedirectionPage, nil)
	if err != nil {
		return nil, err
	}
	res.Contexts = []Context{{PageName: RedirectionPage, PageSlug: slugOf(RedirectionPage),
		PageContext: map[string]any{"redirect_url": st.ThreeDAction}}}
	return res, nil
}

// ThreeDForm is the pending 3-D Secure redirection of the session's
// checkout: where /orders/redirect-three-d/ sends the shopper.
func (s *Service) ThreeDForm(ctx context.Context, sh Shopper) (*payment.ThreeD, error) {
	key, _ := s.key(ctx, sh, false)
	st, err := s.load(ctx, s.db, key, "")
	if err != nil {
		return nil, err
	}
	if st.ThreeDOrder == 0 || st.ThreeDAction == "" {
		return nil, apperror.ErrNotFound
	}
	return &payment.ThreeD{Action: st.ThreeDAction, Fields: st.ThreeDFields}, nil
}
