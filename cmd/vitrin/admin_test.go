package main

import (
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/testdb"
)

// serve with --admin-addr answers the management API there, and only
// there, and shuts both listeners down on SIGTERM.
func TestServeAdminListener(t *testing.T) {
	addr, adminAddr := freeAddr(t), freeAddr(t)
	done := make(chan error, 1)
	go func() {
		done <- run([]string{"serve", "--addr", addr, "--admin-addr", adminAddr, "--database", testdb.URL(t), "--log-level", "warn"})
	}()
	status := func(url string) int {
		res, err := http.Get(url)
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	for start := time.Now(); status("http://"+adminAddr+"/openapi.json") != http.StatusOK; time.Sleep(50 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("serve ended before answering: %v", err)
		default:
		}
		if time.Since(start) > 30*time.Second {
			t.Fatal("the management API did not start")
		}
	}
	for url, want := range map[string]int{"http://" + adminAddr + "/v1/orders": 401, "http://" + addr + "/v1/orders": 404, "http://" + addr + "/openapi.json": 404} {
		if got := status(url); got != want {
			t.Errorf("%s answered %d, want %d", url, got, want)
		}
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not exit")
	}
	if status("http://"+adminAddr+"/openapi.json") != 0 {
		t.Fatal("the management API still answers after the shutdown")
	}
}
