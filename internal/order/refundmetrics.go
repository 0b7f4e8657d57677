package order

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/dbmetrics"
)

// NewRefundCollector returns the collector of vitrin_refunds{state}, the
// whole store's refunds: a growing "retrying" count means a gateway is
// down, any "failed" one needs an operator.
func NewRefundCollector(db *database.DB) prometheus.Collector {
	return dbmetrics.StateCounts(db, "vitrin_refunds",
		"Refunds by state: queued (not tried yet), retrying, done, failed (refused by the gateway).",
		[]string{"queued", "retrying", "done", "failed"}, `SELECT
		COALESCE(SUM(CASE WHEN status = $1 AND attempts = 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = $1 AND attempts > 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = $2 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = $3 THEN 1 ELSE 0 END), 0)
		FROM refunds`, refundPending, refundDone, refundFailed)
}
