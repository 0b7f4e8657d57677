package storeimport

import (
	"context"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/account"
	"github.com/vitrin/vitrin/internal/loyalty"
)

func init() { Register("customers", loadCustomers) }

// passwordSchemes are the hash encodings account.CheckPassword verifies.
var passwordSchemes = []string{"pbkdf2_sha256$", "argon2$argon2id$", "bcrypt$", "bcrypt_sha256$"}

var customerGenders = []string{"", "male", "female", "none", "other"}

// loadCustomers upserts migrated customers by e-mail, ignoring case. The
// password hash of the previous platform is stored as is and verified at
// login (and upgraded to argon2id then); a customer without one sets a
// password through password reset. Their addresses go to the address book,
// and loyalty_balance, the loyalty money they had, opens their ledger.
func loadCustomers(ctx context.Context, imp *Import) error {
	var keep idSet
	now := time.Now().UTC()
	addressBook := &addressWriter{imp: imp, now: now}
	replace, err := imp.Items(func(r *Record) error {
		email, err := account.NormalizeEmail(r.OptString("email", ""))
		if err != nil {
			r.Fail("email", err.Error())
		}
		first := r.OptString("first_name", "")
		last := r.OptString("last_name", "")
		phone := r.OptString("phone", "")
		dob := r.OptString("date_of_birth", "")
		if dob != "" {
			if _, err := time.Parse(time.DateOnly, dob); err != nil {
				r.Fail("date_of_birth", "not a date such as 1990-04-23")
			}
		}
		gender := strings.ToLower(r.OptString("gender", ""))
		if !contains(customerGenders, gender) {
			r.Fail("gender", "must be one of male, female, none, other")
		}
		emailAllowed := r.Bool("email_allowed", false)
		smsAllowed := r.Bool("sms_allowed", false)
		callAllowed := r.Bool("call_allowed", false)
		hash := r.OptString("password_hash", "")
		if hash != "" && !knownPasswordScheme(hash) {
			r.Fail("password_hash", "unsupported encoding: want pbkdf2_sha256$…, argon2$argon2id$…, bcrypt$… or bcrypt_sha256$…")
		}
		joined := r.Time("date_joined")
		addresses := readAddresses(r)
		opening, _ := r.OptMoney("loyalty_balance")
		if len(first) > 150 || len(last) > 150 {
			r.Fail("first_name", "names are at most 150 characters")
		}
		if !r.Done() || !imp.Ok() {
			return nil
		}
		cols := []string{"email", "first_name", "last_name", "phone", "date_of_birth", "gender",
			"email_allowed", "sms_allowed", "call_allowed", "password_hash"}
		vals := []any{email, first, last, phone, nullIfEmpty(dob), gender, emailAllowed, smsAllowed, callAllowed, hash}
		var insertCols []string
		var insertVals []any
		if joined.IsZero() {
			insertCols, insertVals = []string{"date_joined"}, []any{now}
		} else {
			cols, vals = append(cols, "date_joined"), append(vals, joined)
		}
		digest := r.Hash()
		id, written, err := imp.upsert(row{table: "customers", keyCols: []string{"email_lower"}, keyVals: []any{strings.ToLower(email)},
			hash: digest, cols: cols, vals: vals, insertCols: insertCols, insertVals: insertVals})
		if err != nil {
			return err
		}
		if keep.has(id) {
			r.Fail("email", "duplicate customer "+email+" in the file")
		}
		keep.add(id)
		if written {
			if err := loyalty.Open(ctx, imp.tx, id, opening); err != nil {
				return err
			}
			// The digest covers the addresses: they change with the customer.
			return addressBook.replace(id, digest, addresses)
		}
		return nil
	})
	addressBook.afterCustomers()
	if replace {
		imp.Fail("customers.replace", "customers are never removed by an import")
	}
	return err
}

func knownPasswordScheme(hash string) bool {
	for _, s := range passwordSchemes {
		if strings.HasPrefix(hash, s) {
			return true
		}
	}
	return false
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
