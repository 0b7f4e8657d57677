package payment

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/token"
)

// The sandbox's test cards (contract: akinon-api.md, sandbox gateway).
const (
	outcomeApprove      = "approve"
	outcomeThreeDOnly   = "three_d_only"
	outcomeDecline      = "decline"
	outcomeInsufficient = "insufficient_funds"
	outcomeError        = "gateway_error"
)

var testCards = map[string]string{
	"4000000000003220": outcomeThreeDOnly,
	"4000000000000002": outcomeDecline,
	"4000000000009995": outcomeInsufficient,
	"4000000000000119": outcomeError,
}

func cardOutcome(number string) string {
	if o, ok := testCards[number]; ok {
		return o
	}
	return outcomeApprove
}

// Sandbox is Vitrin's built-in gateway. It keeps a ledger of its own
// (sandbox_charges) as a real gateway does on its side, so charges are
// idempotent per key and refunds are checked against what was charged.
// Its bank page is served by Vitrin at BankPath.
type Sandbox struct {
	db  *database.DB
	now func() time.Time
}

// BankPath is the sandbox bank's 3-D Secure page; the id follows it.
const BankPath = "/payment/sandbox/bank/"

func NewSandbox(db *database.DB) *Sandbox { return &Sandbox{db: db, now: time.Now} }

func declinedBy(outcome string) error {
	switch outcome {
	case outcomeDecline:
		return &Declined{Reason: "The card was declined by the bank."}
	case outcomeInsufficient:
		return &Declined{Reason: "The card was declined: insufficient funds."}
	case outcomeThreeDOnly:
		return &Declined{Reason: "This card must be paid with 3-D Secure."}
	case outcomeError:
		return ErrUnavailable
	}
	return nil
}

// record writes the charge once per key; a repeated key returns the
// charge already made.
func (s *Sandbox) record(ctx context.Context, key string, amount money.Amount, currency string, installments int, brand, last4 string) (Payment, error) {
	p := Payment{Reference: "sbx_" + token.New(20), Brand: brand, LastFour: last4, Amount: amount}
	_, err := s.db.ExecContext(ctx, `INSERT INTO sandbox_charges (reference, idempotency_key, amount, currency, installments, brand, last_four, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (idempotency_key) DO NOTHING`,
		p.Reference, key, int64(amount), currency, installments, brand, last4, s.now().UTC())
	if err != nil {
		return Payment{}, err
	}
	var stored int64
	err = s.db.QueryRowContext(ctx, "SELECT reference, brand, last_four, amount FROM sandbox_charges WHERE idempotency_key = $1", key).
		Scan(&p.Reference, &p.Brand, &p.LastFour, &stored)
	p.Amount = money.Amount(stored)
	return p, err
}

func (s *Sandbox) Charge(ctx context.Context, c Charge) (Payment, error) {
	number := Digits(c.Card.Number)
	if err := declinedBy(cardOutcome(number)); err != nil {
		return Payment{}, err
	}
	return s.record(ctx, c.Key, c.Amount, c.Currency, c.Installments, Brand(number), lastFour(number))
}

