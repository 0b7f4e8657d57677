package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// sample is one minute of the soak: the nodes' figures summed from their
// /metrics, and k6's requests, failures and p99 over the minute.
type sample struct {
	minute                      int
	rssMB, heapMB               float64
	goroutines, dbConns, openFD float64
	requests, failed            int
	load                        string // the machine's load average: other work shows in p99
	p99                         time.Duration
}

var soakMetrics = map[string]func(*sample, float64){
	"process_resident_memory_bytes": func(s *sample, v float64) { s.rssMB += v / (1 << 20) },
	"go_memstats_heap_inuse_bytes":  func(s *sample, v float64) { s.heapMB += v / (1 << 20) },
	"go_goroutines":                 func(s *sample, v float64) { s.goroutines += v },
	"go_sql_open_connections":       func(s *sample, v float64) { s.dbConns += v },
	"process_open_fds":              func(s *sample, v float64) { s.openFD += v },
}

// soak runs the shopper mix of bench/shoppers.js in k6 at a constant
// arrival rate of o.rate visits a second for o.soak, samples the nodes'
// /metrics and k6's answers every minute, and writes soak.txt and
// soak.svg into o.out. It fails when k6 counted an unexpected answer.
func soak(root string, o options) error {
	k6, err := k6Binary()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "vitrin-soak")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	results := filepath.Join(tmp, "k6.csv")
	cmd := exec.Command(k6, "run", "--quiet", "--out", "csv="+results,
		"-e", "BASE_URL="+o.base, "-e", fmt.Sprintf("RATE=%g", o.rate), "-e", "VUS=64",
		"-e", fmt.Sprintf("DURATION=%d", int(o.soak.Seconds())), "-e", "OUT="+tmp, "-e", "NAME=soak",
		filepath.Join(root, "bench/shoppers.js"))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	answers := &k6Answers{path: results}
	samples, err := sampleMinutes(answers, o.soak)
	k6err := cmd.Wait()
	if err != nil {
		return err
	}
	var table strings.Builder
	printSoak(&table, samples)
	fmt.Print(table.String())
	if err := os.WriteFile(o.out+"/soak.txt", []byte(table.String()), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(o.out+"/soak.svg", plot(samples), 0o644); err != nil {
		return err
	}
	if k6err != nil {
		return fmt.Errorf("k6: %w", k6err)
	}
	return nil
}

// sampleMinutes waits for the load to start (k6's set-up registers the
// shoppers first), then takes one sample a minute for length.
func sampleMinutes(answers *k6Answers, length time.Duration) ([]sample, error) {
	for {
		n, _, _, err := answers.since()
		if err != nil {
			return nil, err
		}
		if n > 0 {
			break
		}
		time.Sleep(time.Second)
	}
	var samples []sample
	for minute := 1; time.Duration(minute)*time.Minute <= length; minute++ {
		time.Sleep(time.Minute)
		s := sample{minute: minute}
		for n := 1; n <= 3; n++ {
			if err := scrape(fmt.Sprintf("http://127.0.0.1:810%d/metrics", n), &s); err != nil {
				return nil, err
			}
		}
		if avg, err := os.ReadFile("/proc/loadavg"); err == nil {
			s.load, _, _ = strings.Cut(string(avg), " ")
		}
		var err error
		if s.requests, s.failed, s.p99, err = answers.since(); err != nil {
			return nil, err
		}
		samples = append(samples, s)
		fmt.Fprintf(os.Stderr, "soak: minute %d: %d requests (%d failed), p99 %.0f ms, %.0f MB RSS, %.0f goroutines, %.0f connections\n",
			minute, s.requests, s.failed, ms(s.p99), s.rssMB, s.goroutines, s.dbConns)
	}
	return samples, nil
}

func scrape(url string, s *sample) error {
	res, err := http.Get(url)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	for sc := bufio.NewScanner(res.Body); sc.Scan(); {
		name, value, ok := strings.Cut(sc.Text(), " ")
		name, _, _ = strings.Cut(name, "{")
		if add := soakMetrics[name]; ok && add != nil {
			if v, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
				add(s, v)
			}
		}
	}
	return nil
}

func printSoak(w io.Writer, samples []sample) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "minute\trequests\tfailed\tp99 ms\tRSS MB\theap MB\tgoroutines\tdb conns\topen fds\tload\t")
	for _, s := range samples {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%.0f\t%.1f\t%.1f\t%.0f\t%.0f\t%.0f\t%s\t\n", s.minute, s.requests, s.failed, ms(s.p99),
			s.rssMB, s.heapMB, s.goroutines, s.dbConns, s.openFD, s.load)
	}
	tw.Flush()
}

// plot draws one small chart per figure, each on its own scale from zero:
// flat lines are the bar.
func plot(samples []sample) []byte {
	series := []struct {
		name string
		of   func(sample) float64
	}{
		{"RSS MB (3 nodes)", func(s sample) float64 { return s.rssMB }},
		{"goroutines", func(s sample) float64 { return s.goroutines }},
		{"database connections", func(s sample) float64 { return s.dbConns }},
		{"p99 ms", func(s sample) float64 { return ms(s.p99) }},
	}
	const w, h = 640, 120
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`, w, h*len(series))
	for i, sr := range series {
		top := i * h
		peak := 0.0
		for _, s := range samples {
			peak = max(peak, sr.of(s))
		}
		peak = max(peak*1.1, 1)
		fmt.Fprintf(&b, `<text x="4" y="%d">%s (0 to %.0f)</text>`, top+14, sr.name, peak)
		fmt.Fprintf(&b, `<rect x="40" y="%d" width="%d" height="%d" fill="none" stroke="#ccc"/>`, top+20, w-50, h-30)
		var points []string
		for j, s := range samples {
			x := 40 + float64(w-50)*float64(j)/float64(max(len(samples)-1, 1))
			y := float64(top+20) + float64(h-30)*(1-sr.of(s)/peak)
			points = append(points, fmt.Sprintf("%.1f,%.1f", x, y))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="%s"/>`, strings.Join(points, " "))
	}
	b.WriteString("</svg>\n")
	return []byte(b.String())
}
