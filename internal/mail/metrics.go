package mail

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/dbmetrics"
)

// NewOutboxCollector returns the collector of vitrin_mail_outbox{state},
// the whole store's outbox: a growing "retrying" count means the mail
// server is down.
func NewOutboxCollector(db *database.DB) prometheus.Collector {
	return dbmetrics.StateCounts(db, "vitrin_mail_outbox",
		"Mails in the outbox by state: queued (not tried yet), retrying, sent (kept a week), failed.",
		[]string{"queued", "retrying", "sent", "failed"}, `SELECT
		COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL AND attempts = 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL AND attempts > 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0)
		FROM mail_outbox`)
}
