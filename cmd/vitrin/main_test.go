package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/testdb"
)

// stdout runs f and returns what it printed on standard output.
func stdout(t *testing.T, f func() error) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	err = f()
	os.Stdout = saved
	w.Close()
	out, _ := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestVersionCommand(t *testing.T) {
	if out := stdout(t, func() error { return run([]string{"version"}) }); !strings.HasPrefix(out, "vitrin ") {
		t.Fatalf("vitrin version printed %q", out)
	}
}

// TestMigrateCommand: `vitrin migrate` applies every migration, from the
// flag's or the environment's database URL, and a second run is a no-op.
func TestMigrateCommand(t *testing.T) {
	ctx := context.Background()
	for _, how := range []string{"flag", "environment"} {
		t.Run(how, func(t *testing.T) {
			url := testdb.URL(t)
			args := []string{"migrate", "--database", url}
			if how == "environment" {
				t.Setenv("VITRIN_DATABASE_URL", url)
				args = []string{"migrate"}
			}
			for range 2 {
				if err := run(args); err != nil {
					t.Fatal(err)
				}
			}
			db, err := database.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			engine := map[database.Engine]string{database.SQLite: "sqlite", database.Postgres: "postgres"}[db.Engine]
			files, err := os.ReadDir("../../internal/database/migrations/" + engine)
			if err != nil {
				t.Fatal(err)
			}
			var applied int
			if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&applied); err != nil {
				t.Fatal(err)
			}
			if applied != len(files) {
				t.Fatalf("%d migrations applied, %d in the tree", applied, len(files))
			}
		})
	}
}

// freeAddr returns a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestServeShutsDownGracefully: on SIGTERM `vitrin serve` stops accepting
// connections, lets a request that is still arriving finish, and exits
// cleanly.
func TestServeShutsDownGracefully(t *testing.T) {
	args := []string{"serve", "--addr", freeAddr(t), "--database", testdb.URL(t), "--log-level", "warn"}
	addr := args[2]
	done := make(chan error, 1)
	go func() { done <- run(args) }()
	healthy := func() bool {
		// A new connection each time (no keep-alive), so that an answer
		// also means every connection dialled before it was accepted.
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			return false
		}
		defer conn.Close()
		io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: vitrin\r\nConnection: close\r\n\r\n")
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		return err == nil && res.StatusCode == http.StatusOK
	}
	for start := time.Now(); !healthy(); time.Sleep(50 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("serve ended before answering: %v", err)
		default:
		}
		if time.Since(start) > 2*time.Minute { // a liveness guard, generous for a loaded machine
			t.Fatal("serve did not start")
		}
	}

	// A login whose body is still on its way when SIGTERM comes.
	const body = `{"email": "nobody@example.com", "password": "not-the-password"}`
	login, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer login.Close()
	fmt.Fprintf(login, "POST /users/login/ HTTP/1.1\r\nHost: vitrin\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		len(body), body[:20])
	// Only a request whose headers were read before the shutdown is in
	// flight (net/http drops the others unanswered): wait until the
	// server counts it, beside the /metrics request asking.
	for start := time.Now(); inFlight(t, addr) < 2; time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > 2*time.Minute { // a liveness guard, generous for a loaded machine
			t.Fatal("the login never reached the server")
		}
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// New connections are refused once shutdown begins ...
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		conn.Close()
		if time.Since(start) > 10*time.Second {
			t.Fatal("still accepting connections after SIGTERM")
		}
	}
	select {
	case err := <-done:
		t.Fatalf("serve ended with a request in flight: %v", err)
	default:
	}
	// ... and the request in flight is answered.
	io.WriteString(login, body[20:])
	res, err := http.ReadResponse(bufio.NewReader(login), nil)
	if err != nil {
		t.Fatalf("in-flight login: %v", err)
	}
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(raw), "non_field_errors") {
		t.Fatalf("in-flight login answered %d %s", res.StatusCode, raw)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not exit after its last request")
	}
}

// inFlight reads the server's count of requests being served.
func inFlight(t *testing.T, addr string) int {
	t.Helper()
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	for line := range strings.Lines(string(raw)) {
		if value, ok := strings.CutPrefix(line, "vitrin_http_requests_in_flight "); ok {
			n, _ := strconv.ParseFloat(strings.TrimSpace(value), 64)
			return int(n)
		}
	}
	t.Fatal("no vitrin_http_requests_in_flight in /metrics")
	return 0
}
