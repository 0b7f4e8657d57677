package account

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
)

var errBadCredentials = apperror.Fields{"non_field_errors": {"Unable to log in with provided credentials."}}

// failureDelay slows repeated guesses before the lock: each failure past
// the second waits a little longer.
func failureDelay(failures int) time.Duration {
	if failures <= 2 {
		return 0
	}
	return min(time.Duration(failures-2)*250*time.Millisecond, time.Second)
}

// LoginAttempt is what a login is checked with.
type LoginAttempt struct {
	Email, Password string
	// ClientAddr is the client's IP address, throttled like the e-mail;
	// "" when unknown.
	ClientAddr string
	// CaptchaSession is the session id that solved captchas are recorded
	// under (Throttle.PassCaptcha); "" when the store offers no captcha,
	// and then a locked attempt is not pointed to one.
	CaptchaSession string
}

// Authenticate checks an e-mail and password, throttled per e-mail and per
// client address. A hash of an older scheme is upgraded to argon2id. The
// writes of a good login, and then's when it is not nil (the new session),
// are one transaction.
func (s *Service) Authenticate(ctx context.Context, attempt LoginAttempt, then func(ctx context.Context, q database.Querier, c *Customer) error) (*Customer, error) {
	email, password := attempt.Email, attempt.Password
	byCaptcha, err := s.throttle.Check(ctx, email, attempt.ClientAddr, attempt.CaptchaSession)
	if err != nil {
		return nil, err
	}
	c, err := s.ByEmail(ctx, email)
	if err != nil && !errors.Is(err, apperror.ErrNotFound) {
		return nil, err
	}
	var ok, upgrade bool
	if c != nil {
		ok, upgrade = CheckPassword(c.PasswordHash, password)
	} else {
		// Spend the same time on an unknown address: no account enumeration
		// by timing.
		CheckPassword(dummyHash, password)
	}
	if !ok {
		failures, err := s.throttle.Fail(ctx, email, attempt.ClientAddr)
		if err != nil {
			return nil, err
		}
		select {
		case <-time.After(failureDelay(failures)):
		case <-ctx.Done():
		}
		// An attempt that a solved captcha let through is told the
		// credentials were wrong: the shopper still has attempts to retype.
		if failures >= emailLimit && !byCaptcha {
			return nil, throttled(attempt.CaptchaSession)
		}
		return nil, errBadCredentials
	}
	now := s.now().UTC()
	c.LastLogin = &now
	if upgrade {
		c.PasswordHash = HashPassword(password)
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.throttle.forget(ctx, tx, email); err != nil {
			return err
		}
		if attempt.CaptchaSession != "" {
			if err := s.throttle.spendCaptcha(ctx, tx, attempt.CaptchaSession); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE customers SET last_login = $1, password_hash = $2 WHERE id = $3", now, c.PasswordHash, c.ID); err != nil {
			return err
		}
		if then == nil {
			return nil
		}
		return then(ctx, tx, c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

var dummyHash = HashPassword("vitrin-timing-equaliser")

// PassCaptcha records that session solved a login captcha (see
// Throttle.PassCaptcha).
func (s *Service) PassCaptcha(ctx context.Context, session string) error {
	return s.throttle.PassCaptcha(ctx, session)
}
