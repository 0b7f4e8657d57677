// Package ratelimit counts requests per key in fixed windows kept in the
// database, so every node of a store shares the same counts. It guards
// the endpoints that make Vitrin send mail to an address someone typed
// (password reset, contact form, subscriptions, stock alerts).
package ratelimit

import (
	"context"
	"net/http"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
)

// Limit is at most Max hits per Window.
type Limit struct {
	Max    int
	Window time.Duration
}

// ErrLimited is the answer once a key has used its hits.
var ErrLimited = &apperror.Problem{
	Status: http.StatusTooManyRequests,
	Detail: "Request was throttled. Please try again later.",
	Code:   "throttled",
}

// Hit counts one request for key and returns ErrLimited when it goes over
// the limit. One statement, so concurrent hits on several nodes all count.
func Hit(ctx context.Context, q database.Querier, key string, l Limit) error {
	now := time.Now().UTC()
	var hits int
	err := q.QueryRowContext(ctx, `INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1)
		ON CONFLICT (key) DO UPDATE SET
			hits = CASE WHEN rate_limits.window_start < $3 THEN 1 ELSE rate_limits.hits + 1 END,
			window_start = CASE WHEN rate_limits.window_start < $3 THEN excluded.window_start ELSE rate_limits.window_start END
		RETURNING hits`, key, now, now.Add(-l.Window)).Scan(&hits)
	if err != nil {
		return err
	}
	if hits > l.Max {
		return ErrLimited
	}
	return nil
}

// Purge deletes counters whose window ended more than maxWindow ago.
func Purge(ctx context.Context, q database.Querier, maxWindow time.Duration) error {
	_, err := q.ExecContext(ctx, "DELETE FROM rate_limits WHERE window_start < $1", time.Now().UTC().Add(-maxWindow))
	return err
}
