package order

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/payment"
	"github.com/vitrin/vitrin/internal/retry"
	"github.com/vitrin/vitrin/internal/token"
	"github.com/vitrin/vitrin/internal/webhook"
)

// States of a refund row.
const (
	refundPending = "pending"
	refundDone    = "done"
	// refundFailed is a refund the gateway refused for good (more than
	// is left of the charge): an operator has to look at it.
	refundFailed = "failed"
)

// queueRefund records a refund in the cancellation's transaction, so a
// committed cancellation always has its refund to send.
func queueRefund(ctx context.Context, tx *sql.Tx, rf *Refund, now time.Time) error {
	_, err := queueRefundKeyed(ctx, tx, rf, "refund_"+token.New(24), now)
	return err
}

// queueRefundKeyed records a refund under key, once: a key recorded
// before (the same payment owed back by a parallel request) records
// nothing and reports false.
func queueRefundKeyed(ctx context.Context, tx *sql.Tx, rf *Refund, key string, now time.Time) (bool, error) {
	err := tx.QueryRowContext(ctx, `INSERT INTO refunds (order_id, gateway, reference, amount, idempotency_key, next_attempt_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
		nullID(rf.OrderID), rf.Gateway, rf.Reference, int64(rf.Amount), key, now, now).Scan(&rf.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// attemptRefundKey is the refund key of a payment taken under a checkout
// attempt that ended in no order: whoever finds it (the shopper's return,
// the provider's webhook, ReleaseStale) owes it back under this one key,
// so it is refunded once.
func attemptRefundKey(attempt string) string { return "refund_attempt_" + attempt }

// RefundUnplaced records, in tx, the refund of a payment taken under
// checkout attempt whose pending order is gone (released before the
// payment came in): there is no order to cancel, and the money goes back
// through the refunder. It returns nil when the refund was recorded
// before.
func RefundUnplaced(ctx context.Context, tx *sql.Tx, attempt, gateway string, paid payment.Payment) (*Refund, error) {
	rf := &Refund{Gateway: gateway, Reference: paid.Reference, Amount: paid.Amount}
	queued, err := queueRefundKeyed(ctx, tx, rf, attemptRefundKey(attempt), time.Now().UTC())
	if err != nil || !queued {
		return nil, err
	}
	return rf, nil
}

// RefundedElsewhere records, in tx, what the gateway says was refunded
// of a payment beyond the refunds Vitrin made of it (a merchant who
// refunded in the provider's dashboard): total is everything refunded of
// it so far. The difference is noted on the order as a refund already
// done, so a later cancellation gives back only what is left and nothing
// is refunded twice. A total that Vitrin's own refunds (sent or on their
// way) account for changes nothing; so does a payment of no order.
func RefundedElsewhere(ctx context.Context, tx *sql.Tx, forUpdate, gateway, reference string, total money.Amount) error {
	var id int64
	var status, currency string
	err := tx.QueryRowContext(ctx, "SELECT id, status, currency FROM orders WHERE gateway = $1 AND gateway_reference = $2"+forUpdate,
		gateway, reference).Scan(&id, &status, &currency)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	var known int64
	err = tx.QueryRowContext(ctx, "SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE gateway = $1 AND reference = $2 AND status <> $3",
		gateway, reference, refundFailed).Scan(&known)
	extra := total - money.Amount(known)
	if err != nil || extra <= 0 {
		return err
	}
	now := time.Now().UTC()
	rf := &Refund{OrderID: id, Gateway: gateway, Reference: reference, Amount: extra}
	key := "refunded_elsewhere_" + reference + "_" + itoa(int64(total))
	if queued, err := queueRefundKeyed(ctx, tx, rf, key, now); err != nil || !queued {
		return err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE refunds SET status = $1, done_at = $2 WHERE id = $3", refundDone, now, rf.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE orders SET refund_amount = refund_amount + $1, updated_at = $2 WHERE id = $3",
		int64(extra), now, id); err != nil {
		return err
	}
	if err := addHistory(ctx, tx, id, status, "refunded "+extra.String()+" "+currency+" at the payment provider", now); err != nil {
		return err
	}
	return enqueueOrderEvent(ctx, tx, webhook.OrderRefunded, id, map[string]any{"refund_id": rf.ID, "refunded": extra.String()})
}

// Refunder sends the refunds of cancellations to the gateways: at once
// after the cancellation (Send), and again until the gateway takes them
// (Run). Any number of refunders may run against one PostgreSQL database:
// each claims its rows with FOR UPDATE SKIP LOCKED and a lease, so no
// refund is sent by two at once. On SQLite claims are serialised by the
// database's single writer. A refund that went out but whose answer was
// lost is sent again with the same idempotency key, which the gateway
// refunds once.
type Refunder struct {
	db       *database.DB
	gateways map[string]payment.Gateway
	now      func() time.Time

	// Batch is how many refunds one claim takes.
	Batch int
	// Lease is how long a claimed refund is left alone by other
	// refunders: one that dies mid-batch leaves its refunds to be
	// retried after it. A gateway call gets half of it.
	Lease time.Duration
	// Poll is the wait between looks for due refunds.
	Poll time.Duration
	// RetryBase and RetryMax bound the exponential backoff between
	// attempts: RetryBase, 2×, 4×, … capped at RetryMax. A refund is
	// money owed, so it is never given up for a mere failure.
	RetryBase, RetryMax time.Duration
}

// NewRefunder returns a refunder for the gateways, by the names orders
// keep in their gateway column.
func NewRefunder(db *database.DB, gateways map[string]payment.Gateway) *Refunder {
	return &Refunder{db: db, gateways: gateways, now: time.Now,
		Batch: 20, Lease: 5 * time.Minute, Poll: 5 * time.Second,
		RetryBase: 10 * time.Second, RetryMax: 15 * time.Minute}
}

// claimedRefund is one refund row a refunder holds the lease of.
type claimedRefund struct {
	Refund
	key      string // the gateway's idempotency key
	attempts int
}

// Send tries the refunds of a committed cancellation at once. What fails
// stays pending for Run; what another refunder holds is left to it.
func (r *Refunder) Send(ctx context.Context, refunds []Refund) error {
	var errs []error
	for _, rf := range refunds {
		claimed, err := r.claim(ctx, " AND id = $4", rf.ID)
		if err == nil {
			err = r.sendAll(ctx, claimed)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Run retries due refunds until ctx ends: at once while there is a
// backlog, every Poll otherwise.
func (r *Refunder) Run(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := r.SendDue(ctx)
		if err != nil && ctx.Err() == nil {
			slog.Warn("refunds", "err", err)
		}
		if n == r.Batch && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(r.Poll):
		}
	}
}

// SendDue claims up to Batch due refunds, sends them and records each
// outcome. It returns how many it claimed.
func (r *Refunder) SendDue(ctx context.Context) (int, error) {
	claimed, err := r.claim(ctx, " AND next_attempt_at <= $2 ORDER BY next_attempt_at, id LIMIT $4", r.Batch)
	if err != nil {
		return 0, err
	}
	return len(claimed), r.sendAll(ctx, claimed)
}

// claim leases the pending, unleased refunds that filter selects (its
// argument is $4) and counts an attempt for each.
func (r *Refunder) claim(ctx context.Context, filter string, arg any) ([]claimedRefund, error) {
	now := r.now().UTC()
	rows, err := r.db.QueryContext(ctx, `UPDATE refunds SET claimed_until = $1, attempts = attempts + 1
		WHERE id IN (SELECT id FROM refunds WHERE status = $3 AND (claimed_until IS NULL OR claimed_until <= $2)`+filter+r.db.SkipLocked()+`)
		RETURNING id, COALESCE(order_id, 0), gateway, reference, amount, idempotency_key, attempts`,
		now.Add(r.Lease), now, refundPending, arg)
	return database.Collect(rows, err, func(row database.Scanner) (claimedRefund, error) {
		var c claimedRefund
		var amount int64
		err := row.Scan(&c.ID, &c.OrderID, &c.Gateway, &c.Reference, &amount, &c.key, &c.attempts)
		c.Amount = money.Amount(amount)
		return c, err
	})
}

// sendAll sends claimed refunds one by one and records each outcome.
func (r *Refunder) sendAll(ctx context.Context, claimed []claimedRefund) error {
	var errs []error
	for _, c := range claimed {
		sent := r.send(ctx, c)
		// Record the outcome even when ctx ended meanwhile: a refund that
		// went out must be marked done.
		errs = append(errs, r.record(context.WithoutCancel(ctx), c, sent))
	}
	return errors.Join(errs...)
}

// send asks the refund's gateway to pay it back. The call ends well
// before the lease does, so no other refunder sends it meanwhile.
func (r *Refunder) send(ctx context.Context, c claimedRefund) error {
	gw := r.gateways[c.Gateway]
	if gw == nil {
		return fmt.Errorf("unknown gateway %q", c.Gateway)
	}
	ctx, cancel := context.WithTimeout(ctx, r.Lease/2)
	defer cancel()
	return gw.Refund(ctx, c.key, c.Reference, c.Amount)
}

// record writes the outcome of one attempt and releases the lease. A done
// refund is noted in the order's history, once.
func (r *Refunder) record(ctx context.Context, c claimedRefund, sent error) error {
	now := r.now().UTC()
	var declined *payment.Declined
	switch {
	case sent == nil:
		return r.db.Tx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE refunds SET status = $1, done_at = $2, claimed_until = NULL, last_error = ''
				WHERE id = $3 AND status = $4`, refundDone, now, c.ID, refundPending)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 || c.OrderID == 0 {
				return nil // recorded by a refunder whose lease had run out, or of no order
			}
			var status, currency string
			err = tx.QueryRowContext(ctx, "SELECT status, currency FROM orders WHERE id = $1", c.OrderID).Scan(&status, &currency)
			if err != nil {
				return err
			}
			if err := addHistory(ctx, tx, c.OrderID, status, "refunded "+c.Amount.String()+" "+currency, now); err != nil {
				return err
			}
			return enqueueOrderEvent(ctx, tx, webhook.OrderRefunded, c.OrderID, map[string]any{"refund_id": c.ID, "refunded": c.Amount.String()})
		})
	case errors.As(sent, &declined):
		slog.Error("refund refused by the gateway; an operator has to look at it", "refund", c.ID, "order", c.OrderID,
			"amount", c.Amount.String(), "attempts", c.attempts, "err", sent)
		_, err := r.db.ExecContext(ctx, "UPDATE refunds SET status = $1, claimed_until = NULL, last_error = $2 WHERE id = $3 AND status = $4",
			refundFailed, sent.Error(), c.ID, refundPending)
		return err
	default:
		wait := retry.Backoff(r.RetryBase, r.RetryMax, c.attempts)
		slog.Warn("refund not sent, will retry", "refund", c.ID, "order", c.OrderID, "amount", c.Amount.String(),
			"attempts", c.attempts, "retry_in", wait, "err", sent)
		_, err := r.db.ExecContext(ctx, `UPDATE refunds SET next_attempt_at = $1, claimed_until = NULL, last_error = $2
			WHERE id = $3 AND status = $4`, now.Add(wait), sent.Error(), c.ID, refundPending)
		return err
	}
}
