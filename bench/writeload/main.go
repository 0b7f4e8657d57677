// Command writeload drives Vitrin's write path the way storefronts do
// (own cookie jar per shopper, CSRF header, JSON and form bodies) and
// prints throughput and latency beside its own CPU use, so a reader can
// tell a server limit from a driver limit on a small machine.
//
//	go run ./bench/writeload -base http://127.0.0.1:8000 -mode basket -shoppers 64 -duration 20s
//	go run ./bench/writeload -mode checkout -shoppers 32 -pid $(pgrep -n vitrin)
//
// basket: each iteration is a new guest adding one product (GET
// /csrf_token/ untimed, POST /baskets/basket/ timed); with -adds N a guest
// adds N products before the next one arrives. checkout: each shopper
// registers once and keeps one address; each iteration adds a product and
// walks every checkout page to the thank-you page paying by funds
// transfer, timed as a whole.
//
// By default each shopper is a closed loop (the next iteration starts
// when the last one ends), which measures the most the server gives at
// that concurrency. With -rate R the load is open, as real shoppers are:
// iterations start at R a second whatever the server does, and the
// shoppers take them in turn (a shopper's untimed set-up, the new guest's
// CSRF token, is done before its next turn). An iteration's time then
// counts from when it was due, so a server that falls behind shows it in
// the latency instead of slowing the arrivals down.
//
//	go run ./bench/writeload -mode basket -shoppers 64 -rate 2000 -duration 20s
//
// Every request names its currency and language in headers (x-currency,
// Accept-Language), as a storefront built on @akinon/next does; -currency
// "" -language "" leaves them out, and the session then says.
//
// Give the store deep stock first (UPDATE products SET stock = 1000000),
// or a fast run sells it out and counts the refusals as failures.
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	base := flag.String("base", "http://127.0.0.1:8000", "Vitrin's address")
	mode := flag.String("mode", "basket", "basket or checkout")
	shoppers := flag.Int("shoppers", 64, "concurrent shoppers")
	duration := flag.Duration("duration", 20*time.Second, "how long to drive load")
	pid := flag.Int("pid", 0, "Vitrin's process id, to print its CPU use beside the driver's")
	rate := flag.Float64("rate", 0, "iterations started per second (open model); 0: each shopper a closed loop")
	adds := flag.Int("adds", 1, "basket: products each guest adds")
	flag.StringVar(&locale.currency, "currency", "try", "x-currency header of every request (\"\": none)")
	flag.StringVar(&locale.language, "language", "tr-tr", "Accept-Language header of every request (\"\": none)")
	flag.Parse()
	cfg := config{base: *base, mode: *mode, shoppers: *shoppers, duration: *duration, pid: *pid, rate: *rate, adds: max(1, *adds)}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "writeload:", err)
		os.Exit(1)
	}
}

// config is one run's settings, from the flags.
type config struct {
	base, mode string
	shoppers   int
	duration   time.Duration
	pid        int
	rate       float64
	adds       int
}

// step is one kind of iteration: prepare is the shopper's untimed set-up
// before iteration n (may be nil), act the timed part.
type step struct {
	prepare func(s *shopper, n int) error
	act     func(s *shopper, n int) error
}

// results collects the iterations' times and failures from all shoppers.
type results struct {
	mu       sync.Mutex
	took     []time.Duration
	failures int
	missed   int // open model: due, never started
	firstErr error
}

func (r *results) miss() {
	r.mu.Lock()
	r.missed++
	r.mu.Unlock()
}

func (r *results) add(d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.failures++
		if r.firstErr == nil {
			r.firstErr = err
		}
		return
	}
	r.took = append(r.took, d)
}

