package checkout

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/order"
	"github.com/vitrin/vitrin/internal/payment"
)

// PaymentTimeout is how long a card payment may wait for the bank before
// its reservation (stock held by a pending order) is released.
const PaymentTimeout = 30 * time.Minute

// errPlaced carries an order this checkout placed already out of the
// transaction: a retried final step answers with it.
type errPlaced struct{ id int64 }

func (e *errPlaced) Error() string { return "placed already" }

// finish submits a page that places the order. Placing is in three phases
// so that no gateway call runs inside a database transaction:
//  1. in one transaction (the checkout row locked): check everything,
//     take the stock and write the order — final for a transfer or pay on
//     delivery, pending for a card;
//  2. charge the card through the gateway with the checkout's attempt key
//     (a retried or parallel final step charges once);
//  3. mark the order paid, empty the basket and use the voucher — or, when
//     the payment failed, release the pending order and its stock.
func (s *Service) finish(ctx context.Context, sh Shopper, key, page string, form Form) (*Result, error) {
	var card payment.Card
	useThreeD := false
	switch page {
	case CardPage, TransferPage, PayOnDeliveryPage:
		if !truthy(form.Get("agreement")) {
			return s.answer(ctx, sh, page, refuse(page, "agreement", "You must accept the terms to place the order."))
		}
	}
	if page == CardPage {
		card = payment.Card{Holder: form.Get("card_holder"), Number: form.Get("card_number"), Month: form.Get("card_month"),
			Year: form.Get("card_year"), CVV: form.Get("card_cvv")}
		if err := payment.CardErrors(card, time.Now()); err != nil {
			se, _ := asStepError(err, page)
			return s.answer(ctx, sh, page, se)
		}
		useThreeD = truthy(form.Get("use_three_d"))
	}

	var (
		st       *State
		p        *priced
		pending  *order.Order
		attempt  string
		gateway  payment.Gateway
		gwName   string
		placedID int64
	)
	if err := order.ReleaseStale(ctx, s.db, time.Now().Add(-PaymentTimeout), s.restocked); err != nil {
		return nil, err
	}
	opts, err := s.options(ctx)
	if err != nil {
		return nil, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if st, err = s.load(ctx, tx, key, s.db.ForUpdate()); err != nil {
			return err
		}
		if st.Placed != 0 {
			return &errPlaced{st.Placed}
		}
		if page == ThreeDPage {
			if st.ThreeDOrder == 0 {
				return refuse("", "non_field_errors", "There is no 3-D Secure payment waiting.")
			}
		} else if st.ThreeDOrder != 0 {
			// The shopper left the bank page and paid again: the
			// reservation of the first try goes.
			if err := order.Release(ctx, tx, st.ThreeDOrder, s.restocked); err != nil {
				return err
			}
			st.ThreeDOrder, st.ThreeDAction, st.ThreeDFields = 0, "", nil
			if err := s.save(ctx, tx, key, st); err != nil {
				return err
			}
		}
		attempt = st.Attempt
		existing, err := order.ByKey(ctx, tx, attempt)
		if err != nil && !errors.Is(err, apperror.ErrNotFound) {
			return err
		}
		var dropped apperror.Fields
		if p, dropped, err = s.resolve(ctx, tx, sh, st, true, opts); err != nil {
			return err
		}
		if page == ThreeDPage && (existing == nil || existing.ID != st.ThreeDOrder) {
			// The reservation was released meanwhile (the shopper took too
			// long at the bank): nothing is charged, the shopper pays again.
			st.ThreeDOrder, st.ThreeDAction, st.ThreeDFields = 0, "", nil
			return refuse(CardPage, "non_field_errors", "The payment session expired; please pay again.")
		}
		if existing == nil {
			if len(dropped) > 0 {
				return &stepError{status: 400, errors: dropped}
			}
			if err := s.checkPlaceable(st, sh, p, page); err != nil {
				return err
			}
		}
		if p.payment != nil && p.payment.Type == "credit_card" {
			gwName = p.payment.Gateway
			if gateway = s.gateways[gwName]; gateway == nil {
				return refuse(PaymentPage, "payment_option", "This payment option is not available now.")
			}
		}
		if existing != nil {
			pending = existing
			if existing.Status != order.Pending {
				return &errPlaced{existing.ID}
			}
			return nil
		}
		o, err := s.newOrder(ctx, tx, sh, st, p)
		if err != nil {
			return err
		}
		if err := order.Insert(ctx, tx, o); err != nil {
			var oos *order.OutOfStock
			if errors.As(err, &oos) {
				return &stepError{status: 400, errors: apperror.Field("non_field_errors",
					"Some products in your basket are no longer in stock in the quantity you chose.")}
			}
			return err
		}
		if o.Status != order.Pending {
			placedID = o.ID
			return s.complete(ctx, tx, key, st, p, o)
		}
		pending = o
		return nil
	})
	var placed *errPlaced
	switch {
	case errors.As(err, &placed):
		return s.answerPlaced(ctx, sh, placed.id)
	case err != nil:
		if se, ok := asStepError(err, page); ok {
			return s.answer(ctx, sh, se.page, se)
		}
		return nil, err
	case placedID != 0:
		return s.answerPlaced(ctx, sh, placedID)
	}

	// Phase 2: the card.
	charge := payment.Charge{Key: attempt, Amount: pending.Amount, Currency: pending.Currency,
		Installments: pending.Installments, Card: card}
	var paid payment.Payment
	switch {
	case page == ThreeDPage:
		posted := map[string]string{"three_d_token": form.Get("three_d_token")}
		paid, err = gateway.CompleteThreeD(ctx, attempt, posted)
	case useThreeD:
		td, err := gateway.StartThreeD(ctx, charge, s.ThreeDReturnURL)
		if err != nil {
			return s.failed(ctx, sh, key, pending.ID, err)
		}
		if err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			st, err := s.load(ctx, tx, key, s.db.ForUpdate())
			if err != nil {
				return err
			}
			st.ThreeDOrder, st.ThreeDAction, st.ThreeDFields = pending.ID, td.Action, td.Fields
			return s.save(ctx, tx, key, st)
		}); err != nil {
			return nil, err
		}
		res, err := s.answer(ctx, sh, CardPage, nil)
		if err != nil {
			return nil, err
		}
		res.Contexts = []Context{{PageName: ThreeDPage, PageSlug: slugOf(ThreeDPage),
			PageContext: map[string]any{"redirect_url": RedirectThreeDPath}}}
		res.RedirectURL = RedirectThreeDPath
		return res, nil
	default:
		paid, err = gateway.Charge(ctx, charge)
	}
	if err != nil {
		return s.failed(ctx, sh, key, pending.ID, err)
	}

	// Phase 3: paid.
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		st, err := s.load(ctx, tx, key, s.db.ForUpdate())
		if err != nil {
			return err
		}
		if st.Placed != 0 {
			return nil // the parallel request finished it
		}
		moved, err := order.Paid(ctx, tx, pending.ID, gwName, paid.Reference, paid.Brand, paid.LastFour)
		if err != nil {
			return err
		}
		if !moved {
			// Paid by the parallel request, or released as abandoned.
			if _, err := order.Get(ctx, tx, pending.ID); errors.Is(err, apperror.ErrNotFound) {
				return refuse(CardPage, "non_field_errors", "The payment session expired; please pay again.")
			}
			return err
		}
		p, _, err := s.resolve(ctx, tx, sh, st, true, opts)
		if err != nil {
			return err
		}
		return s.complete(ctx, tx, key, st, p, pending)
	})
	if err != nil {
		// The payment was taken but the order could not be completed
		// (the voucher's last use went to someone else).
		return s.voided(ctx, sh, key, pending.ID, gwName, paid, err)
	}
	return s.answerPlaced(ctx, sh, pending.ID)
}

