package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// k6Version is the k6 that bench/run installs too.
const k6Version = "v1.8.1"

// k6Binary finds k6 on the PATH or in GOPATH/bin, installing it there
// with go install when it is missing.
func k6Binary() (string, error) {
	if p, err := exec.LookPath("k6"); err == nil {
		return p, nil
	}
	gopath, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return "", err
	}
	p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "k6")
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	install := exec.Command("go", "install", "go.k6.io/k6@"+k6Version)
	install.Stdout, install.Stderr = os.Stderr, os.Stderr
	return p, install.Run()
}

// k6Answers reads the answers k6 has written to its CSV output since the
// last read: k6 flushes it every second, so the file grows while it runs.
type k6Answers struct {
	path    string
	offset  int64
	columns map[string]int
	partial string
}

// since returns the requests answered since the last call, how many of
// them failed (k6's http_req_failed: a status the script did not expect,
// or no answer) and their p99. The set-up's requests are not counted.
func (a *k6Answers) since() (requests, failed int, p99 time.Duration, err error) {
	f, err := os.Open(a.path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, 0, 0, nil
	}
	if err != nil {
		return 0, 0, 0, err
	}
	defer f.Close()
	if _, err := f.Seek(a.offset, io.SeekStart); err != nil {
		return 0, 0, 0, err
	}
	data, err := io.ReadAll(bufio.NewReader(f))
	if err != nil {
		return 0, 0, 0, err
	}
	a.offset += int64(len(data))
	text := a.partial + string(data)
	complete := strings.LastIndexByte(text, '\n') + 1
	a.partial = text[complete:]
	var latencies []time.Duration
	for _, row := range strings.Split(text[:complete], "\n") {
		fields, err := csv.NewReader(strings.NewReader(row)).Read()
		if err != nil {
			continue // the empty line after the last row
		}
		if a.columns == nil {
			a.columns = map[string]int{}
			for i, name := range fields {
				a.columns[name] = i
			}
			continue
		}
		if a.field(fields, "group") == "::setup" {
			continue
		}
		value, _ := strconv.ParseFloat(a.field(fields, "metric_value"), 64)
		switch a.field(fields, "metric_name") {
		case "http_req_duration":
			latencies = append(latencies, time.Duration(value*float64(time.Millisecond)))
		case "http_req_failed":
			if value == 1 {
				failed++
			}
		}
	}
	return len(latencies), failed, percentile(latencies, 0.99), nil
}

func (a *k6Answers) field(fields []string, name string) string {
	if i, ok := a.columns[name]; ok && i < len(fields) {
		return fields[i]
	}
	return ""
}
