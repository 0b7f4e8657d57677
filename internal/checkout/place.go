package checkout

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/loyalty"
	"github.com/vitrin/vitrin/internal/order"
	"github.com/vitrin/vitrin/internal/payment"
)

// PaymentTimeout is how long a card payment may wait for the bank before
// its reservation (stock held by a pending order) is released.
const PaymentTimeout = 30 * time.Minute

// paymentDeadline bounds charging and settling a card once its order is
// reserved. They run to the end whether or not the shopper is still
// connected; a bank answer that comes back later than PaymentTimeout −
// paymentDeadline is refused, so that no charge is still running when
// the reservation is released (ReleaseStale).
const paymentDeadline = time.Minute

// placement is one final step on its way to an order: what the three
// phases of placing share.
type placement struct {
	sh          Shopper
	key         string // of the checkout row
	page        string
	form        Form
	card        payment.Card
	threeD      bool // start a 3-D Secure payment rather than charge at once
	gateway     payment.Gateway
	gatewayName string
	order       *order.Order // the order reserve wrote or found: pending for a card
	placed      int64        // an order final already: the shopper is thanked
	refused     *stepError   // why reserve refused the step
}

// place answers a page that places the order. Placing is in three phases
// so that no gateway call runs inside a database transaction:
//  1. reserve, in one transaction with the checkout row locked: check
//     everything, take the stock and write the order — final for a
//     transfer or pay on delivery, pending for a card;
//  2. charge the card through the gateway under the checkout's attempt
//     key (a retried or parallel final step charges once);
//  3. settle: mark the order paid, empty the basket and use the voucher.
//
// A payment that failed releases the pending order and its stock instead.
func (s *Service) place(ctx context.Context, sh Shopper, key, page string, form Form) (*Result, error) {
	pl, refused := newPlacement(sh, key, page, form)
	if refused != nil {
		return s.show(ctx, sh, page, refused)
	}
	if err := s.reserve(ctx, pl); err != nil {
		return nil, err
	}
	switch {
	case pl.refused != nil:
		return s.show(ctx, sh, pl.refused.page, pl.refused)
	case pl.placed != 0:
		return s.showPlaced(ctx, sh, pl.placed)
	}
	// From here on the card is being charged: the shopper leaving must
	// not stop it halfway.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), paymentDeadline)
	defer cancel()
	paid, err := s.charge(ctx, pl)
	switch {
	case errors.Is(err, errPaymentOpen):
		return s.show(ctx, sh, RedirectionPage, refuse(RedirectionPage, "non_field_errors",
			"The payment is not complete yet; please finish it on the payment page."))
	case err != nil:
		return s.releasePayment(ctx, pl, err)
	case paid == nil && pl.page == RedirectionPage:
		return s.showHosted(ctx, sh)
	case paid == nil:
		return s.showThreeD(ctx, sh)
	}
	return s.settle(ctx, pl, *paid)
}

// newPlacement checks the final page's own fields: the agreement, and
// the card's shape.
func newPlacement(sh Shopper, key, page string, form Form) (*placement, *stepError) {
	pl := &placement{sh: sh, key: key, page: page, form: form}
	if !returning(page) && !truthy(form.Get("agreement")) {
		return nil, refuse(page, "agreement", "You must accept the terms to place the order.")
	}
	if page == CardPage {
		pl.card = payment.Card{Holder: form.Get("card_holder"), Number: form.Get("card_number"),
			Month: form.Get("card_month"), Year: form.Get("card_year"), CVV: form.Get("card_cvv")}
		if err := payment.CardErrors(pl.card, time.Now()); err != nil {
			se, _ := asStepError(err, page)
			return nil, se
		}
		pl.threeD = truthy(form.Get("use_three_d"))
	}
	return pl, nil
}

func truthy(s string) bool {
	switch s {
	case "1", "true", "True", "on", "yes":
		return true
	}
	return false
}

