// Package retry spaces the attempts of the store's background workers
// (the mail outbox, refunds): each failure doubles the wait, up to a cap.
package retry

import "time"

// Backoff is the wait after the attempts-th failed attempt: base after the
// first, twice as long after each further one, never more than limit.
func Backoff(base, limit time.Duration, attempts int) time.Duration {
	d := base
	for i := 1; i < attempts && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}
