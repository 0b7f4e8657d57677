package account

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/testdb"
)

// TestThrottleByAddress: many e-mails tried from one address lock that
// address (not others) until the lock runs out; a good login does not
// clear the address's record.
func TestThrottleByAddress(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	th := NewThrottle(testdb.Open(t))
	th.now = func() time.Time { return now }
	for i := range addressLimit {
		if _, err := th.Check(ctx, "guess"+strconv.Itoa(i)+"@example.com", "203.0.113.9", ""); err != nil {
			t.Fatalf("attempt %d refused: %v", i, err)
		}
		if _, err := th.Fail(ctx, "guess"+strconv.Itoa(i)+"@example.com", "203.0.113.9"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := th.Check(ctx, "someone@example.com", "203.0.113.9", ""); !errors.Is(err, ErrThrottled) {
		t.Fatalf("address not locked: %v", err)
	}
	if _, err := th.Check(ctx, "someone@example.com", "198.51.100.1", ""); err != nil {
		t.Fatalf("another address locked: %v", err)
	}
	now = now.Add(throttleLock + time.Second)
	if _, err := th.Check(ctx, "someone@example.com", "203.0.113.9", ""); err != nil {
		t.Fatalf("lock did not end: %v", err)
	}
	if err := th.Purge(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestAuthenticateIsOneTransaction: a good login's writes (failures
// forgotten, last_login, the caller's session) stand or fall together.
func TestAuthenticateIsOneTransaction(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	s := NewService(db)
	const email, password = "ada@example.com", "analytical-engine-1843"
	if _, err := s.Register(ctx, Registration{Email: email, Password: password}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, LoginAttempt{Email: email, Password: "wrong-password", ClientAddr: "203.0.113.9"}, nil); err == nil {
		t.Fatal("a wrong password logged in")
	}
	state := func() (failures int, lastLogin time.Time) {
		t.Helper()
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM login_failures WHERE key = $1", "email:"+email).Scan(&failures); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, "SELECT last_login FROM customers WHERE email = $1", email).Scan(&lastLogin); err != nil {
			t.Fatal(err)
		}
		return failures, lastLogin
	}
	failures, before := state()
	if failures != 1 {
		t.Fatalf("%d failure records", failures)
	}
	boom := errors.New("the session could not be stored")
	if _, err := s.Authenticate(ctx, LoginAttempt{Email: email, Password: password, ClientAddr: "203.0.113.9"}, func(context.Context, database.Querier, *Customer) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if failures, after := state(); failures != 1 || !after.Equal(before) {
		t.Fatalf("a failed login wrote: %d failure records, last_login %s → %s", failures, before, after)
	}
	if _, err := s.Authenticate(ctx, LoginAttempt{Email: email, Password: password, ClientAddr: "203.0.113.9"}, nil); err != nil {
		t.Fatal(err)
	}
	if failures, after := state(); failures != 0 || !after.After(before) {
		t.Fatalf("after a good login: %d failure records, last_login %s → %s", failures, before, after)
	}
}

// TestCaptchaPassSpentOnce: racing attempts on a locked e-mail spend a
// solved captcha's attempts once each; the pass ends with its lifetime,
// and Purge removes it then.
func TestCaptchaPassSpentOnce(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	db := testdb.Open(t)
	th := NewThrottle(db)
	th.now = func() time.Time { return now }
	const email, session = "ada@example.com", "captchaSolvingSession1"
	for range emailLimit {
		if _, err := th.Fail(ctx, email, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := th.Check(ctx, email, "", session); !errors.Is(err, errThrottledCaptcha) {
		t.Fatalf("locked e-mail without a captcha: %v", err)
	}
	if err := th.PassCaptcha(ctx, session); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var passed atomic.Int32
	for range 4 * captchaAttempts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			byCaptcha, err := th.Check(ctx, email, "", session)
			switch {
			case err == nil && byCaptcha:
				passed.Add(1)
			case !errors.Is(err, errThrottledCaptcha):
				t.Errorf("byCaptcha %v, err %v", byCaptcha, err)
			}
		}()
	}
	wg.Wait()
	if passed.Load() != captchaAttempts {
		t.Fatalf("%d attempts passed on one captcha, want %d", passed.Load(), captchaAttempts)
	}

	if err := th.PassCaptcha(ctx, session); err != nil {
		t.Fatal(err)
	}
	now = now.Add(captchaPassLifetime + time.Second)
	if err := th.PassCaptcha(ctx, "anotherSession"); err != nil { // still fresh: Purge keeps it
		t.Fatal(err)
	}
	now = now.Add(time.Second)
	if _, err := th.Check(ctx, email, "", session); !errors.Is(err, errThrottledCaptcha) {
		t.Fatalf("an expired captcha let an attempt through: %v", err)
	}
	if err := th.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM captcha_passes").Scan(&left); err != nil || left != 1 {
		t.Fatalf("%d captcha passes after Purge (%v), want the fresh one", left, err)
	}
}
