// Package credential owns the single-use links Vitrin mails to customers:
// password reset, e-mail change and address confirmation. A link's token
// is random, stored only as a hash, bound to one customer, one purpose and
// one address, expires, and is consumed by an atomic update, so two
// requests racing with the same link succeed once.
package credential

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/token"
)

// Purpose says what a token may do; a token of one purpose never does
// another's work.
type Purpose string

const (
	PasswordReset Purpose = "password_reset"
	EmailChange   Purpose = "email_change"
	EmailConfirm  Purpose = "email_confirm"
)

// tokenLength gives about 256 bits of randomness.
const tokenLength = 43

// grant is what a valid token names.
type grant struct {
	customerID int64
	email      string
}

// issue creates a token and returns it; only its hash is stored.
func issue(ctx context.Context, q database.Querier, customerID int64, purpose Purpose, email string, now time.Time, ttl time.Duration) (string, error) {
	t := token.New(tokenLength)
	_, err := q.ExecContext(ctx, `INSERT INTO customer_tokens (customer_id, purpose, token_hash, email, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, customerID, string(purpose), token.Hash(t), email, now, now.Add(ttl))
	return t, err
}

// wellFormed rejects what cannot be a token before it reaches the database.
func wellFormed(t string) bool { return len(t) == tokenLength && token.IsAlnum(t) }

// peek returns what a usable token grants without using it.
func peek(ctx context.Context, q database.Querier, purpose Purpose, t string, now time.Time) (grant, error) {
	if !wellFormed(t) {
		return grant{}, errInvalidLink(purpose)
	}
	var g grant
	err := q.QueryRowContext(ctx, `SELECT customer_id, email FROM customer_tokens
		WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3`,
		token.Hash(t), string(purpose), now).Scan(&g.customerID, &g.email)
	if errors.Is(err, sql.ErrNoRows) {
		return grant{}, errInvalidLink(purpose)
	}
	return g, err
}

// consume uses a token: of two requests racing with one token, exactly one
// gets the grant.
func consume(ctx context.Context, q database.Querier, purpose Purpose, t string, now time.Time) (grant, error) {
	if !wellFormed(t) {
		return grant{}, errInvalidLink(purpose)
	}
	var g grant
	err := q.QueryRowContext(ctx, `UPDATE customer_tokens SET used_at = $1
		WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1
		RETURNING customer_id, email`, now, token.Hash(t), string(purpose)).Scan(&g.customerID, &g.email)
	if errors.Is(err, sql.ErrNoRows) {
		return grant{}, errInvalidLink(purpose)
	}
	return g, err
}

// retire ends a customer's other open tokens of a purpose: only the newest
// link works, and a used link takes its siblings with it.
func retire(ctx context.Context, q database.Querier, customerID int64, purpose Purpose, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE customer_tokens SET used_at = $1
		WHERE customer_id = $2 AND purpose = $3 AND used_at IS NULL`, now, customerID, string(purpose))
	return err
}

// Purge deletes tokens that expired more than a day ago.
func Purge(ctx context.Context, q database.Querier) error {
	_, err := q.ExecContext(ctx, "DELETE FROM customer_tokens WHERE expires_at < $1", time.Now().UTC().Add(-24*time.Hour))
	return err
}

func errInvalidLink(purpose Purpose) error {
	msg := "The link is invalid, has expired or has already been used."
	if purpose == PasswordReset {
		msg = "The password reset link is invalid, has expired or has already been used. Please request a new one."
	}
	return apperror.Fields{"non_field_errors": {msg}}
}

func sameAddress(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}
