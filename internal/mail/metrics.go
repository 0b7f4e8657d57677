package mail

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vitrin/vitrin/internal/database"
)

// outboxCollector reports the outbox on every scrape, read from the
// database, so every node shows the whole store's mail: a growing
// "retrying" count means the mail server is down.
type outboxCollector struct {
	db   *database.DB
	mail *prometheus.Desc
}

// NewOutboxCollector returns the collector of vitrin_mail_outbox{state}.
func NewOutboxCollector(db *database.DB) prometheus.Collector {
	return &outboxCollector{db: db, mail: prometheus.NewDesc("vitrin_mail_outbox",
		"Mails in the outbox by state: queued (not tried yet), retrying, sent (kept a week), failed.",
		[]string{"state"}, nil)}
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.mail }

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var queued, retrying, sent, failed int64
	err := c.db.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL AND attempts = 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL AND attempts > 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0)
		FROM mail_outbox`).Scan(&queued, &retrying, &sent, &failed)
	if err != nil {
		slog.Warn("mail outbox metrics", "err", err)
		return
	}
	for state, n := range map[string]int64{"queued": queued, "retrying": retrying, "sent": sent, "failed": failed} {
		ch <- prometheus.MustNewConstMetric(c.mail, prometheus.GaugeValue, float64(n), state)
	}
}
