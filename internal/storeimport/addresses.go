package storeimport

import (
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"
)

// customerAddress is a validated address of a migrated customer. Places
// are given as in the geography section: country by code, the others by
// name within their parent.
type customerAddress struct {
	rec                                           *Record
	title, firstName, lastName, email, phone      string
	country, city, township, district             string
	line, postcode                                string
	corporate, eBill, primary                     bool
	companyName, taxNo, taxOffice, identity, note string
}

func readAddresses(r *Record) []customerAddress {
	var out []customerAddress
	primaries := 0
	for _, a := range r.Objects("addresses") {
		ad := customerAddress{rec: a,
			title: a.OptString("title", ""), firstName: a.OptString("first_name", ""), lastName: a.OptString("last_name", ""),
			email: a.OptString("email", ""), phone: a.OptString("phone_number", ""),
			country: strings.ToLower(a.String("country")), city: a.String("city"),
			township: a.OptString("township", ""), district: a.OptString("district", ""),
			line: a.OptString("line", ""), postcode: a.OptString("postcode", ""),
			corporate: a.Bool("is_corporate", false), companyName: a.OptString("company_name", ""),
			taxNo: a.OptString("tax_no", ""), taxOffice: a.OptString("tax_office", ""),
			eBill: a.Bool("e_bill_taxpayer", false), identity: a.OptString("identity_number", ""),
			note: a.OptString("notes", ""), primary: a.Bool("is_primary", false)}
		if ad.district != "" && ad.township == "" {
			a.Fail("district", "needs its township too")
		}
		if ad.primary {
			if primaries++; primaries > 1 {
				a.Fail("is_primary", "only one address of a customer can be primary")
			}
		}
		a.Done()
		out = append(out, ad)
	}
	return out
}

// addressWriter stores the addresses of migrated customers, resolving
// their places through small caches.
type addressWriter struct {
	imp     *Import
	now     time.Time
	places  map[string]int64 // "table\x00parent\x00name" → id
	pending []pendingAddresses
}

type pendingAddresses struct {
	customerID int64
	hash       string
	list       []customerAddress
}

// replace swaps the addresses an earlier import gave the customer for
// list; addresses the customer added in the store are kept. When the
// geography section has not been read yet, it waits for the end of the
// document.
func (w *addressWriter) replace(customerID int64, hash string, list []customerAddress) error {
	if !w.imp.Seen("geography") {
		if len(list) > 0 || w.hasImported(customerID) {
			w.pending = append(w.pending, pendingAddresses{customerID, hash, list})
		}
		return nil
	}
	return w.write(customerID, hash, list)
}

// hasImported is false for a customer new to this import: nothing to
// replace, so an address-less customer costs no deferred work.
func (w *addressWriter) hasImported(customerID int64) bool {
	var one int
	err := w.imp.tx.QueryRowContext(w.imp.ctx, "SELECT 1 FROM customer_addresses WHERE customer_id = $1 AND import_hash <> '' LIMIT 1", customerID).Scan(&one)
	return err == nil
}

func (w *addressWriter) flushPending() error {
	for _, p := range w.pending {
		if err := w.write(p.customerID, p.hash, p.list); err != nil {
			return err
		}
	}
	w.pending = nil
	return nil
}

func (w *addressWriter) write(customerID int64, hash string, list []customerAddress) error {
	ctx := w.imp.ctx
	tx := w.imp.tx
	if _, err := tx.ExecContext(ctx, "DELETE FROM customer_addresses WHERE customer_id = $1 AND import_hash <> ''", customerID); err != nil {
		return err
	}
	for _, a := range list {
		country, ok1 := w.place(a.rec, "country", "countries", "code", "", 0, a.country)
		city, ok2 := w.place(a.rec, "city", "cities", "name", "country_id", country, a.city)
		var township, district any
		ok3 := true
		if a.township != "" {
			id, ok := w.place(a.rec, "township", "townships", "name", "city_id", city, a.township)
			township, ok3 = id, ok
			if ok && a.district != "" {
				id, ok := w.place(a.rec, "district", "districts", "name", "township_id", id, a.district)
				district, ok3 = id, ok
			}
		}
		if !ok1 || !ok2 || !ok3 || !w.imp.Ok() {
			continue
		}
		if a.primary {
			// The file is authoritative for a migrated customer's default address.
			if _, err := tx.ExecContext(ctx, "UPDATE customer_addresses SET is_primary = FALSE WHERE customer_id = $1 AND is_primary", customerID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO customer_addresses (customer_id, title, first_name, last_name, email,
			phone_number, country_id, city_id, township_id, district_id, line, postcode, is_corporate, company_name,
			tax_no, tax_office, e_bill_taxpayer, identity_number, notes, is_primary, import_hash, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $22)`,
			customerID, a.title, a.firstName, a.lastName, a.email, a.phone, country, city, township, district, a.line,
			a.postcode, a.corporate, a.companyName, a.taxNo, a.taxOffice, a.eBill, a.identity, a.note, a.primary,
			hash, w.now); err != nil {
			return err
		}
	}
	return nil
}

// place resolves one place of an address, failing the address's field
// when it is unknown.
func (w *addressWriter) place(rec *Record, field, table, keyCol, parentCol string, parent int64, key string) (int64, bool) {
	if parentCol != "" && parent == 0 {
		return 0, false // the parent already failed
	}
	cacheKey := table + "\x00" + strconv.FormatInt(parent, 10) + "\x00" + key
	if id, ok := w.places[cacheKey]; ok {
		return id, true
	}
	query := "SELECT id FROM " + table + " WHERE " + keyCol + " = $1"
	args := []any{key}
	if parentCol != "" {
		query += " AND " + parentCol + " = $2"
		args = append(args, parent)
	}
	var id int64
	err := w.imp.tx.QueryRowContext(w.imp.ctx, query, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		rec.Fail(field, "unknown "+field+" "+strconv.Quote(key))
		return 0, false
	}
	if err != nil {
		w.imp.Fail(rec.Path(field), err.Error())
		return 0, false
	}
	if w.places == nil {
		w.places = map[string]int64{}
	}
	w.places[cacheKey] = id
	return id, true
}

// afterCustomers registers the deferred address writes.
func (w *addressWriter) afterCustomers() {
	if len(w.pending) > 0 {
		w.imp.After(w.flushPending)
	}
}
