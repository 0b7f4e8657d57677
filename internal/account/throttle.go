package account

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
)

// Throttle counts failed logins per e-mail and per client address in the
// database (shared by all nodes). Past a limit within the window the key
// is locked for a while; the lock always ends, so a real owner is never
// locked out for good.
type Throttle struct {
	db  *database.DB
	now func() time.Time
}

const (
	throttleWindow = 15 * time.Minute
	throttleLock   = 15 * time.Minute
	emailLimit     = 5
	// A storefront's server logs its shoppers in from one address, so the
	// per-address limit must be far above any one shopper's.
	addressLimit = 50
	// A solved captcha lets its session past a lock for this many
	// attempts within captchaPassLifetime: enough for a shopper who
	// mistypes, too few for guessing to pay, as every few guesses cost a
	// solved captcha.
	captchaAttempts     = 5
	captchaPassLifetime = 10 * time.Minute
	// captchaPath is where a throttled client solves the captcha.
	captchaPath = "/users/pz-captcha/"
)

func NewThrottle(db *database.DB) *Throttle { return &Throttle{db: db, now: time.Now} }

// ErrThrottled is answered when a key is locked and the store offers no
// captcha: the client can only wait.
var ErrThrottled = &apperror.Problem{
	Status: http.StatusTooManyRequests,
	Detail: "Too many failed login attempts. Please try again later.",
	Code:   "login_throttled",
}

// errThrottledCaptcha is answered when a key is locked and a solved
// captcha would let the client try again; the real client shows the
// captcha for a redirect_url containing "captcha".
var errThrottledCaptcha = &apperror.Problem{
	Status:      http.StatusTooManyRequests,
	Detail:      "Too many failed login attempts. Please try again later or complete the captcha.",
	Code:        "login_throttled",
	RedirectURL: captchaPath,
}

// throttled is the refusal of a locked attempt.
func throttled(captchaSession string) error {
	if captchaSession == "" {
		return ErrThrottled
	}
	return errThrottledCaptcha
}

// throttleKeys are the records a login attempt counts against: the
// e-mail's, and the client address's when it is known ("" when not).
func throttleKeys(email, address string) []string {
	keys := []string{"email:" + strings.ToLower(strings.TrimSpace(email))}
	if address != "" {
		keys = append(keys, "addr:"+address)
	}
	return keys
}

// Check decides whether a login attempt may go ahead. It may when neither
// key is locked; when one is, only on a solved captcha of captchaSession
// with attempts left, one of which it spends (byCaptcha is then true).
// captchaSession is "" when the store offers no captcha.
func (t *Throttle) Check(ctx context.Context, email, address, captchaSession string) (byCaptcha bool, err error) {
	now := t.now().UTC()
	locked := false
	for _, key := range throttleKeys(email, address) {
		var until sql.NullTime
		err := t.db.QueryRowContext(ctx, "SELECT locked_until FROM login_failures WHERE key = $1", key).Scan(&until)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return false, err
		}
		if until.Valid && until.Time.After(now) {
			locked = true
			break
		}
	}
	if !locked {
		return false, nil
	}
	if captchaSession == "" {
		return false, ErrThrottled
	}
	// One statement, so that racing attempts on several nodes spend the
	// pass's attempts exactly once each.
	res, err := t.db.ExecContext(ctx, `UPDATE captcha_passes SET attempts_left = attempts_left - 1
		WHERE session_id = $1 AND attempts_left > 0 AND expires_at > $2`, captchaSession, now)
	if err != nil {
		return false, err
	}
	spent, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	if spent == 0 {
		return false, errThrottledCaptcha
	}
	return true, nil
}

// PassCaptcha records that session solved a captcha: its next
// captchaAttempts login attempts within captchaPassLifetime pass a lock.
// Another solved captcha refills the attempts rather than adding to them.
func (t *Throttle) PassCaptcha(ctx context.Context, session string) error {
	_, err := t.db.ExecContext(ctx, `INSERT INTO captcha_passes (session_id, attempts_left, expires_at)
		VALUES ($1, $2, $3) ON CONFLICT (session_id) DO UPDATE SET
		attempts_left = excluded.attempts_left, expires_at = excluded.expires_at`,
		session, captchaAttempts, t.now().UTC().Add(captchaPassLifetime))
	return err
}

// spendCaptcha drops session's solved captcha after a good login: the
// session id it was recorded under is being replaced.
func (t *Throttle) spendCaptcha(ctx context.Context, q database.Querier, session string) error {
	_, err := q.ExecContext(ctx, "DELETE FROM captcha_passes WHERE session_id = $1", session)
	return err
}

// Fail records a failure and returns how many failures the e-mail has had
// in the current window.
func (t *Throttle) Fail(ctx context.Context, email, address string) (int, error) {
	now := t.now().UTC()
	var emailFailures int
	err := t.db.Tx(ctx, func(tx *sql.Tx) error {
		for i, key := range throttleKeys(email, address) {
			limit := emailLimit
			if i == 1 {
				limit = addressLimit
			}
			var failures int
			var start time.Time
			err := tx.QueryRowContext(ctx, "SELECT failures, window_start FROM login_failures WHERE key = $1"+t.db.ForUpdate(), key).Scan(&failures, &start)
			switch {
			case errors.Is(err, sql.ErrNoRows), err == nil && now.Sub(start) > throttleWindow:
				failures, start = 0, now
			case err != nil:
				return err
			}
			failures++
			var lockedUntil any
			if failures >= limit {
				lockedUntil = now.Add(throttleLock)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (key, failures, window_start, locked_until)
				VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,
				window_start = excluded.window_start, locked_until = excluded.locked_until`,
				key, failures, start, lockedUntil); err != nil {
				return err
			}
			if i == 0 {
				emailFailures = failures
			}
		}
		return nil
	})
	return emailFailures, err
}

// Succeed forgets the e-mail's failures after a good login.
func (t *Throttle) Succeed(ctx context.Context, email string) error {
	return t.forget(ctx, t.db, email)
}

func (t *Throttle) forget(ctx context.Context, q database.Querier, email string) error {
	_, err := q.ExecContext(ctx, "DELETE FROM login_failures WHERE key = $1", throttleKeys(email, "")[0])
	return err
}

// Purge deletes records whose window and lock have both passed, and
// expired captcha passes.
func (t *Throttle) Purge(ctx context.Context) error {
	now := t.now().UTC()
	if _, err := t.db.ExecContext(ctx, `DELETE FROM login_failures WHERE window_start < $1
		AND (locked_until IS NULL OR locked_until < $2)`, now.Add(-throttleWindow), now); err != nil {
		return err
	}
	_, err := t.db.ExecContext(ctx, "DELETE FROM captcha_passes WHERE expires_at < $1", now)
	return err
}
