package api

import (
	"errors"
	"io"
	"net/http"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/payment"
)

// StripeWebhookPath is where Stripe delivers its events.
const StripeWebhookPath = "/payments/stripe/webhook/"

// stripeEventLimit bounds a webhook delivery's body: Stripe's events of a
// Checkout Session are a few kilobytes.
const stripeEventLimit = 256 << 10

var errBadStripeEvent = &apperror.Problem{Status: http.StatusBadRequest, Code: "bad_signature",
	Detail: "The event is not signed by Stripe with this endpoint's secret, or is too old."}

// stripeWebhook takes an event from Stripe: a paid or expired Checkout
// Session, a failed try, a refund. Only Stripe's signature counts; what
// the event says of a session is asked of Stripe again before anything
// changes. An error answers 4xx/5xx and Stripe delivers it again.
func (s *Server) stripeWebhook(w http.ResponseWriter, r *http.Request) error {
	if s.svc.Stripe == nil {
		return apperror.ErrNotFound
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, stripeEventLimit))
	if err != nil {
		return &apperror.Problem{Status: http.StatusRequestEntityTooLarge, Detail: "The event is too large."}
	}
	e, err := s.svc.Stripe.ParseEvent(r.Context(), body, r.Header.Get("Stripe-Signature"))
	if errors.Is(err, payment.ErrBadSignature) || errors.Is(err, payment.ErrBadEvent) {
		return errBadStripeEvent
	}
	if err != nil {
		return err
	}
	if err := s.checkout.PaymentEvent(r.Context(), "stripe", e); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]bool{"received": true})
}
