package credential

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/account"
	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/mail"
	"github.com/vitrin/vitrin/internal/privacy"
	"github.com/vitrin/vitrin/internal/ratelimit"
	"github.com/vitrin/vitrin/internal/session"
)

// Service runs the flows behind the mailed links.
type Service struct {
	db       *database.DB
	accounts *account.Service
	sessions *session.Store
	mailer   *mail.Mailer
	now      func() time.Time

	// ResetTTL, ChangeTTL and ConfirmTTL are how long each kind of link works.
	ResetTTL, ChangeTTL, ConfirmTTL time.Duration
}

func NewService(db *database.DB, accounts *account.Service, sessions *session.Store, mailer *mail.Mailer) *Service {
	return &Service{
		db: db, accounts: accounts, sessions: sessions, mailer: mailer, now: time.Now,
		ResetTTL: time.Hour, ChangeTTL: 24 * time.Hour, ConfirmTTL: 7 * 24 * time.Hour,
	}
}

// Throttles on requests that mail an address someone typed: per address,
// so nobody floods one mailbox, and per client, so nobody sprays many. A
// storefront's server relays many shoppers from one address, hence the
// higher client limit.
var (
	resetPerAddress  = ratelimit.Limit{Max: 5, Window: time.Hour}
	resetPerClient   = ratelimit.Limit{Max: 50, Window: 15 * time.Minute}
	changePerAccount = ratelimit.Limit{Max: 10, Window: time.Hour}
)

func hours(d time.Duration) int { return max(1, int(d/time.Hour)) }

// RequestPasswordReset mails a reset link if the address belongs to a
// customer. The answer is the same either way, so nobody learns which
// addresses have accounts.
func (s *Service) RequestPasswordReset(ctx context.Context, rawEmail, clientAddr, requestLanguage string) error {
	email, err := account.NormalizeEmail(rawEmail)
	if err != nil {
		return apperror.Field("email", err.Error())
	}
	if err := ratelimit.Hit(ctx, s.db, "reset-addr:"+strings.ToLower(email), resetPerAddress); err != nil {
		return err
	}
	if err := ratelimit.Hit(ctx, s.db, "reset-client:"+clientAddr, resetPerClient); err != nil {
		return err
	}
	c, err := s.accounts.ByEmail(ctx, email)
	if errors.Is(err, apperror.ErrNotFound) || err == nil && privacy.IsAnonymized(c.Email) {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.now().UTC()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := retire(ctx, tx, c.ID, PasswordReset, now); err != nil {
			return err
		}
		t, err := issue(ctx, tx, c.ID, PasswordReset, c.Email, now, s.ResetTTL)
		if err != nil {
			return err
		}
		return s.mailer.Queue(ctx, tx, mail.Letter{
			Template: "password_reset", Language: firstNonEmpty(c.Language, requestLanguage), To: c.Email,
			Data: map[string]any{"Name": c.FirstName, "Link": s.mailer.Link("/users/reset/" + t + "/"), "Hours": hours(s.ResetTTL)},
		})
	})
}

// ResetPassword sets a new password with a reset link's token and ends
// every session of the customer: whoever knew the old password is out.
func (s *Service) ResetPassword(ctx context.Context, t, new1, new2 string) error {
	now := s.now().UTC()
	g, err := peek(ctx, s.db, PasswordReset, t, now)
	if err != nil {
		return err
	}
	c, err := s.accounts.ByID(ctx, g.customerID)
	if err != nil {
		return err
	}
	if !sameAddress(c.Email, g.email) {
		// The address changed since the link was mailed.
		return errInvalidLink(PasswordReset)
	}
	if err := account.CheckNewPassword(new1, new2, c.Email); err != nil {
		return err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := consume(ctx, tx, PasswordReset, t, now); err != nil {
			return err
		}
		if err := retire(ctx, tx, c.ID, PasswordReset, now); err != nil {
			return err
		}
		if err := s.accounts.SetPassword(ctx, tx, c.ID, new1); err != nil {
			return err
		}
		// The link reached the mailbox, so the address is confirmed too.
		if _, err := tx.ExecContext(ctx, "UPDATE customers SET email_verified = TRUE WHERE id = $1", c.ID); err != nil {
			return err
		}
		return s.sessions.EndCustomerSessions(ctx, tx, c.ID, "")
	})
	if err != nil {
		return err
	}
	// The owner proved control of the mailbox: lift a login lock on it.
	return account.NewThrottle(s.db).Succeed(ctx, c.Email)
}

