// Package subscription owns newsletter subscriptions with double opt-in:
// an address is subscribed only once a link mailed to it is opened, and
// every marketing mail carries a link that unsubscribes it.
package subscription

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/account"
	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/mail"
	"github.com/vitrin/vitrin/internal/ratelimit"
	"github.com/vitrin/vitrin/internal/token"
)

// Status of a subscription.
const (
	Pending      = "pending"
	Confirmed    = "confirmed"
	Unsubscribed = "unsubscribed"
)

// Service subscribes, confirms and unsubscribes addresses.
type Service struct {
	db     *database.DB
	mailer *mail.Mailer
	now    func() time.Time
	// ConfirmTTL is how long a confirmation link works.
	ConfirmTTL time.Duration
}

func NewService(db *database.DB, mailer *mail.Mailer) *Service {
	return &Service{db: db, mailer: mailer, now: time.Now, ConfirmTTL: 72 * time.Hour}
}

var (
	perClient  = ratelimit.Limit{Max: 30, Window: time.Hour}
	perAddress = ratelimit.Limit{Max: 3, Window: time.Hour}
)

// Subscribe asks an address to confirm its subscription. An address
// already confirmed stays as it is and is mailed nothing.
func (s *Service) Subscribe(ctx context.Context, rawEmail string, consent bool, language, clientAddr string) error {
	errs := apperror.Fields{}
	email, err := account.NormalizeEmail(rawEmail)
	if err != nil {
		errs.Add("email", err.Error())
	}
	if !consent {
		errs.Add("subscribe_contract", "This field is required.")
	}
	if len(errs) > 0 {
		return errs
	}
	lower := strings.ToLower(email)
	if err := ratelimit.Hit(ctx, s.db, "subscribe-client:"+clientAddr, perClient); err != nil {
		return err
	}
	// Read the secret outside the transaction: on SQLite the transaction
	// holds the write lock that creating the secret would need.
	secret, err := s.secret(ctx)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO email_subscriptions (email, email_lower, language, status, created_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email_lower) DO NOTHING`, email, lower, language, Pending, now); err != nil {
			return err
		}
		var id int64
		var status string
		if err := tx.QueryRowContext(ctx, "SELECT id, status FROM email_subscriptions WHERE email_lower = $1"+s.db.ForUpdate(),
			lower).Scan(&id, &status); err != nil {
			return err
		}
		if status == Confirmed {
			return nil
		}
		if err := ratelimit.Hit(ctx, tx, "subscribe-addr:"+lower, perAddress); err != nil {
			return err
		}
		t := token.New(43)
		if _, err := tx.ExecContext(ctx, `UPDATE email_subscriptions SET status = $1, email = $2, language = $3,
			confirm_token_hash = $4, confirm_expires_at = $5 WHERE id = $6`,
			Pending, email, language, token.Hash(t), now.Add(s.ConfirmTTL), id); err != nil {
			return err
		}
		unsubscribe := s.unsubscribeLink(secret, id)
		return s.mailer.Queue(ctx, tx, mail.Letter{
			Template: "subscription_confirm", Language: language, To: email,
			Headers: map[string]string{"List-Unsubscribe": "<" + unsubscribe + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
			Data: map[string]any{"Email": email, "Hours": int(s.ConfirmTTL / time.Hour),
				"Link": s.mailer.Link("/email-subscription/confirm/" + t + "/"), "UnsubscribeLink": unsubscribe},
		})
	})
}

var errInvalidLink = apperror.Fields{"non_field_errors": {"The link is invalid, has expired or has already been used."}}

// Confirm completes a subscription from its mailed link. A registered
// customer with that address is marked as allowing e-mail.
func (s *Service) Confirm(ctx context.Context, t string) error {
	if len(t) != 43 || !token.IsAlnum(t) {
		return errInvalidLink
	}
	now := s.now().UTC()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var lower string
		err := tx.QueryRowContext(ctx, `UPDATE email_subscriptions SET status = $1, confirmed_at = $2,
			confirm_token_hash = NULL, confirm_expires_at = NULL
			WHERE confirm_token_hash = $3 AND status = $4 AND confirm_expires_at > $2 RETURNING email_lower`,
			Confirmed, now, token.Hash(t), Pending).Scan(&lower)
		if errors.Is(err, sql.ErrNoRows) {
			return errInvalidLink
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE customers SET email_allowed = TRUE WHERE email_lower = $1", lower)
		return err
	})
}

// Unsubscribe ends a subscription from the link in a mail. Opening the
// link again changes nothing.
func (s *Service) Unsubscribe(ctx context.Context, id int64, signature string) error {
	secret, err := s.secret(ctx)
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(sign(secret, id)), []byte(signature)) {
		return apperror.ErrNotFound
	}
	now := s.now().UTC()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var lower string
		err := tx.QueryRowContext(ctx, `UPDATE email_subscriptions SET status = $1, unsubscribed_at = $2,
			confirm_token_hash = NULL, confirm_expires_at = NULL WHERE id = $3 RETURNING email_lower`,
			Unsubscribed, now, id).Scan(&lower)
		if errors.Is(err, sql.ErrNoRows) {
			return apperror.ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE customers SET email_allowed = FALSE WHERE email_lower = $1", lower)
		return err
	})
}

// unsubscribeLink is the link that marketing mail to the subscription
// carries. It is derived, not stored, so any mail can be given one; it
// only ever unsubscribes that one address.
func (s *Service) unsubscribeLink(secret string, id int64) string {
	return s.mailer.Link("/email-subscription/unsubscribe/" + strconv.FormatInt(id, 10) + "/" + sign(secret, id) + "/")
}

func (s *Service) secret(ctx context.Context) (string, error) {
	return s.db.Setting(ctx, "secret_key", func() string { return token.New(50) })
}

// sign is the HMAC of a subscription id under the store's secret.
func sign(secret string, id int64) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("email-subscription-unsubscribe:" + strconv.FormatInt(id, 10)))
	return hex.EncodeToString(mac.Sum(nil))
}
