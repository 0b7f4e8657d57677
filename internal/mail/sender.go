package mail

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"regexp"
	"time"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/retry"
)

// outgoing is one claimed outbox row.
type outgoing struct {
	id                  int64
	messageID, kind     string
	to, replyTo         string
	subject, text, html string
	headers             map[string]string
	attempts            int
	createdAt           time.Time
}

// Transport hands mails to the mail system. Send returns one result per
// mail, in order: nil, a *PermanentError (never retry), or another error
// (retry later).
type Transport interface {
	Send(ctx context.Context, from string, mails []outgoing) []error
}

// PermanentError is a refusal that a retry cannot cure (an SMTP 5xx:
// unknown mailbox, message rejected).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Sender delivers the outbox. Any number of senders may run against one
// PostgreSQL database: each claims its rows with FOR UPDATE SKIP LOCKED
// and a lease, so no row is taken by two. On SQLite claims are serialised
// by the database's single writer.
type Sender struct {
	db        *database.DB
	transport Transport
	from      string
	now       func() time.Time

	// Batch is how many mails one claim takes (and one SMTP connection sends).
	Batch int
	// Lease is how long a claimed mail is left alone by other senders. A
	// sender that dies mid-batch leaves its mails to be retried after it.
	Lease time.Duration
	// Poll is the wait between looks at an empty outbox.
	Poll time.Duration
	// RetryBase and RetryMax bound the exponential backoff between
	// attempts: RetryBase, 2×, 4×, … capped at RetryMax.
	RetryBase, RetryMax time.Duration
	// GiveUpAfter is how long after queueing a mail that keeps failing
	// temporarily is marked failed.
	GiveUpAfter time.Duration
	// KeepSent is how long delivered mails stay in the outbox (they hold
	// personal data and links).
	KeepSent time.Duration

	// failedBatches counts batches in a row in which nothing went out:
	// the mail server is down, and Run backs off as a whole instead of
	// touching every queued mail once a Poll.
	failedBatches int
}

// NewSender returns a sender for the settings: SMTP when an SMTP URL is
// set, otherwise one that writes each mail to the log.
func NewSender(db *database.DB, settings Settings) (*Sender, error) {
	if _, err := mail.ParseAddress(settings.From); err != nil {
		return nil, fmt.Errorf("mail-from %q: %w", settings.From, err)
	}
	var transport Transport = logTransport{}
	if settings.SMTPURL != "" {
		t, err := NewSMTPTransport(settings.SMTPURL)
		if err != nil {
			return nil, err
		}
		transport = t
	}
	return &Sender{
		db: db, transport: transport, from: settings.From, now: time.Now,
		Batch: 50, Lease: 5 * time.Minute, Poll: time.Second,
		RetryBase: 5 * time.Second, RetryMax: time.Minute,
		GiveUpAfter: 72 * time.Hour, KeepSent: 7 * 24 * time.Hour,
	}, nil
}

// Run delivers until ctx ends: at once while there is a backlog, every
// Poll otherwise.
func (s *Sender) Run(ctx context.Context) {
	lastPurge := time.Time{}
	for ctx.Err() == nil {
		n, err := s.DeliverDue(ctx)
		if err != nil && ctx.Err() == nil {
			slog.Warn("mail outbox", "err", err)
		}
		if time.Since(lastPurge) > time.Hour {
			if err := s.purgeSent(ctx); err != nil && ctx.Err() == nil {
				slog.Warn("mail outbox purge", "err", err)
			}
			lastPurge = time.Now()
		}
		wait := s.Poll
		switch {
		case s.failedBatches > 0:
			wait = retry.Backoff(s.RetryBase, s.RetryMax, s.failedBatches)
		case n == s.Batch && err == nil:
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}

// DeliverDue claims up to Batch due mails, sends them and records each
// outcome. It returns how many it claimed.
func (s *Sender) DeliverDue(ctx context.Context) (int, error) {
	mails, err := s.claim(ctx)
	if err != nil || len(mails) == 0 {
		return 0, err
	}
	results := s.transport.Send(ctx, s.from, mails)
	// Record outcomes even when ctx ended meanwhile: a mail that went out
	// must be marked sent, or it would go out again.
	return len(mails), s.record(context.WithoutCancel(ctx), mails, results)
}

func (s *Sender) claim(ctx context.Context) ([]outgoing, error) {
	now := s.now().UTC()
	rows, err := s.db.QueryContext(ctx, `UPDATE mail_outbox SET next_attempt_at = $1, attempts = attempts + 1
		WHERE id IN (SELECT id FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $2
			ORDER BY next_attempt_at, id LIMIT $3`+s.db.SkipLocked()+`)
		RETURNING id, message_id, kind, recipient, reply_to, subject, text_body, html_body, headers, attempts, created_at`,
		now.Add(s.Lease), now, s.Batch)
	return database.Collect(rows, err, func(row database.Scanner) (outgoing, error) {
		var m outgoing
		var headers string
		if err := row.Scan(&m.id, &m.messageID, &m.kind, &m.to, &m.replyTo, &m.subject, &m.text, &m.html,
			&headers, &m.attempts, &m.createdAt); err != nil {
			return m, err
		}
		return m, json.Unmarshal([]byte(headers), &m.headers)
	})
}

// record writes every outcome of a batch in one transaction.
func (s *Sender) record(ctx context.Context, mails []outgoing, results []error) error {
	// A batch counts as failed when the server took nothing and refused
	// nothing for good: it is down or unreachable.
	s.failedBatches++
	for _, res := range results {
		var permanent *PermanentError
		if res == nil || errors.As(res, &permanent) {
			s.failedBatches = 0
			break
		}
	}
	now := s.now().UTC()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		for i, m := range mails {
			var err error
			var permanent *PermanentError
			switch res := results[i]; {
			case res == nil:
				_, err = tx.ExecContext(ctx, "UPDATE mail_outbox SET sent_at = $1, last_error = '' WHERE id = $2", now, m.id)
			case errors.As(res, &permanent), now.Sub(m.createdAt) > s.GiveUpAfter:
				slog.Error("mail failed for good", "id", m.id, "kind", m.kind, "to", m.to, "attempts", m.attempts, "err", res)
				_, err = tx.ExecContext(ctx, "UPDATE mail_outbox SET failed_at = $1, last_error = $2 WHERE id = $3",
					now, res.Error(), m.id)
			default:
				wait := retry.Backoff(s.RetryBase, s.RetryMax, m.attempts)
				slog.Warn("mail not delivered, will retry", "id", m.id, "kind", m.kind, "attempts", m.attempts, "retry_in", wait, "err", res)
				_, err = tx.ExecContext(ctx, "UPDATE mail_outbox SET next_attempt_at = $1, last_error = $2 WHERE id = $3",
					now.Add(wait), res.Error(), m.id)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Sender) purgeSent(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, "DELETE FROM mail_outbox WHERE sent_at < $1", s.now().UTC().Add(-s.KeepSent))
	return err
}

// logTransport is the transport without a mail server: each mail goes to
// the log, its links on their own so a demo user can open them.
type logTransport struct{}

var linkPattern = regexp.MustCompile(`https?://\S+`)

func (logTransport) Send(ctx context.Context, from string, mails []outgoing) []error {
	for _, m := range mails {
		slog.Info("mail (no SMTP server configured, logged instead of sent)",
			"kind", m.kind, "to", m.to, "subject", m.subject, "links", linkPattern.FindAllString(m.text, -1), "text", m.text)
	}
	return make([]error, len(mails))
}
