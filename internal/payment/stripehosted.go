package payment

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"

	"github.com/stripe/stripe-go/v82"

	"github.com/vitrin/vitrin/internal/money"
)

// attemptMetadata names the checkout attempt in the metadata of a
// session's PaymentIntent.
const attemptMetadata = "vitrin_attempt"

// storedSession is the stripe_sessions row of one checkout attempt.
type storedSession struct {
	id, url, currency string
	amount            money.Amount
}

func (s *Stripe) stored(ctx context.Context, key string) (*storedSession, error) {
	ss := &storedSession{}
	var amount int64
	err := s.db.QueryRowContext(ctx, "SELECT session_id, url, amount, currency FROM stripe_sessions WHERE attempt_key = $1", key).
		Scan(&ss.id, &ss.url, &amount, &ss.currency)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	ss.amount = money.Amount(amount)
	return ss, err
}

// StartHosted opens a Checkout Session for c, once per c.Key: a retried
// step finds the stored session, and two racing ones send Stripe the same
// idempotency key and keep the first session stored. The shopper comes
// back to returnURL whether they paid or cancelled; Vitrin then asks
// Stripe by the stored session, so the return carries nothing it trusts.
func (s *Stripe) StartHosted(ctx context.Context, c Charge, returnURL string) (string, error) {
	if u, err := url.Parse(returnURL); err != nil || !u.IsAbs() {
		// Nothing is charged, and the option cannot work until the
		// merchant fixes it: the shopper is told to pay another way.
		slog.Error("stripe needs the storefront's absolute address to send shoppers back: set --storefront-url", "return_url", returnURL)
		return "", &Declined{Reason: "This payment option is not available now."}
	}
	ss, err := s.stored(ctx, c.Key)
	if err == nil && ss == nil {
		var sess HostedSession
		if sess, err = s.StartSession(ctx, c.Key, c.Amount, c.Currency, returnURL, returnURL); err != nil {
			return "", err
		}
		_, err = s.db.ExecContext(ctx, `INSERT INTO stripe_sessions (attempt_key, session_id, url, amount, currency, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (attempt_key) DO NOTHING`,
			c.Key, sess.ID, sess.URL, int64(c.Amount), c.Currency, s.now().UTC())
		if err == nil {
			ss, err = s.stored(ctx, c.Key)
		}
	}
	if err != nil {
		return "", err
	}
	if ss.amount != c.Amount || ss.currency != c.Currency {
		return "", fmt.Errorf("stripe: attempt %s has a session for %s %s, not %s %s", c.Key, ss.amount, ss.currency, c.Amount, c.Currency)
	}
	return ss.url, nil
}

// CompleteHosted asks Stripe about the session of key: paid, the payment
// (for exactly the amount the session was opened for); expired, a
// *Declined; open (or paid by a method that has not cleared yet), not
// paid and no error.
func (s *Stripe) CompleteHosted(ctx context.Context, key string) (Payment, bool, error) {
	ss, err := s.stored(ctx, key)
	if err != nil {
		return Payment{}, false, err
	}
	if ss == nil {
		return Payment{}, false, &Declined{Reason: "There is no payment page for this payment."}
	}
	got, err := s.Confirm(ctx, ss.id)
	if err != nil {
		return Payment{}, false, err
	}
	if _, err := s.db.ExecContext(ctx, "UPDATE stripe_sessions SET status = $1 WHERE attempt_key = $2 AND status <> $1", got.status, key); err != nil {
		return Payment{}, false, err
	}
	switch {
	case got.paid && (got.payment.Amount != ss.amount || got.currency != ss.currency):
		return Payment{}, false, fmt.Errorf("stripe: session %s was paid %s %s, not %s %s", ss.id, got.payment.Amount, got.currency, ss.amount, ss.currency)
	case got.paid:
		return got.payment, true, nil
	case got.status == string(stripe.CheckoutSessionStatusExpired):
		return Payment{}, false, &Declined{Reason: "The payment page expired without a payment."}
	}
	return Payment{}, false, nil
}

// Lookup reports whether the session of key was paid. A session still
// open is expired first, so that no payment can come in once the caller
// gives the reservation up; one that Stripe completed meanwhile is paid.
// A key with no session was never charged: Stripe takes no cards.
func (s *Stripe) Lookup(ctx context.Context, key string) (Payment, bool, error) {
	p, paid, err := s.CompleteHosted(ctx, key)
	if err == nil && !paid {
		if err := s.expire(ctx, key); err != nil {
			return Payment{}, false, err
		}
		p, paid, err = s.CompleteHosted(ctx, key)
		if err == nil && !paid {
			return Payment{}, false, errors.New("stripe: the payment page is still open")
		}
	}
	if errors.As(err, new(*Declined)) {
		return Payment{}, false, nil
	}
	return p, paid, err
}

// expire closes the open session of key. Stripe refuses to expire a
// session that is complete; the caller asks again and finds it paid.
func (s *Stripe) expire(ctx context.Context, key string) error {
	ss, err := s.stored(ctx, key)
	if err != nil || ss == nil {
		return err
	}
	_, err = s.client.V1CheckoutSessions.Expire(ctx, ss.id, &stripe.CheckoutSessionExpireParams{})
	if err = stripeError(err); errors.As(err, new(*Declined)) {
		return nil
	}
	return err
}

// ParseEvent verifies a webhook delivery (see VerifyEvent) and says what
// it is about. A session that Vitrin did not open is about nothing.
func (s *Stripe) ParseEvent(ctx context.Context, payload []byte, signature string) (HostedEvent, error) {
	e, err := s.VerifyEvent(payload, signature)
	if err != nil {
		return HostedEvent{}, err
	}
	ev := HostedEvent{ID: e.ID, Type: string(e.Type)}
	switch e.Type {
	case "checkout.session.completed", "checkout.session.expired", "checkout.session.async_payment_succeeded":
		var sess stripe.CheckoutSession
		if err := json.Unmarshal(e.Data.Raw, &sess); err != nil {
			return HostedEvent{}, ErrBadEvent
		}
		err = s.db.QueryRowContext(ctx, "SELECT attempt_key FROM stripe_sessions WHERE session_id = $1", sess.ID).Scan(&ev.Key)
		if errors.Is(err, sql.ErrNoRows) {
			return ev, nil
		}
		ev.Kind = EventSession
		return ev, err
	case "payment_intent.payment_failed":
		var pi stripe.PaymentIntent
		if err := json.Unmarshal(e.Data.Raw, &pi); err != nil {
			return HostedEvent{}, ErrBadEvent
		}
		if ev.Key = pi.Metadata[attemptMetadata]; ev.Key != "" {
			ev.Kind, ev.Note = EventFailed, "a payment try failed at Stripe"
			if pi.LastPaymentError != nil && pi.LastPaymentError.Msg != "" {
				ev.Note += ": " + pi.LastPaymentError.Msg
			}
		}
	case "charge.refunded":
		var ch stripe.Charge
		if err := json.Unmarshal(e.Data.Raw, &ch); err != nil {
			return HostedEvent{}, ErrBadEvent
		}
		if ch.PaymentIntent != nil && ch.PaymentIntent.ID != "" {
			ev.Kind, ev.Reference, ev.Refunded = EventRefunded, ch.PaymentIntent.ID, money.Amount(ch.AmountRefunded)
		}
	}
	return ev, nil
}

var _ Hosted = (*Stripe)(nil)