func run(c config) error {
	var it step
	switch c.mode {
	case "basket":
		it = step{prepare: func(s *shopper, n int) error { return s.newGuest(n, c.adds) }, act: addToBasket}
	case "checkout":
		it = step{act: checkout}
	default:
		return fmt.Errorf("unknown mode %q", c.mode)
	}
	store, err := discover(c.base)
	if err != nil {
		return err
	}
	workers := make([]*shopper, c.shoppers)
	for i := range workers {
		if workers[i], err = newShopper(c.base, store, i); err != nil {
			return err
		}
		if c.mode == "checkout" {
			if err := workers[i].register(); err != nil {
				return err
			}
		}
	}
	serverCPU := processCPU(c.pid)
	driverCPU := ownCPU()
	start := time.Now()
	var res results
	if c.rate > 0 {
		open(workers, it, start, c.duration, c.rate, &res)
	} else {
		closed(workers, it, start.Add(c.duration), &res)
	}
	elapsed := time.Since(start)
	report(c, elapsed, &res, ownCPU()-driverCPU, processCPU(c.pid)-serverCPU)
	if res.firstErr != nil {
		return fmt.Errorf("%d failed, the first: %w", res.failures, res.firstErr)
	}
	return nil
}

// closed runs each shopper as a loop until deadline.
func closed(workers []*shopper, it step, deadline time.Time, res *results) {
	var wg sync.WaitGroup
	for _, s := range workers {
		wg.Go(func() {
			for n := 0; time.Now().Before(deadline); n++ {
				if it.prepare != nil {
					if err := it.prepare(s, n); err != nil {
						res.add(0, err)
						continue
					}
				}
				t := time.Now()
				err := it.act(s, n)
				res.add(time.Since(t), err)
			}
		})
	}
	wg.Wait()
}

// open starts iterations at rate a second for duration; a free shopper
// takes each one, and its time counts from when it was due. Iterations
// still waiting for a shopper when the duration is over are never started
// and counted as missed: a server that falls behind shows as missed
// arrivals and long waits, not as a longer run.
func open(workers []*shopper, it step, start time.Time, duration time.Duration, rate float64, res *results) {
	total := int(duration.Seconds() * rate)
	due := make(chan time.Time, total)
	end := start.Add(duration)
	var wg sync.WaitGroup
	for _, s := range workers {
		wg.Go(func() {
			n := 0
			ready := it.prepare == nil || res.ok(it.prepare(s, n))
			for t := range due {
				if time.Now().After(end) {
					res.miss()
					continue
				}
				if ready {
					err := it.act(s, n)
					res.add(time.Since(t), err)
					n++
				}
				ready = it.prepare == nil || res.ok(it.prepare(s, n))
			}
		})
	}
	for i := range total {
		t := start.Add(time.Duration(float64(i) * float64(time.Second) / rate))
		time.Sleep(time.Until(t))
		due <- t
	}
	close(due)
	wg.Wait()
}

// ok records a failed set-up and reports whether it succeeded.
func (r *results) ok(err error) bool {
	if err != nil {
		r.add(0, err)
	}
	return err == nil
}

func report(c config, elapsed time.Duration, res *results, driver, server time.Duration) {
	took := res.took
	slices.Sort(took)
	pct := func(p float64) string {
		if len(took) == 0 {
			return "-"
		}
		d := took[min(len(took)-1, int(float64(len(took))*p))]
		return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) + " ms"
	}
	load := "closed loops"
	if c.rate > 0 {
		load = fmt.Sprintf("open, %.0f/s asked", c.rate)
	}
	fmt.Printf("mode %s, %d shoppers (%s, %d adds a guest), %.1f s: %d done, %d failed\n", c.mode, c.shoppers, load, c.adds, elapsed.Seconds(), len(took), res.failures)
	if res.missed > 0 {
		fmt.Printf("  %d due were never started (the server fell behind)\n", res.missed)
	}
	fmt.Printf("  %.0f %s/s   p50 %s   p90 %s   p99 %s\n", float64(len(took))/elapsed.Seconds(), c.mode, pct(0.50), pct(0.90), pct(0.99))
	fmt.Printf("  driver CPU %.1f s (%.0f%% of one core)", driver.Seconds(), 100*driver.Seconds()/elapsed.Seconds())
	if c.pid != 0 {
		fmt.Printf(", vitrin CPU %.1f s (%.0f%% of one core)", server.Seconds(), 100*server.Seconds()/elapsed.Seconds())
	}
	fmt.Println()
}

// ownCPU is the user and system time this process has used.
func ownCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processCPU is the user and system time of another process (0 when pid
// is 0 or unreadable), from /proc/<pid>/stat in clock ticks of 10 ms.
func processCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which may hold spaces, closed by ')'.
	fields := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
