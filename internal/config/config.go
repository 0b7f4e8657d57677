// Package config reads Vitrin's settings from flags, falling back to
// environment variables, falling back to defaults.
package config

import (
	"flag"
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/database"
)

// Config holds every setting of `vitrin serve`; other subcommands read the
// database URL only.
type Config struct {
	Addr              string
	AdminAddr         string // the management API's listener; empty: off
	DatabaseURL       string
	SessionCookieName string
	SessionLifetime   time.Duration
	CookieSecure      bool
	CookieDomain      string
	CORSOrigins       []string
	TrustedOrigins    []string
	TrustedProxies    []netip.Prefix
	LogLevel          string
	LogFormat         string
	BodyLimit         int64
	Pprof             bool
	ShutdownTimeout   time.Duration
	Demo              bool
	// Mail (issue 8): see internal/mail.
	SMTPURL       string
	MailFrom      string
	StorefrontURL string
	SupportEmail  string
	// Login captcha: Google reCAPTCHA v2; off when neither key is set.
	RecaptchaSiteKey   string
	RecaptchaSecret    string
	RecaptchaVerifyURL string
	// Stripe (issue 16): the hosted payment provider of payment options
	// whose gateway is "stripe"; see internal/payment.
	StripeSecretKey     string
	StripeWebhookSecret string
	StripeAPIURL        string
}

// Option describes one setting: its flag, its environment variable and its
// default, as the README's configuration table lists them.
type Option struct {
	Flag, Env, Default, Usage string
}