// RequestEmailChange checks the password and that the new address is free,
// and mails a confirmation link to the new address. Nothing changes until
// the link is opened.
func (s *Service) RequestEmailChange(ctx context.Context, customerID int64, rawEmail, confirm, password, requestLanguage string) error {
	if err := ratelimit.Hit(ctx, s.db, "email-change:"+strconv.FormatInt(customerID, 10), changePerAccount); err != nil {
		return err
	}
	c, err := s.accounts.ByID(ctx, customerID)
	if err != nil {
		return err
	}
	errs := apperror.Fields{}
	email, err := account.NormalizeEmail(rawEmail)
	switch {
	case err != nil:
		errs.Add("email", err.Error())
	case !sameAddress(email, strings.TrimSpace(confirm)):
		errs.Add("emailConfirm", "The two e-mail fields didn't match.")
	case sameAddress(email, c.Email):
		errs.Add("email", "This is already your e-mail address.")
	}
	if password == "" {
		errs.Add("password", "This field is required.")
	} else if ok, _ := account.CheckPassword(c.PasswordHash, password); !ok {
		errs.Add("password", "Your password was entered incorrectly. Please enter it again.")
	}
	if len(errs) == 0 {
		if _, err := s.accounts.ByEmail(ctx, email); err == nil {
			errs.Add("email", "A user is already registered with this e-mail address.")
		} else if !errors.Is(err, apperror.ErrNotFound) {
			return err
		}
	}
	if len(errs) > 0 {
		return errs
	}
	now := s.now().UTC()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := retire(ctx, tx, c.ID, EmailChange, now); err != nil {
			return err
		}
		t, err := issue(ctx, tx, c.ID, EmailChange, email, now, s.ChangeTTL)
		if err != nil {
			return err
		}
		return s.mailer.Queue(ctx, tx, mail.Letter{
			Template: "email_change", Language: firstNonEmpty(c.Language, requestLanguage), To: email,
			Data: map[string]any{"Name": c.FirstName, "Email": email, "Hours": hours(s.ChangeTTL),
				"Link": s.mailer.Link("/users/email-set-primary/" + t + "/")},
		})
	})
}

// ConfirmEmailChange makes the address a change link was mailed to the
// customer's login address. The link itself is the proof: it reached that
// mailbox, and it names the one customer who asked.
func (s *Service) ConfirmEmailChange(ctx context.Context, t string) error {
	now := s.now().UTC()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		g, err := consume(ctx, tx, EmailChange, t, now)
		if err != nil {
			return err
		}
		var oldEmail, name, language string
		if err := tx.QueryRowContext(ctx, "SELECT email, first_name, language FROM customers WHERE id = $1"+s.db.ForUpdate(),
			g.customerID).Scan(&oldEmail, &name, &language); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE customers SET email = $1, email_lower = $2, email_verified = TRUE
			WHERE id = $3`, g.email, strings.ToLower(g.email), g.customerID)
		if database.IsUniqueViolation(err) {
			return apperror.Field("email", "A user is already registered with this e-mail address.")
		}
		if err != nil {
			return err
		}
		// Links mailed to the old address stop working.
		for _, p := range []Purpose{EmailChange, PasswordReset, EmailConfirm} {
			if err := retire(ctx, tx, g.customerID, p, now); err != nil {
				return err
			}
		}
		// The old address hears of it: if someone else took the account
		// over, its owner learns at once.
		return s.mailer.Queue(ctx, tx, mail.Letter{
			Template: "email_changed", Language: language, To: oldEmail,
			Data: map[string]any{"Name": name, "Email": g.email},
		})
	})
}

// QueueAccountConfirmation mails a new customer the link that confirms
// their address.
func (s *Service) QueueAccountConfirmation(ctx context.Context, q database.Querier, c *account.Customer, requestLanguage string) error {
	now := s.now().UTC()
	t, err := issue(ctx, q, c.ID, EmailConfirm, c.Email, now, s.ConfirmTTL)
	if err != nil {
		return err
	}
	return s.mailer.Queue(ctx, q, mail.Letter{
		Template: "account_confirm", Language: firstNonEmpty(c.Language, requestLanguage), To: c.Email,
		Data: map[string]any{"Name": c.FirstName, "Link": s.mailer.Link("/users/registration/account-confirm-email/" + t + "/")},
	})
}

// ConfirmAccount marks the customer's address confirmed, if the link was
// mailed to the address the customer still has.
func (s *Service) ConfirmAccount(ctx context.Context, t string) error {
	now := s.now().UTC()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		g, err := consume(ctx, tx, EmailConfirm, t, now)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "UPDATE customers SET email_verified = TRUE WHERE id = $1 AND email_lower = $2",
			g.customerID, strings.ToLower(g.email))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err == nil && n == 0 {
			err = errInvalidLink(EmailConfirm)
		}
		return err
	})
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
