package order

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/payment"
	"github.com/vitrin/vitrin/internal/testdb"
)

// countingGateway takes every refund, answers with answer, and counts the
// calls per idempotency key. Only Refund is used by a Refunder.
type countingGateway struct {
	payment.Gateway
	answer error
	mu     sync.Mutex
	calls  map[string]int
}

func (g *countingGateway) Refund(ctx context.Context, key, reference string, amount money.Amount) error {
	// Widen the window in which another refunder could take the same row.
	time.Sleep(time.Millisecond)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls[key]++
	return g.answer
}

// refundsFixture is an approved card order with n refunds recorded.
func refundsFixture(t *testing.T, db *database.DB, n int) (orderID int64) {
	t.Helper()
	ctx := context.Background()
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		o := &Order{Key: "attempt", Email: "ada@example.com", Status: Approved, Currency: "TRY", Installments: 1,
			Gateway: "sandbox", GatewayRef: "sbx_ref"}
		if err := Insert(ctx, tx, o); err != nil {
			return err
		}
		orderID = o.ID
		for i := range n {
			rf := Refund{OrderID: o.ID, Gateway: o.Gateway, Reference: o.GatewayRef, Amount: money.Amount(100 + i)}
			if err := queueRefund(ctx, tx, &rf, time.Now().UTC()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return orderID
}

func refundStates(t *testing.T, db *database.DB) map[string]int {
	t.Helper()
	rows, err := db.Query("SELECT status, COUNT(*) FROM refunds GROUP BY status")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	states := map[string]int{}
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			t.Fatal(err)
		}
		states[status] = n
	}
	return states
}

// Refunders on several nodes sharing one database take turns: each refund
// is sent exactly once, by one of them.
func TestRefundWorkersRacingSendEachOnce(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	const refunds, workers = 40, 4
	refundsFixture(t, db, refunds)
	gw := &countingGateway{calls: map[string]int{}}
	var wg sync.WaitGroup
	for range workers {
		r := NewRefunder(db, map[string]payment.Gateway{"sandbox": gw})
		r.Batch = 3
		wg.Go(func() {
			for {
				n, err := r.SendDue(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if n == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	if len(gw.calls) != refunds {
		t.Fatalf("%d refunds sent, want %d", len(gw.calls), refunds)
	}
	for key, n := range gw.calls {
		if n != 1 {
			t.Errorf("refund %s sent %d times", key, n)
		}
	}
	if states := refundStates(t, db); states[refundDone] != refunds {
		t.Fatalf("refund states %v", states)
	}
}

// Each gateway answer leaves the refund in its state: done (noted in the
// order's history), pending with a backoff, or failed for good.
func TestRefundOutcomes(t *testing.T) {
	cases := []struct {
		name        string
		gateway     string
		answer      error
		wantStatus  string
		wantRetryIn time.Duration // 0: not scheduled again
	}{
		{"taken", "sandbox", nil, refundDone, 0},
		{"gateway down", "sandbox", payment.ErrUnavailable, refundPending, 10 * time.Second},
		{"refused for good", "sandbox", &payment.Declined{Reason: "more than was charged"}, refundFailed, 0},
		{"gateway not configured", "stripe", nil, refundPending, 10 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			db := testdb.Open(t)
			orderID := refundsFixture(t, db, 1)
			if _, err := db.Exec("UPDATE refunds SET gateway = $1", c.gateway); err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC().Add(time.Minute).Truncate(time.Second) // after the refund was recorded
			r := NewRefunder(db, map[string]payment.Gateway{"sandbox": &countingGateway{answer: c.answer, calls: map[string]int{}}})
			r.now = func() time.Time { return now }
			if n, err := r.SendDue(ctx); n != 1 || err != nil {
				t.Fatalf("SendDue: %d, %v", n, err)
			}
			var status, lastError string
			var nextAttempt time.Time
			var claimed sql.NullTime
			err := db.QueryRow("SELECT status, last_error, next_attempt_at, claimed_until FROM refunds").
				Scan(&status, &lastError, &nextAttempt, &claimed)
			if err != nil {
				t.Fatal(err)
			}
			if status != c.wantStatus || claimed.Valid || (c.wantStatus == refundDone) != (lastError == "") {
				t.Fatalf("status %s, claimed %v, last error %q", status, claimed, lastError)
			}
			if c.wantRetryIn > 0 && !nextAttempt.Equal(now.Add(c.wantRetryIn)) {
				t.Fatalf("next attempt at %v, want %v", nextAttempt, now.Add(c.wantRetryIn))
			}
			o, err := Get(ctx, db, orderID)
			if err != nil {
				t.Fatal(err)
			}
			last := o.History[len(o.History)-1]
			if refunded := last.Note == "refunded 1.00 TRY"; refunded != (c.wantStatus == refundDone) {
				t.Fatalf("history ends with %+v", last)
			}
			if n, err := r.SendDue(ctx); n != 0 || err != nil {
				t.Fatalf("sent again before it was due: %d, %v", n, err)
			}
		})
	}
}

// A refunder that dies after claiming a refund holds it for the lease
// only: then another takes it.
func TestRefundLeaseOfADeadRefunderRunsOut(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	refundsFixture(t, db, 1)
	gw := &countingGateway{calls: map[string]int{}}
	now := time.Now().UTC()
	dead := NewRefunder(db, map[string]payment.Gateway{"sandbox": gw})
	dead.now = func() time.Time { return now }
	if claimed, err := dead.claim(ctx, " AND id > $4", 0); len(claimed) != 1 || err != nil {
		t.Fatalf("claim: %v, %v", claimed, err)
	}
	other := NewRefunder(db, map[string]payment.Gateway{"sandbox": gw})
	for _, c := range []struct {
		after time.Duration
		want  int
	}{
		{0, 0},
		{other.Lease - time.Second, 0},
		{other.Lease + time.Second, 1},
	} {
		other.now = func() time.Time { return now.Add(c.after) }
		if n, err := other.SendDue(ctx); n != c.want || err != nil {
			t.Fatalf("%v after the claim: took %d, want %d (%v)", c.after, n, c.want, err)
		}
	}
	// The dead refunder's claim counted as an attempt.
	var attempts int
	if err := db.QueryRow("SELECT attempts FROM refunds WHERE status = $1", refundDone).Scan(&attempts); err != nil || attempts != 2 {
		t.Fatalf("attempts %d, %v", attempts, err)
	}
	if len(gw.calls) != 1 {
		t.Fatalf("gateway calls %v", gw.calls)
	}
}
