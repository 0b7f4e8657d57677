// Package support owns the contact form: the subjects a store offers (from
// its import) and the messages shoppers send, which are kept and mailed to
// the store's support address with the shopper as reply-to.
package support

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vitrin/vitrin/internal/account"
	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
	vmail "github.com/vitrin/vitrin/internal/mail"
	"github.com/vitrin/vitrin/internal/ratelimit"
)

// Service reads subjects and takes messages.
type Service struct {
	db     *database.DB
	mailer *vmail.Mailer
	// OrderBelongs reports whether the order with this number belongs to
	// the customer (or, for a guest, was placed with this e-mail address).
	// Orders are another domain's; it is set where both are wired.
	OrderBelongs func(ctx context.Context, customerID int64, email, number string) (bool, error)
	now          func() time.Time
}

func NewService(db *database.DB, mailer *vmail.Mailer) *Service {
	return &Service{db: db, mailer: mailer, OrderBelongs: orderOwnership(db), now: time.Now}
}

// Subject is a topic of the contact form.
type Subject struct {
	ID            int64  `json:"id"`
	Text          string `json:"text"`
	IsOrderNeeded bool   `json:"is_order_needed"`
}

// Subjects lists the active subjects in a language.
func (s *Service) Subjects(ctx context.Context, language string) ([]Subject, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, text, is_order_needed, translations FROM contact_subjects
		WHERE active = TRUE ORDER BY sort_order, id`)
	return database.Collect(rows, err, func(row database.Scanner) (Subject, error) {
		var sub Subject
		var translations string
		err := row.Scan(&sub.ID, &sub.Text, &sub.IsOrderNeeded, &translations)
		sub.Text = translate(sub.Text, translations, language)
		return sub, err
	})
}

func translate(base, translations, language string) string {
	var texts map[string]struct {
		Text string `json:"text"`
	}
	if json.Unmarshal([]byte(translations), &texts) == nil {
		if t, ok := texts[strings.ToLower(language)]; ok && t.Text != "" {
			return t.Text
		}
	}
	return base
}

// Message is what the contact form sends.
type Message struct {
	CustomerID  int64 // 0 for a guest
	FullName    string
	Email       string
	Phone       string
	Subject     string // the subject's id
	Order       string // an order number, when the subject needs one
	Text        string
	CountryCode string
	ClientAddr  string
}

// Guests are throttled per client and per address; customers per account,
// more loosely.
var (
	guestPerClient  = ratelimit.Limit{Max: 10, Window: time.Hour}
	guestPerAddress = ratelimit.Limit{Max: 5, Window: time.Hour}
	perCustomer     = ratelimit.Limit{Max: 30, Window: time.Hour}
)

// Submit validates and keeps a message and queues its mail to support, in
// one transaction.
func (s *Service) Submit(ctx context.Context, m Message) error {
	errs := apperror.Fields{}
	text := func(field, value string, required bool, max int) string {
		value = strings.TrimSpace(value)
		switch {
		case value == "" && required:
			errs.Add(field, "This field is required.")
		case utf8.RuneCountInString(value) > max:
			errs.Add(field, "Ensure this field has no more than "+strconv.Itoa(max)+" characters.")
		}
		return value
	}
	if m.CustomerID != 0 && (strings.TrimSpace(m.Email) == "" || strings.TrimSpace(m.FullName) == "") {
		// A logged-in customer may leave out what the shop knows already.
		var email, first, last string
		if err := s.db.QueryRowContext(ctx, "SELECT email, first_name, last_name FROM customers WHERE id = $1", m.CustomerID).
			Scan(&email, &first, &last); err != nil {
			return err
		}
		if strings.TrimSpace(m.Email) == "" {
			m.Email = email
		}
		if strings.TrimSpace(m.FullName) == "" {
			m.FullName = strings.TrimSpace(first + " " + last)
		}
	}
	m.FullName = text("full_name", m.FullName, true, 255)
	m.Phone = text("phone", m.Phone, false, 32)
	m.Order = text("order", m.Order, false, 64)
	m.Text = text("message", m.Text, true, 5000)
	m.CountryCode = text("country_code", m.CountryCode, false, 8)
	email, err := account.NormalizeEmail(m.Email)
	if err != nil {
		errs.Add("email", err.Error())
	}
	m.Email = email
	subject, err := s.subject(ctx, m.Subject)
	if err != nil {
		var fields apperror.Fields
		if !errors.As(err, &fields) {
			return err
		}
		errs["subject"] = fields["subject"]
	}
	if len(errs) > 0 {
		return errs
	}
	if err := s.throttle(ctx, m); err != nil {
		return err
	}
	if subject.IsOrderNeeded {
		if m.Order == "" {
			return apperror.Field("order", "This field is required.")
		}
		ok, err := s.OrderBelongs(ctx, m.CustomerID, m.Email, m.Order)
		if err != nil {
			return err
		}
		if !ok {
			return apperror.Field("order", "Order not found.")
		}
	}
	customer := "guest"
	if m.CustomerID != 0 {
		customer = "#" + strconv.FormatInt(m.CustomerID, 10)
	}
	var customerID any
	if m.CustomerID != 0 {
		customerID = m.CustomerID
	}
	supportAddress := s.mailer.Settings().SupportEmail
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO contact_messages (customer_id, subject_id, full_name, email, phone,
			order_number, message, country_code, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			customerID, subject.ID, m.FullName, m.Email, m.Phone, m.Order, m.Text, m.CountryCode, s.now().UTC()); err != nil {
			return err
		}
		// Support reads in the store's language (the default of Queue).
		return s.mailer.Queue(ctx, tx, vmail.Letter{
			Template: "contact_message", To: supportAddress,
			ReplyTo: (&mail.Address{Name: m.FullName, Address: m.Email}).String(),
			Data: map[string]any{"FullName": m.FullName, "Email": m.Email, "Phone": m.Phone, "Customer": customer,
				"Subject": subject.Text, "Order": m.Order, "Message": m.Text},
		})
	})
}

func (s *Service) throttle(ctx context.Context, m Message) error {
	if m.CustomerID != 0 {
		return ratelimit.Hit(ctx, s.db, "contact-customer:"+strconv.FormatInt(m.CustomerID, 10), perCustomer)
	}
	if err := ratelimit.Hit(ctx, s.db, "contact-client:"+m.ClientAddr, guestPerClient); err != nil {
		return err
	}
	return ratelimit.Hit(ctx, s.db, "contact-addr:"+strings.ToLower(m.Email), guestPerAddress)
}

func (s *Service) subject(ctx context.Context, raw string) (Subject, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return Subject{}, apperror.Field("subject", "This field is required.")
	}
	invalid := apperror.Field("subject", `Invalid pk "`+raw+`" - object does not exist.`)
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return Subject{}, invalid
	}
	sub := Subject{ID: id}
	err = s.db.QueryRowContext(ctx, "SELECT text, is_order_needed FROM contact_subjects WHERE id = $1 AND active = TRUE", id).
		Scan(&sub.Text, &sub.IsOrderNeeded)
	if errors.Is(err, sql.ErrNoRows) {
		return Subject{}, invalid
	}
	return sub, err
}