func truthy(s string) bool {
	switch s {
	case "1", "true", "True", "on", "yes":
		return true
	}
	return false
}

// checkPlaceable refuses an order whose checkout is not complete or whose
// basket changed since the shopper last saw it.
func (s *Service) checkPlaceable(st *State, sh Shopper, p *priced, page string) error {
	if len(p.basket.Lines) == 0 {
		return refuse("", "non_field_errors", "Your basket is empty.")
	}
	if p.basket.HasUnavailable() {
		return refuse("", "non_field_errors", unavailableLines)
	}
	if p.basket.VoucherProblem != nil {
		return p.basket.VoucherProblem
	}
	path := steps(st, sh, p)
	if page != ThreeDPage && (!reachable(path, page, st) || next(path) != page) {
		return &stepError{status: 400, page: next(path), errors: apperror.Field("non_field_errors", "Please complete the previous steps first.")}
	}
	if st.Fingerprint != fingerprint(p.basket) {
		return &stepError{status: 400, page: next(path), errors: apperror.Field("non_field_errors",
			"Your basket changed while you were checking out; please review the amounts and confirm again.")}
	}
	return nil
}

// complete finishes an order in tx: the basket is emptied, the voucher
// counts as used, the confirmation mail is queued and the checkout
// remembers the order.
//
// The voucher is the order's: it was priced with it. A card order's
// voucher may have been used up by another order while the bank answered;
// MarkUsed then refuses and the payment is given back, rather than the
// order keeping a discount its voucher no longer has.
func (s *Service) complete(ctx context.Context, tx *sql.Tx, key string, st *State, p *priced, o *order.Order) error {
	if o.VoucherCode != "" {
		if err := s.baskets.Promotions().MarkUsed(ctx, tx, o.VoucherCode, o.CustomerID, o.Email, o.Number); err != nil {
			return err
		}
	}
	if p.basket.ID != 0 {
		if err := s.baskets.ClearTx(ctx, tx, p.basket.ID); err != nil {
			return err
		}
	}
	if err := s.queueConfirmation(ctx, tx, o, p.bank); err != nil {
		return err
	}
	st.Placed, st.ThreeDOrder, st.ThreeDAction, st.ThreeDFields = o.ID, 0, "", nil
	return s.save(ctx, tx, key, st)
}

