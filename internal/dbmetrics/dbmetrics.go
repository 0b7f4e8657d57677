// Package dbmetrics reports counts kept in the database as Prometheus
// gauges. They are read on every scrape, so every node shows the whole
// store's.
package dbmetrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vitrin/vitrin/internal/database"
)

// StateCounts returns the collector of the gauge name{state}: query (with
// args) answers one row, the count of each of states in their order.
func StateCounts(db *database.DB, name, help string, states []string, query string, args ...any) prometheus.Collector {
	return &stateCounts{db: db, desc: prometheus.NewDesc(name, help, []string{"state"}, nil),
		states: states, query: query, args: args}
}

type stateCounts struct {
	db     *database.DB
	desc   *prometheus.Desc
	states []string
	query  string
	args   []any
}

func (c *stateCounts) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *stateCounts) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts := make([]int64, len(c.states))
	dest := make([]any, len(counts))
	for i := range counts {
		dest[i] = &counts[i]
	}
	if err := c.db.QueryRowContext(ctx, c.query, c.args...).Scan(dest...); err != nil {
		slog.Warn("metrics not read", "metric", c.desc.String(), "err", err)
		return
	}
	for i, state := range c.states {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[i]), state)
	}
}
