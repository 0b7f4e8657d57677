package main

import (
	"fmt"
	"io"
	"slices"
	"sync"
	"text/tabwriter"
	"time"
)

// recorder keeps every request's outcome under the phase it started in,
// and the orders that got a thank-you page.
type recorder struct {
	mu      sync.Mutex
	phases  []*phase
	current *phase
	orders  []thankedOrder
}

type phase struct {
	name       string
	start, end time.Time
	latencies  []time.Duration
	failures   []failure
}

type failure struct {
	at     time.Time
	what   string
	status int
	err    error
}

type thankedOrder struct{ token, payment string }

func (r *recorder) begin(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if r.current != nil {
		r.current.end = now
	}
	r.current = &phase{name: name, start: now}
	r.phases = append(r.phases, r.current)
}

// end closes the last phase: requests after it are not counted.
func (r *recorder) end() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.current.end = time.Now()
	r.current = nil
}

// add records one request; a 5xx, a 4xx where success was due, or no
// answer at all is a failure.
func (r *recorder) add(what string, start time.Time, took time.Duration, status int, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.current
	if p == nil {
		return // set-up requests
	}
	if took > 0 {
		p.latencies = append(p.latencies, took)
	}
	if err != nil || (status != 200 && status != 201) {
		p.failures = append(p.failures, failure{at: start, what: what, status: status, err: err})
	}
}

func (r *recorder) thanked(token, payment string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.orders = append(r.orders, thankedOrder{token, payment})
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// printFigures prints one row per phase: requests, failures, the time
// between its first and last failure (the unavailability a shopper saw),
// and latency percentiles.
func printFigures(w io.Writer, r *recorder) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\trequests\tfailed\tunavailable s\tp50 ms\tp99 ms\tmax ms\t")
	for _, p := range r.phases {
		unavailable := 0.0
		if n := len(p.failures); n > 0 {
			unavailable = p.failures[n-1].at.Sub(p.failures[0].at).Seconds()
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.0f\t%.0f\t%.0f\t\n", p.name, len(p.latencies), len(p.failures), unavailable,
			ms(percentile(p.latencies, 0.5)), ms(percentile(p.latencies, 0.99)), ms(percentile(p.latencies, 1)))
	}
	tw.Flush()
	for _, p := range r.phases {
		for i, f := range p.failures {
			if i == 5 {
				fmt.Fprintf(w, "  %s: %d more failures\n", p.name, len(p.failures)-5)
				break
			}
			fmt.Fprintf(w, "  %s: %s %s answered %d %v\n", p.name, f.at.Format("15:04:05.000"), f.what, f.status, f.err)
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
