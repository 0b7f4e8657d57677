package payment

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/vitrin/vitrin/internal/config"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/money"
)

// WebhookTolerance is how old a webhook's signature may be: an older one
// is a replay, refused.
const WebhookTolerance = 5 * time.Minute

// StripeSettings connect Vitrin to a Stripe account. APIBase is empty for
// Stripe itself; tests name a stripe-mock.
type StripeSettings struct {
	SecretKey, WebhookSecret, APIBase string
}

// Stripe is a hosted payment provider: the shopper pays on a Stripe
// Checkout page, and Vitrin asks Stripe (never the returning browser)
// whether they paid. Every call carries an idempotency key, so a retried
// step never opens a second session or refunds twice.
type Stripe struct {
	db            *database.DB // the sessions opened (stripe_sessions)
	client        *stripe.Client
	webhookSecret string
	now           func() time.Time
}

// StripeFrom is the configured Stripe account, or nil without a secret key.
func StripeFrom(cfg *config.Config, db *database.DB) *Stripe {
	if cfg.StripeSecretKey == "" {
		return nil
	}
	return NewStripe(db, StripeSettings{SecretKey: cfg.StripeSecretKey, WebhookSecret: cfg.StripeWebhookSecret, APIBase: cfg.StripeAPIURL})
}

func NewStripe(db *database.DB, s StripeSettings) *Stripe {
	var opts []stripe.ClientOption
	if s.APIBase != "" {
		api := stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{
			URL: stripe.String(strings.TrimRight(s.APIBase, "/")), LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull}})
		opts = append(opts, stripe.WithBackends(&stripe.Backends{API: api, Connect: api, Uploads: api, MeterEvents: api}))
	}
	return &Stripe{db: db, client: stripe.NewClient(s.SecretKey, opts...), webhookSecret: s.WebhookSecret, now: time.Now}
}

// HostedSession is a payment page at the provider.
type HostedSession struct {
	ID, URL string
}

// StartSession opens a Checkout Session for exactly amount in currency.
// The same key answers the same session: Stripe keeps idempotency keys
// for 24 hours.
func (s *Stripe) StartSession(ctx context.Context, key string, amount money.Amount, currency, successURL, cancelURL string) (HostedSession, error) {
	params := &stripe.CheckoutSessionCreateParams{
		Mode:              stripe.String(string(stripe.CheckoutSessionModePayment)),
		ClientReferenceID: stripe.String(key),
		SuccessURL:        stripe.String(successURL),
		CancelURL:         stripe.String(cancelURL),
		// A failed try on the page is told of by its PaymentIntent, which
		// names the attempt so.
		PaymentIntentData: &stripe.CheckoutSessionCreatePaymentIntentDataParams{Metadata: map[string]string{attemptMetadata: key}},
		LineItems: []*stripe.CheckoutSessionCreateLineItemParams{{
			Quantity: stripe.Int64(1),
			PriceData: &stripe.CheckoutSessionCreateLineItemPriceDataParams{
				Currency:    stripe.String(strings.ToLower(currency)),
				UnitAmount:  stripe.Int64(int64(amount)),
				ProductData: &stripe.CheckoutSessionCreateLineItemPriceDataProductDataParams{Name: stripe.String("Order")},
			},
		}},
	}
	params.SetIdempotencyKey("session-" + key)
	sess, err := s.client.V1CheckoutSessions.Create(ctx, params)
	if err != nil {
		return HostedSession{}, stripeError(err)
	}
	return HostedSession{ID: sess.ID, URL: sess.URL}, nil
}

// stripeSession is what Stripe says of a Checkout Session now.
type stripeSession struct {
	status   string // open, complete or expired
	paid     bool
	payment  Payment
	currency string
}

