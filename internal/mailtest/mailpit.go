// Package mailtest runs tests against a real SMTP server, mailpit
// (go install github.com/axllent/mailpit@v1.27.11), and reads what it
// received through mailpit's HTTP API.
//
// VITRIN_TEST_MAILPIT="127.0.0.1:1025,http://127.0.0.1:8025" (SMTP address,
// API URL) points the tests at a running mailpit; without it each test
// starts its own on free 127.0.0.1 ports. A missing mailpit binary skips
// the test, except with CI=true, where it fails it.
package mailtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Mailpit is one mailpit server.
type Mailpit struct {
	SMTPAddr string // host:port
	APIURL   string // http://host:port
	binary   string
	dbPath   string
	cmd      *exec.Cmd
	t        testing.TB
}

// SMTPURL is the URL Vitrin's VITRIN_SMTP_URL takes for this server.
func (m *Mailpit) SMTPURL() string { return "smtp://" + m.SMTPAddr }

// Shared returns the mailpit of VITRIN_TEST_MAILPIT, or a new one.
// Tests sharing one mailpit tell their mails apart by recipient: each
// test uses addresses of its own.
func Shared(t testing.TB) *Mailpit {
	t.Helper()
	if env := os.Getenv("VITRIN_TEST_MAILPIT"); env != "" {
		smtpAddr, api, ok := strings.Cut(env, ",")
		if !ok {
			t.Fatalf("VITRIN_TEST_MAILPIT=%q: want SMTP address and API URL, comma-separated", env)
		}
		return &Mailpit{SMTPAddr: strings.TrimSpace(smtpAddr), APIURL: strings.TrimRight(strings.TrimSpace(api), "/"), t: t}
	}
	return Start(t)
}

// Start runs a mailpit of the test's own, which the test may stop and
// start again (Stop, Restart); it is killed when the test ends.
func Start(t testing.TB) *Mailpit {
	t.Helper()
	binary := findBinary()
	if binary == "" {
		msg := "mailpit not found: go install github.com/axllent/mailpit@v1.27.11"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	m := &Mailpit{
		SMTPAddr: freeAddr(t), binary: binary, t: t,
		dbPath: filepath.Join(t.TempDir(), "mailpit.db"),
	}
	m.APIURL = "http://" + freeAddr(t)
	m.Restart()
	t.Cleanup(m.Stop)
	return m
}

func findBinary() string {
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		home, _ := os.UserHomeDir()
		gopath = filepath.Join(home, "go")
	}
	p := filepath.Join(gopath, "bin", "mailpit")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return ""
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Restart starts the server (again) on the same ports and database, so
// mails it received before are still there.
func (m *Mailpit) Restart() {
	m.t.Helper()
	if m.binary == "" {
		m.t.Fatal("a shared mailpit cannot be restarted: use mailtest.Start")
	}
	m.cmd = exec.Command(m.binary, "--smtp", m.SMTPAddr, "--listen", strings.TrimPrefix(m.APIURL, "http://"),
		"--database", m.dbPath, "--max", "0", "--quiet", "--disable-version-check",
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--smtp-disable-rdns")
	m.cmd.Stdout, m.cmd.Stderr = os.Stderr, os.Stderr
	if err := m.cmd.Start(); err != nil {
		m.t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", m.SMTPAddr, time.Second)
		if err == nil {
			conn.Close()
			resp, err := http.Get(m.APIURL + "/api/v1/info")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("mailpit did not come up on %s / %s", m.SMTPAddr, m.APIURL)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop ends the server; SMTP connections are refused until Restart.
func (m *Mailpit) Stop() {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	m.cmd.Process.Kill()
	m.cmd.Wait()
	m.cmd = nil
}

// Address is a mail address as mailpit reports it.
type Address struct {
	Name    string `json:"Name"`
	Address string `json:"Address"`
}

// Message is a received mail.
type Message struct {
	ID        string    `json:"ID"`
	MessageID string    `json:"MessageID"`
	From      Address   `json:"From"`
	To        []Address `json:"To"`
	ReplyTo   []Address `json:"ReplyTo"`
	Subject   string    `json:"Subject"`
	Text      string    `json:"Text"`
	HTML      string    `json:"HTML"`
}

// Messages returns every mail received for the address, oldest first.
func (m *Mailpit) Messages(t testing.TB, to string) []Message {
	t.Helper()
	var list struct {
		Messages []struct {
			ID string `json:"ID"`
		} `json:"messages"`
	}
	m.get(t, "/api/v1/search?limit=1000&query="+url.QueryEscape(`to:"`+to+`"`), &list)
	out := make([]Message, 0, len(list.Messages))
	// Search answers newest first.
	for i := len(list.Messages) - 1; i >= 0; i-- {
		var msg Message
		m.get(t, "/api/v1/message/"+list.Messages[i].ID, &msg)
		out = append(out, msg)
	}
	return out
}

// Count is how many mails mailpit received for the address.
func (m *Mailpit) Count(t testing.TB, to string) int {
	t.Helper()
	var list struct {
		Total int `json:"messages_count"`
	}
	m.get(t, "/api/v1/search?limit=1&query="+url.QueryEscape(`to:"`+to+`"`), &list)
	return list.Total
}

// Await waits until n mails for the address arrived and returns them.
// The long deadline only bounds a broken run; it asserts no timing.
func (m *Mailpit) Await(t testing.TB, to string, n int) []Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		if got := m.Count(t, to); got >= n {
			return m.Messages(t, to)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("mailpit: %d mails for %s did not arrive (have %d)", n, to, m.Count(t, to))
		case <-time.After(25 * time.Millisecond):
		}
	}
}

func (m *Mailpit) get(t testing.TB, path string, v any) {
	t.Helper()
	resp, err := http.Get(m.APIURL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("mailpit GET %s: %v", path, err)
	}
}

// Link returns the path of the first link in a mail's text that contains
// marker, e.g. "/users/reset/".
func Link(t testing.TB, msg Message, marker string) string {
	t.Helper()
	re := regexp.MustCompile(`https?://\S+`)
	for _, raw := range re.FindAllString(msg.Text, -1) {
		u, err := url.Parse(raw)
		if err == nil && strings.Contains(u.Path, marker) {
			return u.Path
		}
	}
	t.Fatalf("no link with %q in mail %q:\n%s", marker, msg.Subject, msg.Text)
	return ""
}

// String describes a message for failure output.
func (msg Message) String() string {
	return fmt.Sprintf("%s → %v: %s", msg.From.Address, msg.To, msg.Subject)
}

// Headers returns a received mail's headers.
func (m *Mailpit) Headers(t testing.TB, msg Message) map[string][]string {
	t.Helper()
	var h map[string][]string
	m.get(t, "/api/v1/message/"+msg.ID+"/headers", &h)
	return h
}