// reserve is phase 1. It sets pl.order (pending for a card), pl.placed
// (an order that is final: a transfer, pay on delivery, or one placed
// already) or pl.refused.
func (s *Service) reserve(ctx context.Context, pl *placement) error {
	opts, err := s.options(ctx)
	if err != nil {
		return err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		st, err := s.load(ctx, tx, pl.key, s.db.ForUpdate())
		if err != nil {
			return err
		}
		if st.Placed != 0 {
			pl.placed = st.Placed
			return nil
		}
		existing, err := s.priorAttempt(ctx, tx, pl, st)
		if err != nil || pl.refused != nil || pl.placed != 0 {
			return err
		}
		qt, dropped, err := s.quote(ctx, tx, pl.sh, st, opts)
		if err != nil {
			return err
		}
		if existing != nil {
			pl.order = existing
			return s.pickGateway(pl, qt)
		}
		if err := checkPlaceable(st, pl.sh, qt, dropped, pl.page); err != nil {
			return err
		}
		if err := s.pickGateway(pl, qt); err != nil {
			return err
		}
		return s.writeOrder(ctx, tx, pl, st, qt)
	})
	if se, ok := asStepError(err, pl.page); ok {
		pl.refused = se // and everything rolled back
		return nil
	}
	return err
}

// priorAttempt returns the order this checkout attempt wrote already, if
// any, and settles what a payment waiting at the bank asks: the bank's
// answer must be for that payment and in time; paying again gives the
// waiting one up.
func (s *Service) priorAttempt(ctx context.Context, tx *sql.Tx, pl *placement, st *State) (*order.Order, error) {
	switch {
	case returning(pl.page) && st.ThreeDOrder == 0:
		return nil, refuse("", "non_field_errors", "There is no payment waiting.")
	case !returning(pl.page) && st.ThreeDOrder != 0:
		// The shopper left the bank page and paid again: the reservation
		// of the first try goes.
		if err := order.Release(ctx, tx, st.ThreeDOrder, s.restocked); err != nil {
			return nil, err
		}
		if err := s.forgetThreeD(ctx, tx, pl.key, st); err != nil {
			return nil, err
		}
	}
	existing, err := order.ByKey(ctx, tx, st.Attempt)
	if errors.Is(err, apperror.ErrNotFound) {
		existing, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	if returning(pl.page) && !bankAnswerInTime(existing, st) {
		// The reservation was released (the shopper took too long at the
		// bank) or is about to be: nothing is charged, the shopper pays
		// again. The checkout forgets the payment for good.
		pl.refused = refuse(CardPage, "non_field_errors", "The payment session expired; please pay again.")
		return nil, s.forgetThreeD(ctx, tx, pl.key, st)
	}
	if existing != nil && existing.Status != order.Pending {
		// Placed already, by a parallel request, the provider's webhook
		// or ReleaseStale: the checkout remembers it.
		pl.placed = existing.ID
		st.Placed = existing.ID
		return existing, s.forgetThreeD(ctx, tx, pl.key, st)
	}
	return existing, nil
}

// bankAnswerInTime reports whether o, the checkout attempt's order, is
// the payment waiting at the bank and may still be charged (or was
// settled already).
func bankAnswerInTime(o *order.Order, st *State) bool {
	if o == nil || o.ID != st.ThreeDOrder {
		return false
	}
	return o.Status != order.Pending || time.Since(o.Created) < PaymentTimeout-paymentDeadline
}

// forgetThreeD clears the payment waiting at the bank from the checkout.
func (s *Service) forgetThreeD(ctx context.Context, tx *sql.Tx, key string, st *State) error {
	st.ThreeDOrder, st.ThreeDAction, st.ThreeDFields = 0, "", nil
	return s.save(ctx, tx, key, st)
}

// checkPlaceable refuses an order whose checkout is not complete or whose
// basket changed since the shopper last saw it.
func checkPlaceable(st *State, sh Shopper, qt *quote, dropped apperror.Fields, page string) error {
	switch {
	case len(dropped) > 0:
		return &stepError{status: 400, errors: dropped}
	case len(qt.basket.Lines) == 0:
		return refuse("", "non_field_errors", "Your basket is empty.")
	case qt.basket.HasUnavailable():
		return refuse("", "non_field_errors", unavailableLines)
	case qt.basket.VoucherProblem != nil:
		return qt.basket.VoucherProblem
	}
	p := path(st, sh, qt)
	if !returning(page) && (!reachable(p, page, st) || next(p) != page) {
		return &stepError{status: 400, page: next(p), errors: apperror.Field("non_field_errors", "Please complete the previous steps first.")}
	}
	if st.Fingerprint != fingerprint(qt.basket) {
		return &stepError{status: 400, page: next(p), errors: apperror.Field("non_field_errors",
			"Your basket changed while you were checking out; please review the amounts and confirm again.")}
	}
	return nil
}

// pickGateway finds the gateway of a card or hosted payment.
func (s *Service) pickGateway(pl *placement, qt *quote) error {
	if qt.payment == nil || (qt.payment.Type != "credit_card" && qt.payment.Type != "redirection") {
		return nil
	}
	pl.gatewayName = qt.payment.Gateway
	pl.gateway = s.gateways[pl.gatewayName]
	if _, hosted := pl.gateway.(payment.Hosted); pl.gateway == nil || (qt.payment.Type == "redirection" && !hosted) {
		return refuse(PaymentPage, "payment_option", "This payment option is not available now.")
	}
	return nil
}

// writeOrder writes the checkout's order and takes its stock; an order
// that needs no card is confirmed at once.
func (s *Service) writeOrder(ctx context.Context, tx *sql.Tx, pl *placement, st *State, qt *quote) error {
	o, err := s.newOrder(ctx, tx, pl.sh, st, qt)
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
	if err := s.spendLoyalty(ctx, tx, pl, o); err != nil {
		return err
	}
	if o.Status == order.Pending {
		pl.order = o
		return nil
	}
	pl.placed = o.ID
	return s.confirmOrder(ctx, tx, pl.key, st, o, qt.bank)
}

// spendLoyalty takes what loyalty money pays for o from the customer's
// balance, in the transaction that writes the order: of two orders racing
// for one balance, the second sees the first's debit. A card payment that
// fails releases the order and gives the money back (order.Release).
func (s *Service) spendLoyalty(ctx context.Context, tx *sql.Tx, pl *placement, o *order.Order) error {
	if o.LoyaltyAmount == 0 {
		return nil
	}
	_, _, err := loyalty.Write(ctx, tx, s.db.ForUpdate(), o.CustomerID, -o.LoyaltyAmount, "order", o.Number)
	var fields apperror.Fields
	if !errors.As(err, &fields) {
		return err
	}
	page, field := LoyaltyUsagePage, "loyalty_amount_to_use"
	if pl.page == LoyaltyPage {
		page, field = PaymentPage, "payment_option"
	}
	return &stepError{status: 400, page: page, errors: apperror.Fields{field: fields["amount"]}}
}

// charge is phase 2: it takes the payment of pl.order, or, for 3-D
// Secure, opens the bank session and returns no payment.
func (s *Service) charge(ctx context.Context, pl *placement) (*payment.Payment, error) {
	c := payment.Charge{Key: pl.order.Key, Amount: pl.order.Amount, Currency: pl.order.Currency,
		Installments: pl.order.Installments, Card: pl.card}
	var paid payment.Payment
	var err error
	switch {
	case pl.page == ThreeDPage:
		paid, err = pl.gateway.CompleteThreeD(ctx, c.Key, map[string]string{"three_d_token": pl.form.Get("three_d_token")})
	case pl.page == RedirectionPage:
		return nil, s.startHosted(ctx, pl, c)
	case pl.page == RedirectionReturnPage:
		return s.completeHosted(ctx, pl, c.Key)
	case pl.threeD:
		return nil, s.startThreeD(ctx, pl, c)
	default:
		paid, err = pl.gateway.Charge(ctx, c)
	}
	if err != nil {
		return nil, err
	}
	return &paid, nil
}

// startThreeD opens the bank session and keeps, in the checkout, where to
// send the shopper.
func (s *Service) startThreeD(ctx context.Context, pl *placement, c payment.Charge) error {
	td, err := pl.gateway.StartThreeD(ctx, c, s.ThreeDReturnURL)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		st, err := s.load(ctx, tx, pl.key, s.db.ForUpdate())
		if err != nil {
			return err
		}
		st.ThreeDOrder, st.ThreeDAction, st.ThreeDFields = pl.order.ID, td.Action, td.Fields
		return s.save(ctx, tx, pl.key, st)
	})
}

