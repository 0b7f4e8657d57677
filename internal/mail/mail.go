// Package mail sends Vitrin's e-mail durably. A mail is rendered from an
// embedded template and written to the outbox table in the same
// transaction as the event that causes it (a reset request, a stock
// arrival); the Sender delivers the outbox over SMTP with retries, so a
// mail server that is down, a restart or several nodes sharing one
// database neither lose a mail nor send it twice.
package mail

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/config"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/token"
)

// Settings are the mail settings of a store.
type Settings struct {
	// SMTPURL is smtp://[user:pass@]host:port[?starttls=require], or
	// smtps://… for implicit TLS; empty logs mail instead of sending it.
	SMTPURL string
	// From is the sender address of every mail.
	From string
	// StorefrontURL prefixes the paths of links in mails.
	StorefrontURL string
	// SupportEmail receives the contact form's messages.
	SupportEmail string
}

// SettingsFrom reads the mail settings from the server's configuration.
// Without a storefront address, links point at Vitrin itself.
func SettingsFrom(cfg *config.Config) Settings {
	s := Settings{SMTPURL: cfg.SMTPURL, From: cfg.MailFrom, StorefrontURL: cfg.StorefrontURL, SupportEmail: cfg.SupportEmail}
	if s.StorefrontURL == "" {
		host, port, _ := strings.Cut(cfg.Addr, ":")
		if host == "" || host == "0.0.0.0" || host == "[::]" {
			host = "localhost"
		}
		s.StorefrontURL = "http://" + host + ":" + port
	}
	s.StorefrontURL = strings.TrimRight(s.StorefrontURL, "/")
	if s.SupportEmail == "" {
		s.SupportEmail = s.From
	}
	return s
}

// Letter is a mail to write: a template, its language and its data.
type Letter struct {
	Template string // e.g. "password_reset"
	Language string // the recipient's language; the store's default when unknown
	To       string
	ReplyTo  string
	Data     map[string]any
	// Headers are extra headers (List-Unsubscribe on marketing mail).
	Headers map[string]string
}

// Mailer renders letters and writes them to the outbox.
type Mailer struct {
	db       *database.DB
	settings Settings
	now      func() time.Time
}

func NewMailer(db *database.DB, settings Settings) *Mailer {
	return &Mailer{db: db, settings: settings, now: time.Now}
}

// Settings returns the store's mail settings.
func (m *Mailer) Settings() Settings { return m.settings }

// Link is the storefront address of an API path, for a link in a mail:
// the storefront's page at that path makes the same call to Vitrin.
func (m *Mailer) Link(path string) string { return m.settings.StorefrontURL + path }

// Queue renders a letter and writes it to the outbox through q, which is
// normally the transaction of the event the mail is about: the mail exists
// exactly when the event does.
func (m *Mailer) Queue(ctx context.Context, q database.Querier, l Letter) error {
	if _, err := mail.ParseAddress(l.To); err != nil {
		return fmt.Errorf("mail %s: bad recipient %q: %w", l.Template, l.To, err)
	}
	store, defaultLang, err := storeIdentity(ctx, q)
	if err != nil {
		return err
	}
	data := map[string]any{"Store": store}
	for k, v := range l.Data {
		data[k] = v
	}
	r, err := render(l.Template, Language(l.Language, defaultLang), data)
	if err != nil {
		return err
	}
	headers, err := json.Marshal(l.Headers)
	if err != nil {
		return err
	}
	if l.Headers == nil {
		headers = []byte("{}")
	}
	now := m.now().UTC()
	// The Message-ID is fixed when the mail is queued, so a retry after an
	// uncertain delivery carries the same id and mail clients show one mail.
	messageID := fmt.Sprintf("<%s.%s@%s>", now.Format("20060102150405"), token.New(16), domainOf(m.settings.From))
	_, err = q.ExecContext(ctx, `INSERT INTO mail_outbox (message_id, kind, recipient, reply_to, subject, text_body,
		html_body, headers, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		messageID, l.Template, l.To, l.ReplyTo, r.subject, r.text, r.html, string(headers), now, now)
	return err
}

// storeIdentity returns the store's name and default language for mails.
func storeIdentity(ctx context.Context, q database.Querier) (name, language string, err error) {
	err = q.QueryRowContext(ctx, "SELECT name, default_language FROM store WHERE id = 1").Scan(&name, &language)
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	if name == "" {
		name = "Vitrin"
	}
	return name, language, err
}

// Language picks the template language for a customer's language tag
// ("tr", "en-GB", "en-us"), falling back to the store's default, then to
// Turkish.
func Language(lang, storeDefault string) string {
	for _, l := range []string{lang, storeDefault} {
		switch l = strings.ToLower(strings.TrimSpace(l)); {
		case strings.HasPrefix(l, "en"):
			return "en-us"
		case strings.HasPrefix(l, "tr"):
			return "tr-tr"
		}
	}
	return "tr-tr"
}

func domainOf(address string) string {
	if a, err := mail.ParseAddress(address); err == nil {
		address = a.Address
	}
	if i := strings.LastIndexByte(address, '@'); i >= 0 && i+1 < len(address) {
		return address[i+1:]
	}
	return "vitrin.localhost"
}
