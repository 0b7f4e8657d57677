package retry

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	for attempts, want := range map[int]time.Duration{
		0: 10 * time.Second, 1: 10 * time.Second, 2: 20 * time.Second, 3: 40 * time.Second, 4: time.Minute, 50: time.Minute,
	} {
		if got := Backoff(10*time.Second, time.Minute, attempts); got != want {
			t.Errorf("backoff after %d attempts: %v, want %v", attempts, got, want)
		}
	}
}