// errPaymentOpen is a return from a hosted payment page that is still
// open: nothing is paid, and nothing is released either.
var errPaymentOpen = errors.New("checkout: the payment page is still open")

// startHosted opens the provider's payment page and keeps, in the
// checkout, where to send the shopper.
func (s *Service) startHosted(ctx context.Context, pl *placement, c payment.Charge) error {
	pageURL, err := pl.gateway.(payment.Hosted).StartHosted(ctx, c, s.HostedReturnURL)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		st, err := s.load(ctx, tx, pl.key, s.db.ForUpdate())
		if err != nil {
			return err
		}
		st.ThreeDOrder, st.ThreeDAction, st.ThreeDFields = pl.order.ID, pageURL, nil
		return s.save(ctx, tx, pl.key, st)
	})
}

// errProviderSilent is a return from a hosted page while its provider
// does not answer: the shopper may have paid, so nothing is released;
// they may come back, and the provider's webhook or ReleaseStale finds
// the payment meanwhile.
var errProviderSilent = &apperror.Problem{Status: http.StatusServiceUnavailable, Code: "payment_provider_unavailable",
	Detail: "The payment provider did not answer; nothing changed. Please try again in a moment."}

// completeHosted asks the provider what the shopper did on its page.
func (s *Service) completeHosted(ctx context.Context, pl *placement, key string) (*payment.Payment, error) {
	paid, ok, err := pl.gateway.(payment.Hosted).CompleteHosted(ctx, key)
	switch {
	case errors.Is(err, payment.ErrUnavailable):
		return nil, errProviderSilent
	case err != nil:
		return nil, err
	case !ok:
		return nil, errPaymentOpen
	}
	return &paid, nil
}