// failed releases a pending order whose payment did not go through and
// answers with why; stock and basket are as they were.
func (s *Service) failed(ctx context.Context, sh Shopper, key string, orderID int64, cause error) (*Result, error) {
	err := s.forgetPayment(ctx, key, orderID, func(tx *sql.Tx) error {
		return order.Release(ctx, tx, orderID, s.restocked)
	})
	if err != nil {
		return nil, err
	}
	return s.answerFailure(ctx, sh, cause)
}

// voided cancels a pending order that was paid but could not be completed
// and owes the payment back: the refund is recorded with the cancellation
// and sent at once, and the refunder retries it until the gateway takes
// it. The answer says why, as for a failed payment.
func (s *Service) voided(ctx context.Context, sh Shopper, key string, orderID int64, gateway string, paid payment.Payment, cause error) (*Result, error) {
	var refund *order.Refund
	err := s.forgetPayment(ctx, key, orderID, func(tx *sql.Tx) error {
		var err error
		refund, err = order.Void(ctx, tx, orderID, gateway, paid, s.restocked)
		return err
	})
	if err != nil {
		return nil, err
	}
	if refund != nil {
		if err := s.refunder.Send(context.WithoutCancel(ctx), []order.Refund{*refund}); err != nil {
			slog.Warn("refund of an uncompleted order not sent yet; it will be retried", "order", orderID, "err", err)
		}
	}
	return s.answerFailure(ctx, sh, cause)
}

// forgetPayment runs drop on the pending order of the shopper's payment and
// clears the payment from the checkout, in one transaction; nothing
// happens when a parallel request completed the order.
func (s *Service) forgetPayment(ctx context.Context, key string, orderID int64, drop func(tx *sql.Tx) error) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
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
		st.ThreeDOrder, st.ThreeDAction, st.ThreeDFields = 0, "", nil
		return s.save(ctx, tx, key, st)
	})
}

