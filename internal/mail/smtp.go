package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"sort"
	"strings"
	"time"
)

// SMTPTransport sends over one SMTP connection per batch.
type SMTPTransport struct {
	addr     string
	host     string
	auth     smtp.Auth
	implicit bool // smtps://: TLS from the first byte
	starttls bool // ?starttls=require: refuse to send in clear
	timeout  time.Duration
}

// NewSMTPTransport reads smtp://[user:pass@]host:port[?starttls=require]
// or smtps://[user:pass@]host:port. Plain smtp:// still upgrades with
// STARTTLS whenever the server offers it.
func NewSMTPTransport(rawURL string) (*SMTPTransport, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("SMTP URL: %w", err)
	}
	t := &SMTPTransport{addr: u.Host, host: u.Hostname(), timeout: 30 * time.Second}
	switch u.Scheme {
	case "smtp":
		switch v := u.Query().Get("starttls"); v {
		case "", "auto":
		case "require", "true", "1":
			t.starttls = true
		default:
			return nil, fmt.Errorf("SMTP URL: starttls=%q: want auto or require", v)
		}
		if u.Port() == "" {
			t.addr = net.JoinHostPort(t.host, "25")
		}
	case "smtps":
		t.implicit = true
		if u.Port() == "" {
			t.addr = net.JoinHostPort(t.host, "465")
		}
	default:
		return nil, fmt.Errorf("SMTP URL: scheme %q: want smtp or smtps", u.Scheme)
	}
	if t.host == "" {
		return nil, errors.New("SMTP URL: no host")
	}
	if u.User != nil {
		pass, _ := u.User.Password()
		// net/smtp's PLAIN auth refuses to send the password in clear to
		// anything but localhost: credentials need TLS.
		t.auth = smtp.PlainAuth("", u.User.Username(), pass, t.host)
	}
	return t, nil
}

// Send delivers mails in order over one connection. If the connection
// breaks, the rest of the batch fails temporarily and is retried later.
func (t *SMTPTransport) Send(ctx context.Context, from string, mails []outgoing) []error {
	results := make([]error, len(mails))
	c, err := t.dial(ctx, len(mails))
	if err != nil {
		for i := range results {
			results[i] = err
		}
		return results
	}
	defer c.Close()
	sender := from
	if a, err := mail.ParseAddress(from); err == nil {
		sender = a.Address
	}
	for i, m := range mails {
		if err := sendOne(c, sender, from, m); err != nil {
			results[i] = classify(err)
			if isConnectionError(err) {
				for j := i + 1; j < len(mails); j++ {
					results[j] = err
				}
				return results
			}
			// Clear the failed transaction before the next mail.
			if err := c.Reset(); err != nil {
				for j := i + 1; j < len(mails); j++ {
					results[j] = err
				}
				return results
			}
		}
	}
	c.Quit()
	return results
}

func (t *SMTPTransport) dial(ctx context.Context, batch int) (*smtp.Client, error) {
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	var conn net.Conn
	var err error
	if t.implicit {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: &tls.Config{ServerName: t.host}}).DialContext(ctx, "tcp", t.addr)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", t.addr)
	}
	if err != nil {
		return nil, err
	}
	// One deadline for the whole batch's conversation, well inside the
	// sender's lease, so a stuck server cannot hold mails past it.
	conn.SetDeadline(time.Now().Add(t.timeout + time.Duration(batch)*time.Second))
	c, err := smtp.NewClient(conn, t.host)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if err := c.Hello("localhost"); err != nil {
		c.Close()
		return nil, err
	}
	if !t.implicit {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(&tls.Config{ServerName: t.host}); err != nil {
				c.Close()
				return nil, err
			}
		} else if t.starttls {
			c.Close()
			return nil, errors.New("SMTP server does not offer STARTTLS, which the SMTP URL requires")
		}
	}
	if t.auth != nil {
		if err := c.Auth(t.auth); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

func sendOne(c *smtp.Client, sender, from string, m outgoing) error {
	to, err := mail.ParseAddress(m.to)
	if err != nil {
		return &PermanentError{err}
	}
	if err := c.Mail(sender); err != nil {
		return err
	}
	if err := c.Rcpt(to.Address); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(compose(from, m)); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// classify marks SMTP 5xx replies permanent; everything else is retried.
func classify(err error) error {
	var perm *PermanentError
	if errors.As(err, &perm) {
		return err
	}
	var reply *textproto.Error
	if errors.As(err, &reply) && reply.Code >= 500 {
		return &PermanentError{err}
	}
	return err
}

func isConnectionError(err error) bool {
	var reply *textproto.Error
	var perm *PermanentError
	return !errors.As(err, &reply) && !errors.As(err, &perm)
}

// compose builds the RFC 5322 message: text and HTML alternatives, UTF-8,
// quoted-printable.
func compose(from string, m outgoing) []byte {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, part := range []struct{ ctype, content string }{
		{"text/plain; charset=utf-8", m.text},
		{"text/html; charset=utf-8", m.html},
	} {
		pw, _ := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		qp := quotedprintable.NewWriter(pw)
		qp.Write([]byte(part.content))
		qp.Close()
	}
	mw.Close()

	var msg bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&msg, "%s: %s\r\n", k, v) }
	header("From", encodeAddress(from))
	header("To", encodeAddress(m.to))
	if m.replyTo != "" {
		header("Reply-To", encodeAddress(m.replyTo))
	}
	header("Subject", mime.QEncoding.Encode("utf-8", m.subject))
	header("Date", time.Now().UTC().Format(time.RFC1123Z))
	header("Message-ID", m.messageID)
	keys := make([]string, 0, len(m.headers))
	for k := range m.headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		header(textproto.CanonicalMIMEHeaderKey(k), strings.NewReplacer("\r", "", "\n", "").Replace(m.headers[k]))
	}
	header("MIME-Version", "1.0")
	header("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	msg.WriteString("\r\n")
	msg.Write(body.Bytes())
	return msg.Bytes()
}

// encodeAddress renders "Name <addr>" with a UTF-8 name encoded.
func encodeAddress(s string) string {
	if a, err := mail.ParseAddress(s); err == nil {
		return a.String()
	}
	return s
}
