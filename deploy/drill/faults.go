package main

import (
	"bufio"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// deployment acts on the processes deploy/up started, through its run
// directory: RUN/pids names each process, RUN/bin starts them again.
type deployment struct{ run string }

// pid is the newest process of that name.
func (d *deployment) pid(name string) (int, error) {
	f, err := os.Open(filepath.Join(d.run, "pids"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	pid := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var n string
		var p int
		if _, err := fmt.Sscan(sc.Text(), &n, &p); err == nil && n == name {
			pid = p
		}
	}
	if pid == 0 {
		return 0, fmt.Errorf("no process %q in %s/pids", name, d.run)
	}
	return pid, nil
}

// stop signals a process and waits for it to exit.
func (d *deployment) stop(name string, sig syscall.Signal, within time.Duration) error {
	pid, err := d.pid(name)
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("signal %s: %w", name, err)
	}
	return waitFor(within, name+" to exit", func() bool { return syscall.Kill(pid, 0) != nil })
}

func (d *deployment) start(script string, args ...string) error {
	out, err := exec.Command(filepath.Join(d.run, "bin", script), args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w %s", script, err, out)
	}
	return nil
}

// restartNode stops Vitrin node n with the signal and starts it again once
// it has gone.
func (d *deployment) restartNode(n int, signal string) error {
	sig := map[string]syscall.Signal{"KILL": syscall.SIGKILL, "TERM": syscall.SIGTERM}[signal]
	name := fmt.Sprintf("vitrin-%d", n)
	if err := d.stop(name, sig, 30*time.Second); err != nil {
		return err
	}
	if err := d.start("start-node", fmt.Sprint(n)); err != nil {
		return err
	}
	url := fmt.Sprintf("http://127.0.0.1:810%d/readyz", n)
	return waitFor(60*time.Second, name+" to be ready", func() bool {
		res, err := http.Get(url)
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
}

// failover stops the primary's pg_autoctl (which stops its PostgreSQL),
// waits until pg_auto_failover has promoted the standby, then starts the
// old primary again, which rejoins as the standby.
func (d *deployment) failover() error {
	primary, standby, err := roles()
	if err != nil {
		return err
	}
	if err := d.stop(primary, syscall.SIGTERM, 60*time.Second); err != nil {
		return err
	}
	promoted := time.Now()
	if err := waitFor(120*time.Second, standby+" to be promoted", func() bool { return isPrimary(standby) }); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "drill: %s promoted %.1f s after %s stopped\n", standby, time.Since(promoted).Seconds(), primary)
	return d.start("start-pg", primary)
}

var pgPorts = map[string]string{"node1": "6001", "node2": "6002"}

func roles() (primary, standby string, err error) {
	switch {
	case isPrimary("node1"):
		return "node1", "node2", nil
	case isPrimary("node2"):
		return "node2", "node1", nil
	}
	return "", "", fmt.Errorf("no PostgreSQL primary")
}

func isPrimary(node string) bool {
	db, err := sql.Open("pgx", "postgres://postgres@127.0.0.1:"+pgPorts[node]+"/vitrin?sslmode=disable&connect_timeout=2")
	if err != nil {
		return false
	}
	defer db.Close()
	var recovering bool
	return db.QueryRow("SELECT pg_is_in_recovery()").Scan(&recovering) == nil && !recovering
}

// cutSMTP stops mailpit for a while and starts it again (its messages
// live in memory: a restarted mailpit holds only what was sent after).
func (d *deployment) cutSMTP(down time.Duration) error {
	if err := d.stop("mailpit", syscall.SIGKILL, 10*time.Second); err != nil {
		return err
	}
	time.Sleep(down)
	return d.start("start-mailpit")
}

func waitFor(within time.Duration, what string, done func() bool) error {
	for start := time.Now(); !done(); time.Sleep(200 * time.Millisecond) {
		if time.Since(start) > within {
			return fmt.Errorf("waited %s for %s", within, what)
		}
	}
	return nil
}

func trimBrackets(s string) string { return strings.Trim(strings.TrimSpace(s), "<>") }