// settle is phase 3: the paid order is confirmed; one that cannot be (its
// voucher's last use went to another order while the bank answered) is
// cancelled and its payment refunded.
func (s *Service) settle(ctx context.Context, pl *placement, paid payment.Payment) (*Result, error) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		return s.settleTx(ctx, tx, pl.key, pl.order, pl.gatewayName, paid)
	})
	if err != nil {
		return s.refundPayment(ctx, pl, paid, err)
	}
	return s.showPlaced(ctx, pl.sh, pl.order.ID)
}

// settleTx marks the pending order o paid and confirms it, in tx. key
// names the checkout that placed it, "" when settling without one (a
// payment found by ReleaseStale).
func (s *Service) settleTx(ctx context.Context, tx *sql.Tx, key string, o *order.Order, gateway string, paid payment.Payment) error {
	var st *State
	if key != "" {
		var err error
		if st, err = s.load(ctx, tx, key, s.db.ForUpdate()); err != nil {
			return err
		}
		if st.Placed != 0 {
			return nil // the parallel request finished it
		}
	}
	moved, err := order.Paid(ctx, tx, o.ID, gateway, paid.Reference, paid.Brand, paid.LastFour)
	if err != nil {
		return err
	}
	if !moved {
		// Paid by the parallel request (or the provider's webhook), or
		// released as abandoned.
		_, err := order.Get(ctx, tx, o.ID)
		if errors.Is(err, apperror.ErrNotFound) {
			return refuse(CardPage, "non_field_errors", "The payment session expired; please pay again.")
		}
		if err != nil || st == nil {
			return err
		}
		st.Placed = o.ID
		return s.forgetThreeD(ctx, tx, key, st)
	}
	return s.confirmOrder(ctx, tx, key, st, o, nil)
}
