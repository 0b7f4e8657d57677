package api

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/order"
	"github.com/vitrin/vitrin/internal/payment"
)

// flakyGateway is the sandbox behind an unreliable line: its first
// failures refunds fail, either before reaching the sandbox (the gateway
// is down) or after the sandbox made them (the answer was lost).
type flakyGateway struct {
	*payment.Sandbox
	mu         sync.Mutex
	failures   int
	answerLost bool
	calls      int
}

func (g *flakyGateway) fail(failures int, answerLost bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.failures, g.answerLost, g.calls = failures, answerLost, 0
}

func (g *flakyGateway) refunds() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls
}

func (g *flakyGateway) Refund(ctx context.Context, key, reference string, amount money.Amount) error {
	g.mu.Lock()
	g.calls++
	failing, answerLost := g.calls <= g.failures, g.answerLost
	g.mu.Unlock()
	if !failing {
		return g.Sandbox.Refund(ctx, key, reference, amount)
	}
	if answerLost {
		if err := g.Sandbox.Refund(ctx, key, reference, amount); err != nil {
			return err
		}
	}
	return payment.ErrUnavailable
}

// A cancellation stands whatever the gateway does; its refund is sent at
// once, and what fails is sent again by the refunder of `vitrin serve`
// until the gateway takes it. The customer is refunded exactly once.
func TestRefundRetriedUntilTheGatewayTakesIt(t *testing.T) {
	cs := newCheckoutStore(t)
	gw := &flakyGateway{Sandbox: cs.api.sandbox}
	cs.api.svc.Gateways["sandbox"] = gw
	cases := []struct {
		name       string
		failures   int
		answerLost bool
	}{
		{"gateway answers", 0, false},
		{"gateway down three times", 3, false},
		{"answer lost twice", 2, true},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gw.fail(c.failures, c.answerLost)
			sh := cs.buyer(t, false, fmt.Sprintf("refund-%d@example.com", i), "TEE-B", 1)
			id, _ := placed(t, payByCard(t, cs, sh, "4242 4242 4242 4242", 1, false))
			charge := "(SELECT gateway_reference FROM orders WHERE id = $1)"
			amount := cs.count("SELECT amount FROM sandbox_charges WHERE reference = "+charge, id)
			refunded := func() int { return cs.count("SELECT refunded FROM sandbox_charges WHERE reference = "+charge, id) }
			refund := func() (status string, attempts int) {
				t.Helper()
				if err := cs.db.QueryRow("SELECT status, attempts FROM refunds WHERE order_id = $1", id).Scan(&status, &attempts); err != nil {
					t.Fatal(err)
				}
				return status, attempts
			}

			o := sh.do("POST", fmt.Sprintf("/orders/%d/cancel/", id), map[string]any{}).must(t, 200).json()
			if o["status"].(map[string]any)["value"] != "cancelled" || o["refund_amount"] != money.Amount(amount).String() {
				t.Fatalf("cancelled order: %v, refund %v", o["status"], o["refund_amount"])
			}
			status, attempts := refund()
			wantRefunded := 0
			if c.failures == 0 || c.answerLost {
				wantRefunded = amount
			}
			if (c.failures == 0) != (status == "done") || attempts != 1 || refunded() != wantRefunded {
				t.Fatalf("after the cancellation: refund %s after %d attempts, %d of %d refunded", status, attempts, refunded(), amount)
			}

			if c.failures > 0 {
				// The backoff after the failed attempt has passed; a
				// refunder like serve's retries every few milliseconds.
				cs.exec("UPDATE refunds SET next_attempt_at = $1 WHERE order_id = $2", time.Now().UTC(), id)
				worker := order.NewRefunder(cs.db, map[string]payment.Gateway{"sandbox": gw})
				worker.Poll, worker.RetryBase, worker.RetryMax = 5*time.Millisecond, time.Millisecond, time.Millisecond
				ctx, stop := context.WithCancel(context.Background())
				var running sync.WaitGroup
				running.Go(func() { worker.Run(ctx) })
				for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
					if status, _ = refund(); status == "done" {
						break
					}
				}
				stop()
				running.Wait()
			}

			status, attempts = refund()
			if status != "done" || attempts != c.failures+1 || gw.refunds() != c.failures+1 {
				t.Fatalf("refund %s after %d attempts, %d gateway calls; want done after %d", status, attempts, gw.refunds(), c.failures+1)
			}
			if refunded() != amount || cs.count("SELECT COUNT(*) FROM sandbox_refunds WHERE reference = "+charge, id) != 1 {
				t.Fatalf("the sandbox refunded %d of %d in %d refunds", refunded(), amount,
					cs.count("SELECT COUNT(*) FROM sandbox_refunds WHERE reference = "+charge, id))
			}
			history := sh.do("GET", fmt.Sprintf("/users/orders/%d/", id), nil).must(t, 200).json()["status_history"].([]any)
			if note := history[len(history)-1].(map[string]any)["note"]; note != "refunded "+money.Amount(amount).String()+" TRY" {
				t.Fatalf("the history ends with %v", note)
			}
		})
	}
}
