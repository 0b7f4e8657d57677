package account

import (
	"context"
	"errors"
	"strconv"
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
		if err := th.Check(ctx, "guess"+strconv.Itoa(i)+"@example.com", "203.0.113.9"); err != nil {
			t.Fatalf("attempt %d refused: %v", i, err)
		}
		if _, err := th.Fail(ctx, "guess"+strconv.Itoa(i)+"@example.com", "203.0.113.9"); err != nil {
			t.Fatal(err)
		}
	}
	if err := th.Check(ctx, "someone@example.com", "203.0.113.9"); !errors.Is(err, ErrThrottled) {
		t.Fatalf("address not locked: %v", err)
	}
	if err := th.Check(ctx, "someone@example.com", "198.51.100.1"); err != nil {
		t.Fatalf("another address locked: %v", err)
	}
	now = now.Add(throttleLock + time.Second)
	if err := th.Check(ctx, "someone@example.com", "203.0.113.9"); err != nil {
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
	if _, err := s.Authenticate(ctx, email, "wrong-password", "203.0.113.9", nil); err == nil {
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
	if _, err := s.Authenticate(ctx, email, password, "203.0.113.9", func(context.Context, database.Querier, *Customer) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if failures, after := state(); failures != 1 || !after.Equal(before) {
		t.Fatalf("a failed login wrote: %d failure records, last_login %s → %s", failures, before, after)
	}
	if _, err := s.Authenticate(ctx, email, password, "203.0.113.9", nil); err != nil {
		t.Fatal(err)
	}
	if failures, after := state(); failures != 0 || !after.After(before) {
		t.Fatalf("after a good login: %d failure records, last_login %s → %s", failures, before, after)
	}
}