// answerFailure answers a payment that did not end in an order.
func (s *Service) answerFailure(ctx context.Context, sh Shopper, cause error) (*Result, error) {
	var declined *payment.Declined
	var fields apperror.Fields
	var se *stepError
	switch {
	case errors.As(cause, &declined):
		return s.answer(ctx, sh, CardPage, refuse(CardPage, "non_field_errors", declined.Reason))
	case errors.Is(cause, payment.ErrUnavailable):
		return s.answer(ctx, sh, CardPage, refuse(CardPage, "non_field_errors", payment.ErrUnavailable.Error()))
	case errors.As(cause, &fields):
		return s.answer(ctx, sh, CardPage, &stepError{status: 400, errors: fields, page: CardPage})
	case errors.As(cause, &se):
		return s.answer(ctx, sh, se.page, se)
	}
	return nil, cause
}

func (s *Service) answerPlaced(ctx context.Context, sh Shopper, id int64) (*Result, error) {
	o, err := order.Get(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	p := &priced{}
	if p.basket, err = s.baskets.Get(ctx, sh.Sess, sh.Currency); err != nil {
		return nil, err
	}
	return s.thankYou(sh, p, o), nil
}

// newOrder builds the order of a checkout from its priced basket.
func (s *Service) newOrder(ctx context.Context, tx *sql.Tx, sh Shopper, st *State, p *priced) (*order.Order, error) {
	o := &order.Order{Key: st.Attempt, CustomerID: sh.Sess.CustomerID, Email: st.Email, Phone: st.Phone,
		Currency: sh.Currency, Language: sh.Language, ProductAmount: p.basket.Pricing.ProductAmount,
		DiscountAmount: p.basket.Pricing.DiscountAmount, ShippingAmount: p.shipAmt, InterestAmount: p.interest,
		FeeAmount: p.fee, Amount: p.total, Installments: 1, PaymentOptionID: p.payment.PK, PaymentChoice: st.Choice,
		VoucherCode: p.basket.VoucherCode, Notes: st.Notes, BasketID: p.basket.ID, RemoteAddr: sh.RemoteAddr,
		RetailStoreID: st.RetailStore}
	if sh.Sess.IsCustomer() {
		if err := tx.QueryRowContext(ctx, "SELECT email, phone FROM customers WHERE id = $1", sh.Sess.CustomerID).Scan(&o.Email, &o.Phone); err != nil {
			return nil, err
		}
	}
	o.PaymentOption, _ = json.Marshal(p.payment.Wire())
	o.PaymentType = p.payment.Type
	switch p.payment.Type {
	case "credit_card":
		o.Status = order.Pending
		o.Installments = st.Installments
	case "funds_transfer":
		o.Status = order.WaitingPayment
		o.BankAccount, _ = json.Marshal(p.bank.Wire())
	default:
		o.Status = order.Approved
	}
	if p.delivery != nil {
		o.DeliveryOption = p.delivery.Slug
	}
	if p.shipping != nil {
		o.ShippingOptionID, o.ShippingOptionSlug = p.shipping.PK, p.shipping.Slug
	}
	if p.shipAddr != nil {
		o.ShippingAddress, _ = json.Marshal(p.shipAddr.Wire())
	}
	if p.billAddr != nil {
		o.BillingAddress, _ = json.Marshal(p.billAddr.Wire())
	}
	discounts := []map[string]any{}
	for _, d := range p.basket.Pricing.Discounts {
		discounts = append(discounts, map[string]any{"name": d.Description, "amount": d.Amount})
	}
	o.Discounts, _ = json.Marshal(discounts)
	for _, l := range p.basket.Lines {
		if !l.Available() {
			continue
		}
		o.Items = append(o.Items, order.Item{ProductID: l.ProductID, Quantity: l.Quantity, UnitPrice: l.UnitPrice,
			RetailPrice: l.RetailPrice, Discount: l.Discount, Total: l.Total, TaxRate: l.TaxRate, Attributes: l.Attributes})
	}
	return o, nil
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
