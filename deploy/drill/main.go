// Command drill breaks the reference deployment (deploy/up) on purpose
// while shoppers shop through the balancer at a fixed rate, then checks
// from the database that nothing was lost and prints the figures:
//
//	go run ./deploy/drill            # deploy/up, the drill, deploy/down
//	go run ./deploy/drill -phase 10s -smtp-cut 20s   # CI's short run
//
// The faults, one per phase after a quiet baseline: a Vitrin node killed
// (SIGKILL) and started again; a node stopped (SIGTERM) and started again;
// the PostgreSQL primary stopped, so pg_auto_failover promotes the standby;
// the SMTP server cut. A last quiet phase lets the mail queue drain.
//
// With -soak 30m it runs bench/shoppers.js in k6 at a constant arrival
// rate instead (no fault), samples the nodes' /metrics and k6's answers
// each minute and writes soak.txt and soak.svg.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vitrin/vitrin/internal/database"
)

type options struct {
	run, base       string
	rate            float64
	phase, smtpCut  time.Duration
	up              bool
	mailDrain       time.Duration
	shoppersInStore int
	soak            time.Duration
	out             string
}

func main() {
	var o options
	flag.StringVar(&o.run, "run", envOr("VITRIN_DEPLOY_DIR", "/tmp/vitrin-deploy"), "run directory of deploy/up")
	flag.StringVar(&o.base, "base", "http://127.0.0.1:8100", "the balancer")
	flag.Float64Var(&o.rate, "rate", 3, "shopper visits started per second (the drill's and the soak's)")
	flag.DurationVar(&o.phase, "phase", 30*time.Second, "length of each phase")
	flag.DurationVar(&o.smtpCut, "smtp-cut", time.Minute, "how long the SMTP server is down")
	flag.DurationVar(&o.mailDrain, "mail-drain", 7*time.Minute, "longest wait for the mail queue to drain at the end")
	flag.IntVar(&o.shoppersInStore, "customers", 40, "registered customers the shoppers log in as")
	flag.DurationVar(&o.soak, "soak", 0, "instead of the faults, run k6's shopper mix this long and sample /metrics each minute")
	flag.StringVar(&o.out, "out", ".", "directory for the soak's soak.txt and soak.svg")
	flag.BoolVar(&o.up, "up", true, "start the deployment with deploy/up first and stop it with deploy/down after")
	flag.Parse()
	log.SetFlags(log.Ltime)
	if err := drill(o); err != nil {
		log.Fatal("drill: ", err)
	}
}

func drill(o options) (err error) {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	if o.up {
		if err := script(root, "deploy/up"); err != nil {
			script(root, "deploy/down")
			return err
		}
		defer script(root, "deploy/down")
	}
	dbURL, err := os.ReadFile(filepath.Join(o.run, "database-url"))
	if err != nil {
		return fmt.Errorf("is the deployment up? %w", err)
	}
	ctx := context.Background()
	db, err := database.Open(ctx, strings.TrimSpace(string(dbURL)))
	if err != nil {
		return err
	}
	defer db.Close()
	if o.soak > 0 {
		// A soak runs long enough to sell the demo store out; its figures
		// are of a store that keeps selling, not of refused baskets.
		if _, err := db.ExecContext(ctx, "UPDATE products SET stock = stock + 1000000 WHERE stock > 0"); err != nil {
			return err
		}
	}
	if o.soak > 0 {
		return soak(root, o)
	}
	initial, err := stockLevels(ctx, db)
	if err != nil {
		return err
	}
	store, err := learnStore(o)
	if err != nil {
		return fmt.Errorf("set-up: %w", err)
	}
	rec := &recorder{}
	load := startLoad(o, store, rec)
	d := &deployment{run: o.run}
	for _, f := range faults(o, d) {
		rec.begin(f.name)
		log.Printf("phase: %s", f.name)
		start := time.Now()
		if err := f.act(); err != nil {
			load.stop()
			return fmt.Errorf("%s: %w", f.name, err)
		}
		if rest := o.phase - time.Since(start); rest > 0 {
			time.Sleep(rest)
		}
	}
	load.stop()
	rec.end()
	log.Printf("load stopped; waiting for the mail queue to drain")
	report := checkInvariants(ctx, db, o, rec, initial)
	printFigures(os.Stdout, rec)
	printInvariants(os.Stdout, report)
	if !report.ok() {
		return fmt.Errorf("%d invariants broken", report.broken())
	}
	// A node stopped with SIGTERM finishes what it has and the balancer
	// sends the rest elsewhere: not one request may fail.
	for _, p := range rec.phases {
		if strings.HasPrefix(p.name, "SIGTERM") && len(p.failures) > 0 {
			return fmt.Errorf("%d requests failed while a node stopped with SIGTERM", len(p.failures))
		}
	}
	return nil
}

type fault struct {
	name string
	act  func() error
}

func faults(o options, d *deployment) []fault {
	return []fault{
		{"baseline", func() error { return nil }},
		{"SIGKILL node 1, restart", func() error { return d.restartNode(1, "KILL") }},
		{"SIGTERM node 2, restart", func() error { return d.restartNode(2, "TERM") }},
		{"PostgreSQL failover", d.failover},
		{"SMTP down " + o.smtpCut.String(), func() error { return d.cutSMTP(o.smtpCut) }},
		{"recovery", func() error { return nil }},
	}
}

func repoRoot() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	return strings.TrimSpace(string(out)), err
}

func script(root, name string) error {
	cmd := exec.Command(filepath.Join(root, name))
	cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stderr, os.Stderr
	return cmd.Run()
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// loadRun is the running load generator.
type loadRun struct {
	quit chan struct{}
	wg   sync.WaitGroup
}

// startLoad starts o.rate visits a second, each in its own goroutine, at a
// fixed rate whatever the answers' latency (an open model: a slow or
// failing store does not slow the arrivals down).
func startLoad(o options, s *store, rec *recorder) *loadRun {
	l := &loadRun{quit: make(chan struct{})}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		tick := time.NewTicker(time.Duration(float64(time.Second) / o.rate))
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-l.quit:
				return
			case <-tick.C:
				l.wg.Add(1)
				go func() {
					defer l.wg.Done()
					visit(o.base, s, rec, n)
				}()
			}
		}
	}()
	return l
}

func (l *loadRun) stop() {
	close(l.quit)
	l.wg.Wait()
}
