package payment

import (
	"context"
	"database/sql"
	"errors"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/token"
)

// Hosted is a gateway with a payment page of its own (a payment option
// of type "redirection"): the shopper pays there, not in the storefront,
// and comes back through the storefront to the checkout.
type Hosted interface {
	// StartHosted opens the provider's page for c (which has no card) and
	// returns its URL; the shopper comes back to returnURL. It is
	// idempotent per c.Key: asked again, it answers the same page.
	StartHosted(ctx context.Context, c Charge, returnURL string) (pageURL string, err error)
	// CompleteHosted asks the provider what became of the page opened
	// under key: paid, or a *Declined when the shopper cancelled or the
	// payment failed; paid false with no error while the page is still
	// open. What the shopper's return carried is never asked.
	CompleteHosted(ctx context.Context, key string) (p Payment, paid bool, err error)
}

// HostedPath is the sandbox's hosted payment page; the id follows it.
const HostedPath = "/payment/sandbox/hosted/"

// outcomeHosted marks a session of the sandbox's hosted page among its
// bank sessions: it has no card; the shopper's decision on the page is
// the payment.
const outcomeHosted = "hosted"

// StartHosted opens a session of the sandbox's hosted page, once per key.
func (s *Sandbox) StartHosted(ctx context.Context, c Charge, returnURL string) (string, error) {
	_, err := s.db.ExecContext(ctx, `INSERT INTO sandbox_three_d (token, idempotency_key, amount, currency, outcome, return_url, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (idempotency_key) WHERE outcome = 'hosted' DO NOTHING`,
		token.New(32), c.Key, int64(c.Amount), c.Currency, outcomeHosted, returnURL, s.now().UTC())
	if err != nil {
		return "", err
	}
	var id string
	err = s.db.QueryRowContext(ctx, "SELECT token FROM sandbox_three_d WHERE idempotency_key = $1 AND outcome = $2",
		c.Key, outcomeHosted).Scan(&id)
	return HostedPath + id + "/", err
}

// CompleteHosted charges what the shopper paid on the hosted page of
// key: the decision the page recorded decides.
func (s *Sandbox) CompleteHosted(ctx context.Context, key string) (Payment, bool, error) {
	var amount int64
	var currency, decision string
	err := s.db.QueryRowContext(ctx, `SELECT amount, currency, decision FROM sandbox_three_d
		WHERE idempotency_key = $1 AND outcome = $2`, key, outcomeHosted).Scan(&amount, &currency, &decision)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Payment{}, false, &Declined{Reason: "There is no payment page for this payment."}
	case err != nil:
		return Payment{}, false, err
	case decision == "declined":
		return Payment{}, false, &Declined{Reason: "The payment was cancelled."}
	case decision != "approved":
		return Payment{}, false, nil
	}
	p, err := s.record(ctx, key, money.Amount(amount), currency, 1, "", "")
	return p, err == nil, err
}

// HostedSession returns a session of the sandbox's hosted page.
func (s *Sandbox) HostedSession(ctx context.Context, id string) (*BankSession, error) {
	b := &BankSession{Token: id}
	var amount int64
	err := s.db.QueryRowContext(ctx, `SELECT amount, currency, return_url, decision FROM sandbox_three_d
		WHERE token = $1 AND outcome = $2`, id, outcomeHosted).Scan(&amount, &b.Currency, &b.ReturnURL, &b.Decision)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperror.ErrNotFound
	}
	b.Amount = money.Amount(amount)
	return b, err
}

// Kinds of HostedEvent.
const (
	// EventSession: a hosted page was paid, expired or closed. What
	// became of it is asked of the provider (CompleteHosted), whatever
	// the event said and in whatever order events arrive.
	EventSession = "session"
	// EventFailed: a try on the page failed; the shopper may try again
	// while the page is open, so nothing is released.
	EventFailed = "failed"
	// EventRefunded: a payment was refunded, by Vitrin or elsewhere.
	EventRefunded = "refunded"
)

// HostedEvent is what a provider's signed webhook told, in Vitrin's
// terms. Kind is empty for an event about nothing of Vitrin's.
type HostedEvent struct {
	ID, Type string // the provider's event id and type: an event is handled once
	Kind     string
	Key      string // the checkout attempt of EventSession and EventFailed
	Note     string // why a try failed (EventFailed)
	// Reference is the refunded payment and Refunded all that was
	// refunded of it so far (EventRefunded).
	Reference string
	Refunded  money.Amount
}
