package config

import (
	"os"
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
	} {
		if _, err := Parse("test", args, func(string) string { return "" }); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