// StartThreeD opens a bank session. The card's outcome class is kept, not
// the card.
func (s *Sandbox) StartThreeD(ctx context.Context, c Charge, returnURL string) (ThreeD, error) {
	number := Digits(c.Card.Number)
	outcome := cardOutcome(number)
	if outcome == outcomeError {
		return ThreeD{}, ErrUnavailable
	}
	id := token.New(32)
	_, err := s.db.ExecContext(ctx, `INSERT INTO sandbox_three_d (token, idempotency_key, amount, currency, installments, brand, last_four, outcome, return_url, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		id, c.Key, int64(c.Amount), c.Currency, c.Installments, Brand(number), lastFour(number), outcome, returnURL, s.now().UTC())
	if err != nil {
		return ThreeD{}, err
	}
	return ThreeD{Action: BankPath + id + "/", Fields: map[string]string{"amount": c.Amount.String(), "currency": c.Currency}}, nil
}

// BankSession is what the sandbox bank page shows.
type BankSession struct {
	Token, Currency, Brand, LastFour, ReturnURL, Decision string
	Amount                                                money.Amount
}

// Bank returns a 3-D Secure session of the sandbox bank.
func (s *Sandbox) Bank(ctx context.Context, id string) (*BankSession, error) {
	b := &BankSession{Token: id}
	var amount int64
	err := s.db.QueryRowContext(ctx, `SELECT amount, currency, brand, last_four, return_url, decision FROM sandbox_three_d WHERE token = $1`, id).
		Scan(&amount, &b.Currency, &b.Brand, &b.LastFour, &b.ReturnURL, &b.Decision)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperror.ErrNotFound
	}
	b.Amount = money.Amount(amount)
	return b, err
}

// Decide records the shopper's answer on the bank page (approve or
// decline), once.
func (s *Sandbox) Decide(ctx context.Context, id string, approve bool) error {
	decision := "declined"
	if approve {
		decision = "approved"
	}
	res, err := s.db.ExecContext(ctx, "UPDATE sandbox_three_d SET decision = $1 WHERE token = $2 AND decision = 'pending'", decision, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.Bank(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// CompleteThreeD charges what the bank session authenticated. The posted
// token only names the session; the decision recorded by the bank page and
// the card's outcome decide.
func (s *Sandbox) CompleteThreeD(ctx context.Context, key string, posted map[string]string) (Payment, error) {
	var (
		amount                                    int64
		currency, brand, last4, outcome, decision string
		installments                              int
	)
	err := s.db.QueryRowContext(ctx, `SELECT amount, currency, installments, brand, last_four, outcome, decision
		FROM sandbox_three_d WHERE token = $1 AND idempotency_key = $2`, posted["three_d_token"], key).
		Scan(&amount, &currency, &installments, &brand, &last4, &outcome, &decision)
	if errors.Is(err, sql.ErrNoRows) {
		return Payment{}, &Declined{Reason: "The 3-D Secure session is unknown or belongs to another payment."}
	}
	if err != nil {
		return Payment{}, err
	}
	switch decision {
	case "pending":
		return Payment{}, &Declined{Reason: "3-D Secure authentication was not completed."}
	case "declined":
		return Payment{}, &Declined{Reason: "3-D Secure authentication failed."}
	}
	if outcome != outcomeThreeDOnly {
		if err := declinedBy(outcome); err != nil {
			return Payment{}, err
		}
	}
	return s.record(ctx, key, money.Amount(amount), currency, installments, brand, last4)
}

// Lookup reports the charge recorded under key, if any: a payment on the
// hosted page whose shopper never came back to the shop is charged here.
func (s *Sandbox) Lookup(ctx context.Context, key string) (Payment, bool, error) {
	var p Payment
	var amount int64
	err := s.db.QueryRowContext(ctx, "SELECT reference, brand, last_four, amount FROM sandbox_charges WHERE idempotency_key = $1", key).
		Scan(&p.Reference, &p.Brand, &p.LastFour, &amount)
	if errors.Is(err, sql.ErrNoRows) {
		p, paid, err := s.CompleteHosted(ctx, key)
		var declined *Declined
		if errors.As(err, &declined) {
			return Payment{}, false, nil
		}
		return p, paid, err
	}
	p.Amount = money.Amount(amount)
	return p, err == nil, err
}

// Refund gives back part or all of a charge, never more than was charged,
// once per key: the key is recorded with the refund in one transaction, so
// a repeated key finds it and refunds nothing more.
func (s *Sandbox) Refund(ctx context.Context, key, reference string, amount money.Amount) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO sandbox_refunds (idempotency_key, reference, amount, created_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT (idempotency_key) DO NOTHING`, key, reference, int64(amount), s.now().UTC())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var storedReference string
			var storedAmount int64
			err := tx.QueryRowContext(ctx, "SELECT reference, amount FROM sandbox_refunds WHERE idempotency_key = $1", key).
				Scan(&storedReference, &storedAmount)
			if err != nil {
				return err
			}
			if storedReference != reference || money.Amount(storedAmount) != amount {
				return &Declined{Reason: "sandbox: the refund key was used for another refund"}
			}
			return nil
		}
		res, err = tx.ExecContext(ctx, "UPDATE sandbox_charges SET refunded = refunded + $1 WHERE reference = $2 AND refunded + $1 <= amount",
			int64(amount), reference)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &Declined{Reason: "sandbox: refund exceeds the charge or the charge is unknown"}
		}
		return nil
	})
}
