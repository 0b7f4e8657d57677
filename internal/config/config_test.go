package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// readmeTable is the configuration table as the README must show it.
func readmeTable() string {
	var b strings.Builder
	b.WriteString("| Flag | Environment | Default | Meaning |\n|---|---|---|---|\n")
	for _, o := range Options {
		def := "`" + o.Default + "`"
		if o.Default == "" {
			def = "(empty)"
		}
		b.WriteString("| `--" + o.Flag + "` | `" + o.Env + "` | " + def + " | " + strings.ReplaceAll(o.Usage, "|", `\|`) + " |\n")
	}
	return b.String()
}

// TestReadmeTable keeps the README's configuration table and Options in
// step: when it fails, paste the table it prints into README.md.
func TestReadmeTable(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- config table: begin -->\n", "<!-- config table: end -->"
	readme := string(raw)
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the markers %q and %q around the configuration table", begin, end)
	}
	if got, want := readme[i+len(begin):j], readmeTable(); got != want {
		t.Fatalf("README.md's configuration table differs from config.Options; it should read:\n\n%s", want)
	}
}

func TestParse(t *testing.T) {
	env := map[string]string{"SESSION_COOKIE_NAME": "sid", "VITRIN_CORS_ORIGINS": "https://shop.example/, https://m.shop.example"}
	c, err := Parse("test", []string{"--addr", ":9000", "--cookie-secure", "--session-lifetime", "1h"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":9000" || !c.CookieSecure || c.SessionLifetime != time.Hour || c.SessionCookieName != "sid" ||
		strings.Join(c.CORSOrigins, " ") != "https://shop.example https://m.shop.example" || c.BodyLimit != 1<<20 {
		t.Fatalf("parsed %+v", c)
	}
	for _, args := range [][]string{
		{"--session-lifetime", "forever"},
		{"--session-lifetime", "-1h"},
		{"--body-limit", "0"},
		{"--cookie-secure=maybe"},
		{"--session-cookie-name", " "},
		{"--no-such-flag"},
		{"--log-level", "verbose"},
		{"--log-format", "xml"},
		{"--trusted-proxies", "10.0.0.0/8,balancer.internal"},
		{"--recaptcha-site-key", "6LeKey"},
		{"--recaptcha-secret", "6LeSecret"},
		{"--recaptcha-site-key", "6Le-Key", "--recaptcha-secret", "6LeSecret"},
		{"--recaptcha-site-key", "6LeKey", "--recaptcha-secret", "6LeSecret", "--recaptcha-verify-url", "siteverify"},
		{"--stripe-api-url", "api.stripe.com"},
	} {
		if _, err := Parse("test", args, func(string) string { return "" }); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// TestEveryOptionHasItsEnvironmentVariable: each option's variable sets
// the same thing as its flag, and the flag wins over the variable.
func TestEveryOptionHasItsEnvironmentVariable(t *testing.T) {
	nonDefault := map[string]string{
		"addr": "127.0.0.1:9000", "admin-addr": "127.0.0.1:9001", "database": "sqlite:/tmp/other.db", "session-cookie-name": "sid",
		"session-lifetime": "1h", "cookie-secure": "true", "cookie-domain": ".shop.example",
		"cors-origins": "https://shop.example", "trusted-origins": "https://admin.shop.example",
		"trusted-proxies": "10.0.0.0/8, 192.0.2.7", "log-level": "debug", "log-format": "json",
		"body-limit": "2048", "pprof": "true",
		"shutdown-timeout": "5s", "demo": "true", "smtp-url": "smtp://127.0.0.1:1025",
		"mail-from": "Shop <shop@example.com>", "storefront-url": "https://shop.example",
		"support-email": "help@example.com", "recaptcha-site-key": "6LeSiteKey_1", "recaptcha-secret": "6LeSecret",
		"recaptcha-verify-url": "http://127.0.0.1:8999/siteverify",
		"stripe-secret-key":    "sk_test_123", "stripe-webhook-secret": "whsec_123", "stripe-api-url": "http://127.0.0.1:12111",
	}
	// Options that are refused on their own, with the flags they need.
	companions := map[string][]string{
		"recaptcha-site-key":   {"--recaptcha-secret=other"},
		"recaptcha-secret":     {"--recaptcha-site-key=other"},
		"recaptcha-verify-url": {"--recaptcha-site-key=other", "--recaptcha-secret=other"},
	}
	noEnv := func(string) string { return "" }
	for _, o := range Options {
		t.Run(o.Flag, func(t *testing.T) {
			v, ok := nonDefault[o.Flag]
			if !ok {
				t.Fatalf("give --%s a non-default value in this test", o.Flag)
			}
			with := companions[o.Flag]
			// nil when the companions alone are refused, which byEnv is not.
			defaults, _ := Parse("test", with, noEnv)
			byEnv, err := Parse("test", with, func(k string) string { return map[string]string{o.Env: v}[k] })
			if err != nil {
				t.Fatal(err)
			}
			byFlag, err := Parse("test", append([]string{"--" + o.Flag + "=" + v}, with...), noEnv)
			if err != nil {
				t.Fatal(err)
			}
			if reflect.DeepEqual(byEnv, defaults) || !reflect.DeepEqual(byEnv, byFlag) {
				t.Fatalf("$%s=%s gives %+v; --%s gives %+v", o.Env, v, byEnv, o.Flag, byFlag)
			}
			if o.Default == "" {
				return
			}
			overridden, err := Parse("test", append([]string{"--" + o.Flag + "=" + o.Default}, with...), func(k string) string { return map[string]string{o.Env: v}[k] })
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(overridden, defaults) {
				t.Fatalf("--%s=%s did not win over $%s", o.Flag, o.Default, o.Env)
			}
		})
	}
}

// TestAdminAddrNeverTheShoppersPort: the management API refuses to share
// the storefront's listener.
func TestAdminAddrNeverTheShoppersPort(t *testing.T) {
	_, err := Parse("test", []string{"--addr=127.0.0.1:8000", "--admin-addr=127.0.0.1:8000"}, func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "admin-addr") {
		t.Fatalf("admin on the shoppers' port: err %v, want a refusal naming --admin-addr", err)
	}
}