// Confirm asks Stripe about a session. The payment's reference is its
// PaymentIntent, which refunds name.
func (s *Stripe) Confirm(ctx context.Context, sessionID string) (stripeSession, error) {
	params := &stripe.CheckoutSessionRetrieveParams{}
	params.AddExpand("payment_intent")
	sess, err := s.client.V1CheckoutSessions.Retrieve(ctx, sessionID, params)
	if err != nil {
		return stripeSession{}, stripeError(err)
	}
	got := stripeSession{status: string(sess.Status), currency: strings.ToUpper(string(sess.Currency))}
	if sess.PaymentStatus == stripe.CheckoutSessionPaymentStatusPaid && sess.PaymentIntent != nil {
		got.paid = true
		got.payment = Payment{Reference: sess.PaymentIntent.ID, Brand: "stripe", Amount: money.Amount(sess.AmountTotal)}
	}
	return got, nil
}

// Refund gives amount of a PaymentIntent back, once per key.
func (s *Stripe) Refund(ctx context.Context, key, reference string, amount money.Amount) error {
	params := &stripe.RefundCreateParams{PaymentIntent: stripe.String(reference), Amount: stripe.Int64(int64(amount))}
	params.SetIdempotencyKey("refund-" + key)
	_, err := s.client.V1Refunds.Create(ctx, params)
	return stripeError(err)
}

// Stripe takes no card numbers: its payments are made on its own page.
var errHostedOnly = &Declined{Reason: "This payment option is paid on the provider's page."}

func (s *Stripe) Charge(context.Context, Charge) (Payment, error) { return Payment{}, errHostedOnly }

func (s *Stripe) StartThreeD(context.Context, Charge, string) (ThreeD, error) {
	return ThreeD{}, errHostedOnly
}

func (s *Stripe) CompleteThreeD(context.Context, string, map[string]string) (Payment, error) {
	return Payment{}, errHostedOnly
}

// stripeError maps Stripe's answer onto the gateway's: a refusal of the
// request itself (a card declined, a refund larger than the charge) is
// final; anything else (network, rate limits, Stripe's own errors) may
// work later.
func stripeError(err error) error {
	if err == nil {
		return nil
	}
	var se *stripe.Error
	if errors.As(err, &se) && (se.Type == stripe.ErrorTypeCard || se.Type == stripe.ErrorTypeInvalidRequest) &&
		se.HTTPStatusCode != 0 && se.HTTPStatusCode != 429 && se.HTTPStatusCode < 500 {
		return &Declined{Reason: "stripe: " + se.Msg}
	}
	return errors.Join(ErrUnavailable, err)
}

// ErrBadSignature is a webhook delivery that Stripe did not sign with the
// configured secret within WebhookTolerance.
var ErrBadSignature = errors.New("the Stripe-Signature header does not match the payload or is too old")

// ErrBadEvent is a signed delivery whose object is not what its type says.
var ErrBadEvent = errors.New("the event's object does not match its type")

// VerifyEvent checks a webhook delivery's signature: Stripe signed it
// with the configured secret within WebhookTolerance.
func (s *Stripe) VerifyEvent(payload []byte, signature string) (stripe.Event, error) {
	e, err := webhook.ConstructEventWithOptions(payload, signature, s.webhookSecret,
		webhook.ConstructEventOptions{Tolerance: WebhookTolerance, IgnoreAPIVersionMismatch: true})
	if err != nil || e.ID == "" {
		return stripe.Event{}, ErrBadSignature
	}
	return e, nil
}

// RecordEvent notes a webhook event as handled, in the transaction that
// handles it; first is false for an event handled before. Stripe delivers
// at least once, and a second delivery must change nothing.
func RecordEvent(ctx context.Context, q database.Querier, id, typ string, now time.Time) (first bool, err error) {
	res, err := q.ExecContext(ctx, "INSERT INTO stripe_events (id, type, received_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
		id, typ, now.UTC())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// EventSeen reports whether a webhook event was handled already.
func EventSeen(ctx context.Context, q database.Querier, id string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM stripe_events WHERE id = $1", id).Scan(&n)
	return n > 0, err
}
