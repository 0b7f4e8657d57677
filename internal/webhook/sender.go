package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/database"
)

// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256>" over
// "<t>.<body>" with the subscription's secret: the time is signed too, so
// a receiver can refuse a captured delivery replayed later.
const SignatureHeader = "Vitrin-Signature"

// Sign returns the signature header's value for body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts + "."))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Verify checks a signature header against body, refusing one older or
// newer than tolerance: what a receiver does (the README shows it too).
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	for part := range strings.SplitSeq(header, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "t="); ok {
			ts = v
		} else if v, ok := strings.CutPrefix(strings.TrimSpace(part), "v1="); ok {
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return errors.New("webhook: malformed signature header")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return errors.New("webhook: signature too old")
	}
	if !hmac.Equal([]byte(sig), []byte(mac(secret, ts, body))) {
		return errors.New("webhook: signature mismatch")
	}
	return nil
}

// Sender posts the outbox. Any number of senders may run against one
// PostgreSQL database: each claims its rows with FOR UPDATE SKIP LOCKED
// and a lease, so no delivery is posted by two at once. On SQLite claims
// are serialised by the database's single writer.
type Sender struct {
	db     *database.DB
	client *http.Client
	now    func() time.Time

	// Batch is how many deliveries one claim takes.
	Batch int
	// Lease is how long a claimed delivery is left alone by other senders;
	// it is well above the client's timeout, so a post ends before it does.
	Lease time.Duration
	// Poll is the wait between looks at an empty outbox.
	Poll time.Duration
	// RetryBase and RetryMax bound the exponential backoff between
	// attempts; GiveUpAfter is how long after the event a delivery that
	// keeps failing is marked failed (a resend can still send it).
	RetryBase, RetryMax, GiveUpAfter time.Duration
	// KeepDelivered is how long delivered events stay listed: they may
	// hold personal data (a registered customer's address).
	KeepDelivered time.Duration
}

// NewSender returns a sender whose posts time out after 10 seconds.
func NewSender(db *database.DB) *Sender {
	return &Sender{db: db, client: &http.Client{Timeout: 10 * time.Second}, now: time.Now,
		Batch: 20, Lease: time.Minute, Poll: time.Second,
		RetryBase: 10 * time.Second, RetryMax: time.Hour, GiveUpAfter: 72 * time.Hour, KeepDelivered: 30 * 24 * time.Hour}
}

// Run delivers until ctx ends: at once while there is a backlog, every
// Poll otherwise.
func (s *Sender) Run(ctx context.Context) {
	var lastPurge time.Time
	for ctx.Err() == nil {
		n, err := s.DeliverDue(ctx)
		if err != nil && ctx.Err() == nil {
			slog.Warn("webhook outbox", "err", err)
		}
		if time.Since(lastPurge) > time.Hour {
			if err := s.purgeDelivered(ctx); err != nil && ctx.Err() == nil {
				slog.Warn("webhook outbox purge", "err", err)
			}
			lastPurge = time.Now()
		}
		if n == s.Batch && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(s.Poll):
		}
	}
}

// purgeDelivered deletes deliveries delivered more than KeepDelivered ago.
func (s *Sender) purgeDelivered(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, "DELETE FROM webhook_deliveries WHERE status = $1 AND delivered_at < $2",
		deliveryDelivered, s.now().UTC().Add(-s.KeepDelivered))
	return err
}

// claimed is one delivery a sender holds the lease of.
type claimed struct {
	id, subscriptionID int64
	event, payload     string
	attempts           int
	created            time.Time
	url, secret        string
}

// DeliverDue claims up to Batch due deliveries, posts them and records
// each answer. It returns how many it claimed.
func (s *Sender) DeliverDue(ctx context.Context) (int, error) {
	batch, err := s.claim(ctx)
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, c := range batch {
		status, body, sent := s.post(ctx, c)
		// Record even when ctx ended meanwhile: a post that went out must
		// be marked delivered.
		errs = append(errs, s.record(context.WithoutCancel(ctx), c, status, body, sent))
	}
	return len(batch), errors.Join(errs...)
}

func (s *Sender) claim(ctx context.Context) ([]claimed, error) {
	now := s.now().UTC()
	skipLocked := ""
	if s.db.Engine == database.Postgres {
		skipLocked = " FOR UPDATE SKIP LOCKED"
	}
	rows, err := s.db.QueryContext(ctx, `UPDATE webhook_deliveries SET claimed_until = $1, attempts = attempts + 1
		WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = $2 AND next_attempt_at <= $3
			AND (claimed_until IS NULL OR claimed_until <= $3) ORDER BY next_attempt_at, id LIMIT $4`+skipLocked+`)
		RETURNING id, subscription_id, event, payload, attempts, created_at`,
		now.Add(s.Lease), deliveryPending, now, s.Batch)
	if err != nil {
		return nil, err
	}
	var batch []claimed
	for rows.Next() {
		var c claimed
		if err := rows.Scan(&c.id, &c.subscriptionID, &c.event, &c.payload, &c.attempts, &c.created); err != nil {
			rows.Close()
			return nil, err
		}
		batch = append(batch, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range batch {
		c := &batch[i]
		if err := s.db.QueryRowContext(ctx, "SELECT url, secret FROM webhook_subscriptions WHERE id = $1",
			c.subscriptionID).Scan(&c.url, &c.secret); err != nil {
			return nil, fmt.Errorf("webhook delivery %d: %w", c.id, err)
		}
	}
	return batch, nil
}

// post sends one delivery and returns the receiver's status and the start
// of its body.
func (s *Sender) post(ctx context.Context, c claimed) (int, string, error) {
	body := []byte(c.payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Vitrin-Webhooks/1")
	req.Header.Set("Vitrin-Event", c.event)
	req.Header.Set("Vitrin-Delivery", strconv.FormatInt(c.id, 10))
	req.Header.Set(SignatureHeader, Sign(c.secret, s.now(), body))
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBodySize))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, string(answer), fmt.Errorf("receiver answered %s", resp.Status)
	}
	return resp.StatusCode, string(answer), nil
}

// record writes the outcome of one attempt and releases the lease.
func (s *Sender) record(ctx context.Context, c claimed, status int, body string, sent error) error {
	now := s.now().UTC()
	if sent == nil {
		_, err := s.db.ExecContext(ctx, `UPDATE webhook_deliveries SET status = $1, delivered_at = $2, claimed_until = NULL,
			response_status = $3, response_body = $4, last_error = '' WHERE id = $5`, deliveryDelivered, now, status, body, c.id)
		return err
	}
	next, state := now.Add(s.backoff(c.attempts)), deliveryPending
	if next.Sub(c.created) > s.GiveUpAfter {
		state = deliveryFailed
		slog.Error("webhook delivery given up", "delivery", c.id, "event", c.event, "url", c.url, "attempts", c.attempts, "err", sent)
	}
	_, err := s.db.ExecContext(ctx, `UPDATE webhook_deliveries SET status = $1, next_attempt_at = $2, claimed_until = NULL,
		response_status = $3, response_body = $4, last_error = $5 WHERE id = $6`, state, next, status, body, sent.Error(), c.id)
	return err
}

// backoff is the wait after the attempts-th failed attempt: RetryBase,
// 2×, 4×, … capped at RetryMax.
func (s *Sender) backoff(attempts int) time.Duration {
	d := s.RetryBase
	for i := 1; i < attempts && d < s.RetryMax; i++ {
		d *= 2
	}
	return min(d, s.RetryMax)
}
