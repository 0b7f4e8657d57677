// Command writeload drives Vitrin's write path the way storefronts do
// (own cookie jar per shopper, CSRF header, JSON and form bodies) and
// prints throughput and latency beside its own CPU use, so a reader can
// tell a server limit from a driver limit on a small machine.
//
//	go run ./bench/writeload -base http://127.0.0.1:8000 -mode basket -shoppers 64 -duration 20s
//	go run ./bench/writeload -mode checkout -shoppers 32 -pid $(pgrep -n vitrin)
//
// basket: each iteration is a new guest adding one product (GET
// /csrf_token/ untimed, POST /baskets/basket/ timed). checkout: each
// shopper registers once and keeps one address; each iteration adds a
// product and walks every checkout page to the thank-you page paying by
// funds transfer, timed as a whole.
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
	flag.Parse()
	if err := run(*base, *mode, *shoppers, *duration, *pid); err != nil {
		fmt.Fprintln(os.Stderr, "writeload:", err)
		os.Exit(1)
	}
}

func run(base, mode string, shoppers int, duration time.Duration, pid int) error {
	var iterate func(s *shopper, n int) (time.Duration, error)
	switch mode {
	case "basket":
		iterate = addToBasket
	case "checkout":
		iterate = checkout
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	store, err := discover(base)
	if err != nil {
		return err
	}
	workers := make([]*shopper, shoppers)
	for i := range workers {
		if workers[i], err = newShopper(base, store, i); err != nil {
			return err
		}
		if mode == "checkout" {
			if err := workers[i].register(); err != nil {
				return err
			}
		}
	}
	serverCPU := processCPU(pid)
	driverCPU := ownCPU()
	start := time.Now()
	deadline := start.Add(duration)
	var mu sync.Mutex
	var took []time.Duration
	var failures int
	var firstErr error
	var wg sync.WaitGroup
	for _, s := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; time.Now().Before(deadline); n++ {
				d, err := iterate(s, n)
				mu.Lock()
				if err != nil {
					failures++
					if firstErr == nil {
						firstErr = err
					}
				} else {
					took = append(took, d)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	report(mode, shoppers, elapsed, took, failures, ownCPU()-driverCPU, processCPU(pid)-serverCPU, pid != 0)
	if firstErr != nil {
		return fmt.Errorf("%d failed, the first: %w", failures, firstErr)
	}
	return nil
}

func report(mode string, shoppers int, elapsed time.Duration, took []time.Duration, failures int, driver, server time.Duration, haveServer bool) {
	slices.Sort(took)
	pct := func(p float64) string {
		if len(took) == 0 {
			return "-"
		}
		d := took[min(len(took)-1, int(float64(len(took))*p))]
		return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) + " ms"
	}
	fmt.Printf("mode %s, %d shoppers, %.1f s: %d done, %d failed\n", mode, shoppers, elapsed.Seconds(), len(took), failures)
	fmt.Printf("  %.0f %s/s   p50 %s   p90 %s   p99 %s\n", float64(len(took))/elapsed.Seconds(), mode, pct(0.50), pct(0.90), pct(0.99))
	fmt.Printf("  driver CPU %.1f s (%.0f%% of one core)", driver.Seconds(), 100*driver.Seconds()/elapsed.Seconds())
	if haveServer {
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