// Options is the single list that both the flag parser and the README use.
var Options = []Option{
	{"addr", "VITRIN_ADDR", ":8000", "listen address"},
	{"admin-addr", "VITRIN_ADMIN_ADDR", "", "listen address of the management API, e.g. 127.0.0.1:8001 (empty: off); never the shoppers' address"},
	{"database", "VITRIN_DATABASE_URL", database.DefaultURL, "database URL: sqlite:PATH or postgres://…"},
	{"session-cookie-name", "SESSION_COOKIE_NAME", "osessionid", "session cookie name"},
	{"session-lifetime", "VITRIN_SESSION_LIFETIME", "336h", "session lifetime, sliding (Go duration)"},
	{"cookie-secure", "VITRIN_COOKIE_SECURE", "false", "mark cookies Secure and require a trusted Origin/Referer on unsafe requests"},
	{"cookie-domain", "VITRIN_COOKIE_DOMAIN", "", "cookie Domain attribute (empty: host only)"},
	{"cors-origins", "VITRIN_CORS_ORIGINS", "", "comma-separated storefront origins allowed to call with credentials"},
	{"trusted-origins", "VITRIN_CSRF_TRUSTED_ORIGINS", "", "comma-separated extra origins trusted for CSRF Origin/Referer checks"},
	{"trusted-proxies", "VITRIN_TRUSTED_PROXIES", "", "comma-separated addresses or CIDRs of proxies (balancer, storefront server) whose X-Forwarded-For names the client; one that names none is not throttled per address"},
	{"log-level", "VITRIN_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"log-format", "VITRIN_LOG_FORMAT", "auto", "text, json, or auto (text on a terminal, JSON otherwise)"},
	{"body-limit", "VITRIN_BODY_LIMIT", "1048576", "largest accepted request body in bytes"},
	{"pprof", "VITRIN_PPROF", "false", "serve /debug/pprof/ (profiling; keep off in production)"},
	{"shutdown-timeout", "VITRIN_SHUTDOWN_TIMEOUT", "30s", "how long SIGTERM waits for in-flight requests"},
	{"demo", "VITRIN_DEMO", "false", "load the demo store into an empty database at start"},
	{"smtp-url", "VITRIN_SMTP_URL", "", "SMTP server for outgoing mail: smtp://[user:pass@]host:port[?starttls=require] or smtps://…; empty logs mails instead"},
	{"mail-from", "VITRIN_MAIL_FROM", "Vitrin <noreply@vitrin.localhost>", "sender address of outgoing mail"},
	{"storefront-url", "VITRIN_STOREFRONT_URL", "", "storefront address that links in mails start with (empty: Vitrin's own address)"},
	{"support-email", "VITRIN_SUPPORT_EMAIL", "", "address that receives contact-form messages (empty: the mail-from address)"},
	{"recaptcha-site-key", "VITRIN_RECAPTCHA_SITE_KEY", "", "Google reCAPTCHA v2 site key of the login captcha; with the secret it turns the captcha on (empty: no captcha)"},
	{"recaptcha-secret", "VITRIN_RECAPTCHA_SECRET", "", "Google reCAPTCHA v2 secret key of the login captcha (set both or neither)"},
	{"recaptcha-verify-url", "VITRIN_RECAPTCHA_VERIFY_URL", "https://www.google.com/recaptcha/api/siteverify", "reCAPTCHA verification endpoint that captcha answers are checked against"},
	{"stripe-secret-key", "VITRIN_STRIPE_SECRET_KEY", "", "Stripe secret key (sk_live_… or sk_test_…) of payment options whose gateway is stripe"},
	{"stripe-webhook-secret", "VITRIN_STRIPE_WEBHOOK_SECRET", "", "signing secret (whsec_…) of the Stripe webhook endpoint /payments/stripe/webhook/"},
	{"stripe-api-url", "VITRIN_STRIPE_API_URL", "https://api.stripe.com", "Stripe API address (tests point it at stripe-mock)"},
}

// Parse reads args (without the subcommand) with the environment as defaults.
func Parse(name string, args []string, getenv func(string) string) (*Config, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	values := make(map[string]*string, len(Options))
	for _, o := range Options {
		def := o.Default
		if v := getenv(o.Env); v != "" {
			def = v
		}
		v := &textValue{s: def, isBool: o.Default == "true" || o.Default == "false"}
		fs.Var(v, o.Flag, o.Usage+" ($"+o.Env+")")
		values[o.Flag] = &v.s
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	get := func(k string) string { return strings.TrimSpace(*values[k]) }
	c := &Config{
		Addr:                get("addr"),
		AdminAddr:           get("admin-addr"),
		DatabaseURL:         get("database"),
		SessionCookieName:   get("session-cookie-name"),
		CookieDomain:        get("cookie-domain"),
		CORSOrigins:         splitList(get("cors-origins")),
		TrustedOrigins:      splitList(get("trusted-origins")),
		LogLevel:            get("log-level"),
		LogFormat:           get("log-format"),
		SMTPURL:             get("smtp-url"),
		MailFrom:            get("mail-from"),
		StorefrontURL:       get("storefront-url"),
		SupportEmail:        get("support-email"),
		RecaptchaSiteKey:    get("recaptcha-site-key"),
		RecaptchaSecret:     get("recaptcha-secret"),
		RecaptchaVerifyURL:  get("recaptcha-verify-url"),
		StripeSecretKey:     get("stripe-secret-key"),
		StripeWebhookSecret: get("stripe-webhook-secret"),
		StripeAPIURL:        get("stripe-api-url"),
	}
	var err error
	bad := func(flag string, e error) error { return fmt.Errorf("--%s: %w", flag, e) }
	if c.SessionLifetime, err = time.ParseDuration(get("session-lifetime")); err != nil || c.SessionLifetime <= 0 {
		return nil, bad("session-lifetime", fmt.Errorf("want a positive duration such as 336h"))
	}
	if c.ShutdownTimeout, err = time.ParseDuration(get("shutdown-timeout")); err != nil {
		return nil, bad("shutdown-timeout", err)
	}
	for _, b := range []struct {
		flag string
		dst  *bool
	}{{"cookie-secure", &c.CookieSecure}, {"pprof", &c.Pprof}, {"demo", &c.Demo}} {
		if *b.dst, err = strconv.ParseBool(get(b.flag)); err != nil {
			return nil, bad(b.flag, err)
		}
	}
	for _, proxy := range splitList(get("trusted-proxies")) {
		prefix, err := netip.ParsePrefix(proxy)
		if err != nil {
			addr, addrErr := netip.ParseAddr(proxy)
			if addrErr != nil {
				return nil, bad("trusted-proxies", fmt.Errorf("%q is neither an address nor a CIDR", proxy))
			}
			prefix = netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, prefix.Masked())
	}
	if c.BodyLimit, err = strconv.ParseInt(get("body-limit"), 10, 64); err != nil || c.BodyLimit <= 0 {
		return nil, bad("body-limit", fmt.Errorf("want a positive number of bytes"))
	}
	// A typo here would otherwise go unnoticed: the log is where it shows.
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return nil, bad("log-level", fmt.Errorf("want debug, info, warn or error, not %q", c.LogLevel))
	}
	switch c.LogFormat {
	case "text", "json", "auto":
	default:
		return nil, bad("log-format", fmt.Errorf("want text, json or auto, not %q", c.LogFormat))
	}
	if c.AdminAddr != "" && c.AdminAddr == c.Addr {
		return nil, bad("admin-addr", fmt.Errorf("must differ from --addr: the management API never shares the shoppers' port"))
	}
	if c.SessionCookieName == "" {
		return nil, bad("session-cookie-name", fmt.Errorf("must not be empty"))
	}
	if u, err := url.Parse(c.StripeAPIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, bad("stripe-api-url", fmt.Errorf("want an http(s) URL, not %q", c.StripeAPIURL))
	}
	if err := c.checkRecaptcha(); err != nil {
		return nil, err
	}
	return c, nil
}

// wordChars is what the real client's captcha page parser accepts as a
// site key (`sitekey=["|']\w+`): a longer key would reach the widget cut.
var wordChars = regexp.MustCompile(`^\w+$`)

// checkRecaptcha refuses a half-configured captcha, which would send
// throttled shoppers to a page that cannot work.
func (c *Config) checkRecaptcha() error {
	switch {
	case c.RecaptchaSiteKey == "" && c.RecaptchaSecret == "":
		return nil
	case c.RecaptchaSiteKey == "":
		return fmt.Errorf("--recaptcha-secret is set but --recaptcha-site-key is not")
	case c.RecaptchaSecret == "":
		return fmt.Errorf("--recaptcha-site-key is set but --recaptcha-secret is not")
	case !wordChars.MatchString(c.RecaptchaSiteKey):
		return fmt.Errorf("--recaptcha-site-key: the storefront reads only letters, digits and _ of it")
	}
	u, err := url.Parse(c.RecaptchaVerifyURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("--recaptcha-verify-url: want an http(s) URL, not %q", c.RecaptchaVerifyURL)
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimRight(strings.TrimSpace(part), "/"); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// textValue keeps a flag's text for later parsing. Switches (options whose
// default is true or false) are boolean flags, so "--demo" alone means true.
type textValue struct {
	s      string
	isBool bool
}

func (v *textValue) String() string     { return v.s }
func (v *textValue) Set(s string) error { v.s = s; return nil }
func (v *textValue) IsBoolFlag() bool   { return v.isBool }
