package order

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vitrin/vitrin/internal/database"
)

// refundCollector reports the refunds on every scrape, read from the
// database, so every node shows the whole store's: a growing "retrying"
// count means a gateway is down, any "failed" one needs an operator.
type refundCollector struct {
	db      *database.DB
	refunds *prometheus.Desc
}

// NewRefundCollector returns the collector of vitrin_refunds{state}.
func NewRefundCollector(db *database.DB) prometheus.Collector {
	return &refundCollector{db: db, refunds: prometheus.NewDesc("vitrin_refunds",
		"Refunds by state: queued (not tried yet), retrying, done, failed (refused by the gateway).",
		[]string{"state"}, nil)}
}

func (c *refundCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.refunds }

func (c *refundCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var queued, retrying, done, failed int64
	err := c.db.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN status = $1 AND attempts = 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = $1 AND attempts > 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = $2 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = $3 THEN 1 ELSE 0 END), 0)
		FROM refunds`, refundPending, refundDone, refundFailed).Scan(&queued, &retrying, &done, &failed)
	if err != nil {
		slog.Warn("refund metrics", "err", err)
		return
	}
	for state, n := range map[string]int64{"queued": queued, "retrying": retrying, "done": done, "failed": failed} {
		ch <- prometheus.MustNewConstMetric(c.refunds, prometheus.GaugeValue, float64(n), state)
	}
}
