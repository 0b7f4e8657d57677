package account

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

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
