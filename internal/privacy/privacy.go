// Package privacy erases a customer on request (KVKK/GDPR "right to be
// forgotten"): personal data goes, the orders stay for the merchant's books
// with their personal fields replaced, and the address is free again.
package privacy

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/session"
	"github.com/vitrin/vitrin/internal/webhook"
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
	byID        by = iota // $1 is the customer's id
	byEmail               // $1 is the lower-case address
	byIDEmail             // $1 the id, $2 the address
	byAngleAddr           // $1 is a LIKE pattern matching "… <address>"
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
	// Contact messages mailed to support carry the customer as reply-to.
	{"mail_outbox", `LOWER(reply_to) LIKE $1 ESCAPE '\'`, byAngleAddr},
	{"login_failures", "key = 'email:' || $1", byEmail},
	// Throttle counters of the mails the address asked for are keyed by it.
	{"rate_limits", "key IN ('reset-addr:' || $1, 'contact-addr:' || $1, 'subscribe-addr:' || $1)", byEmail},
	{"customer_addresses", "customer_id = $1", byID},
}

// Anonymize erases the customer's personal data and ends every session.
// It cannot be undone; running it again changes nothing more.
func (s *Service) Anonymize(ctx context.Context, customerID int64) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var email string
		if err := tx.QueryRowContext(ctx, "SELECT email FROM customers WHERE id = $1"+s.db.ForUpdate(), customerID).Scan(&email); err != nil {
			return err
		}
		lower := strings.ToLower(email)
		for _, r := range personalRows {
			args := map[by][]any{byID: {customerID}, byEmail: {lower}, byIDEmail: {customerID, lower},
				byAngleAddr: {"%<" + likeEscaper.Replace(lower) + ">"}}[r.by]
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+r.table+" WHERE "+r.where, args...); err != nil {
				return err
			}
		}
		placeholder := placeholderEmail(customerID)
		if err := anonymizeOrders(ctx, tx, customerID, lower, placeholder); err != nil {
			return err
		}
		// Voucher uses stay counted (usage limits, the books) under the
		// placeholder address.
		if _, err := tx.ExecContext(ctx, "UPDATE voucher_uses SET email = $1 WHERE customer_id = $2 OR LOWER(email) = $3",
			placeholder, customerID, lower); err != nil {
			return err
		}
		// An empty hash matches no password: nobody logs in as this customer
		// again, and the old address can register anew.
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET email = $1, email_lower = $1, password_hash = '',
			first_name = '', last_name = '', phone = '', date_of_birth = NULL, gender = '', attributes = '{}',
			language = '', email_allowed = FALSE, sms_allowed = FALSE, call_allowed = FALSE, email_verified = FALSE
			WHERE id = $2`, placeholder, customerID); err != nil {
			return err
		}
		if !IsAnonymized(email) {
			if err := webhook.Enqueue(ctx, tx, webhook.CustomerAnonymised, map[string]any{"customer_id": customerID}); err != nil {
				return err
			}
		}
		return s.sessions.EndCustomerSessions(ctx, tx, customerID, "")
	})
}

// likeEscaper escapes LIKE's wildcards (an address may hold "_" or "%").
var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

// orderAddressKeys are what an order's address snapshot keeps after
// anonymisation: where it went, for the books, not who or which door.
var orderAddressKeys = []string{"country", "city", "township", "district"}

// anonymizeOrders keeps the customer's orders, and the guest orders placed
// with the address, with amounts, items and dates, and replaces who and
// where: contact details, the addresses' personal fields, notes and the
// client address.
func anonymizeOrders(ctx context.Context, tx *sql.Tx, customerID int64, email, placeholder string) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, shipping_address, billing_address FROM orders
		WHERE customer_id = $1 OR (customer_id IS NULL AND LOWER(email) = $2)`, customerID, email)
	type snapshot struct {
		id                int64
		shipping, billing string
	}
	orders, err := database.Collect(rows, err, func(row database.Scanner) (snapshot, error) {
		var o snapshot
		err := row.Scan(&o.id, &o.shipping, &o.billing)
		return o, err
	})
	if err != nil {
		return err
	}
	for _, o := range orders {
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET email = $1, phone = '', shipping_address = $2,
			billing_address = $3, notes = '', remote_addr = '' WHERE id = $4`,
			placeholder, scrubAddress(o.shipping), scrubAddress(o.billing), o.id); err != nil {
			return err
		}
	}
	return nil
}

// scrubAddress keeps only the geography of an address snapshot.
func scrubAddress(raw string) string {
	var address map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &address); err != nil || address == nil {
		return "null"
	}
	kept := map[string]json.RawMessage{}
	for _, k := range orderAddressKeys {
		if v, ok := address[k]; ok {
			kept[k] = v
		}
	}
	out, _ := json.Marshal(kept)
	return string(out)
}
