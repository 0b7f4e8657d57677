// Package address is the address book: customers' addresses (and a guest's
// checkout addresses), validated against the imported geography and always
// reached through their owner.
package address

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/database"
)

// GuestSessionKey is the session data key holding a guest's owner key; it
// carries over at login, when the addresses move to the customer.
const GuestSessionKey = "address_guest_key"

// Owner is whose addresses these are: a customer, or a guest identified by
// the random key kept in their session. Exactly one is set.
type Owner struct {
	CustomerID int64
	GuestKey   string
}

// Fields are what a shopper writes on an address.
type Fields struct {
	Title, FirstName, LastName, Email, Phone string
	Line, Postcode                           string
	Country, City, Township, District        int64 // pks; Township and District may be 0
	IsCorporate                              bool
	CompanyName, TaxNo, TaxOffice            string
	EBillTaxpayer                            bool
	IdentityNumber, Notes                    string
	Primary                                  bool
}

// Address is a stored address with its places resolved.
type Address struct {
	ID    int64
	Owner Owner
	Fields
	CountryPlace  catalog.Country
	CityPlace     catalog.City
	TownshipPlace *catalog.Township
	DistrictPlace *catalog.District
}

// Service reads and writes addresses.
type Service struct {
	db *database.DB
	// Every checkout step reads its addresses: prepared once, the join is
	// not compiled again on each read (most of a step's cost on SQLite).
	stmts *database.StmtCache
}

func New(db *database.DB) *Service { return &Service{db: db, stmts: database.NewStmtCache(db)} }

const selectAddress = `SELECT a.id, COALESCE(a.customer_id, 0), COALESCE(a.guest_key, ''), a.title, a.first_name, a.last_name,
	a.email, a.phone_number, a.line, a.postcode, a.is_corporate, a.company_name, a.tax_no, a.tax_office,
	a.e_bill_taxpayer, a.identity_number, a.notes, a.is_primary,
	co.id, co.code, co.name, ci.id, ci.name, ci.postcode,
	COALESCE(t.id, 0), COALESCE(t.name, ''), COALESCE(t.postcode, ''),
	COALESCE(d.id, 0), COALESCE(d.name, ''), COALESCE(d.postcode, '')
	FROM customer_addresses a
	JOIN countries co ON co.id = a.country_id
	JOIN cities ci ON ci.id = a.city_id
	LEFT JOIN townships t ON t.id = a.township_id
	LEFT JOIN districts d ON d.id = a.district_id `

// ownerCondition restricts a query to the owner's rows; $1 is the owner.
func ownerCondition(o Owner) (string, any) {
	if o.CustomerID != 0 {
		return "a.customer_id = $1", o.CustomerID
	}
	return "a.guest_key = $1", o.GuestKey
}

func scan(rows database.Scanner) (*Address, error) {
	var a Address
	var tID, dID int64
	var tName, tPost, dName, dPost string
	err := rows.Scan(&a.ID, &a.Owner.CustomerID, &a.Owner.GuestKey, &a.Title, &a.FirstName, &a.LastName,
		&a.Email, &a.Phone, &a.Line, &a.Postcode, &a.IsCorporate, &a.CompanyName, &a.TaxNo, &a.TaxOffice,
		&a.EBillTaxpayer, &a.IdentityNumber, &a.Notes, &a.Primary,
		&a.CountryPlace.PK, &a.CountryPlace.Code, &a.CountryPlace.Name, &a.CityPlace.PK, &a.CityPlace.Name, &a.CityPlace.Postcode,
		&tID, &tName, &tPost, &dID, &dName, &dPost)
	if err != nil {
		return nil, err
	}
	a.CountryPlace.IsActive = true
	a.CityPlace.IsActive = true
	a.CityPlace.Country = a.CountryPlace
	a.Country, a.City = a.CountryPlace.PK, a.CityPlace.PK
	if tID != 0 {
		a.Township = tID
		a.TownshipPlace = &catalog.Township{PK: tID, Name: tName, Postcode: tPost, City: a.CityPlace, IsActive: true}
	}
	if dID != 0 {
		a.District = dID
		a.DistrictPlace = &catalog.District{PK: dID, Name: dName, Postcode: dPost, City: a.City, Township: tID, IsActive: true}
	}
	return &a, nil
}

// List returns the owner's addresses, the default first, then newest first.
func (s *Service) List(ctx context.Context, o Owner) ([]*Address, error) {
	cond, arg := ownerCondition(o)
	rows, err := s.stmts.QueryContext(ctx, s.db, selectAddress+"WHERE "+cond+" ORDER BY a.is_primary DESC, a.id DESC", arg)
	return database.Collect(rows, err, scan)
}

// Get returns one of the owner's addresses; another owner's is not found.
func (s *Service) Get(ctx context.Context, q database.Querier, o Owner, id int64) (*Address, error) {
	if o.CustomerID == 0 && o.GuestKey == "" {
		return nil, apperror.ErrNotFound
	}
	cond, arg := ownerCondition(o)
	a, err := scan(s.stmts.QueryRowContext(ctx, q, selectAddress+"WHERE "+cond+" AND a.id = $2", arg, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperror.ErrNotFound
	}
	return a, err
}

// validate checks the fields and that the places nest: the city is in the
// country, the township in the city, the district in the township.
func validate(ctx context.Context, q database.Querier, f *Fields) error {
	errs := apperror.Fields{}
	trim := func(p *string) { *p = strings.TrimSpace(*p) }
	for _, p := range []*string{&f.Title, &f.FirstName, &f.LastName, &f.Email, &f.Phone, &f.Line, &f.Postcode,
		&f.CompanyName, &f.TaxNo, &f.TaxOffice, &f.IdentityNumber, &f.Notes} {
		trim(p)
	}
	required := map[string]string{"title": f.Title, "first_name": f.FirstName, "last_name": f.LastName,
		"phone_number": f.Phone, "line": f.Line}
	if f.IsCorporate {
		required["company_name"] = f.CompanyName
		required["tax_no"] = f.TaxNo
		required["tax_office"] = f.TaxOffice
	}
	for name, v := range required {
		if v == "" {
			errs.Add(name, "This field may not be blank.")
		}
	}
	long := map[string]string{"title": f.Title, "first_name": f.FirstName, "last_name": f.LastName, "line": f.Line,
		"phone_number": f.Phone, "postcode": f.Postcode, "company_name": f.CompanyName, "tax_no": f.TaxNo,
		"tax_office": f.TaxOffice, "notes": f.Notes, "identity_number": f.IdentityNumber, "email": f.Email}
	for name, v := range long {
		if len(v) > 512 {
			errs.Add(name, "Ensure this field has no more than 512 characters.")
		}
	}
	if f.Phone != "" && strings.Trim(f.Phone, "+0123456789 ()-") != "" {
		errs.Add("phone_number", "Enter a valid phone number.")
	}
	if f.Country == 0 {
		errs.Add("country", "This field is required.")
	}
	if f.City == 0 {
		errs.Add("city", "This field is required.")
	}
	if len(errs) > 0 {
		return errs
	}
	exists := func(query string, args ...any) (bool, error) {
		var one int
		err := q.QueryRowContext(ctx, query, args...).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	}
	checks := []struct {
		field string
		skip  bool
		query string
		args  []any
	}{
		{"country", false, "SELECT 1 FROM countries WHERE id = $1", []any{f.Country}},
		{"city", false, "SELECT 1 FROM cities WHERE id = $1 AND country_id = $2", []any{f.City, f.Country}},
		{"township", f.Township == 0, "SELECT 1 FROM townships WHERE id = $1 AND city_id = $2", []any{f.Township, f.City}},
		{"district", f.District == 0, "SELECT 1 FROM districts WHERE id = $1 AND township_id = $2", []any{f.District, f.Township}},
	}
	for _, c := range checks {
		if c.skip {
			continue
		}
		ok, err := exists(c.query, c.args...)
		if err != nil {
			return err
		}
		if !ok {
			errs.Add(c.field, `Invalid pk "`+itoa(c.args[0].(int64))+`" - object does not exist.`)
			break // the places below depend on this one
		}
	}
	if f.District != 0 && f.Township == 0 {
		errs.Add("township", "A district needs its township.")
	}
	return errs.OrNil()
}

func nullable(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// setPrimary makes id the owner's only default address.
func setPrimary(ctx context.Context, tx *sql.Tx, o Owner, id int64) error {
	if o.CustomerID == 0 {
		return nil // a guest's addresses have no default
	}
	if _, err := tx.ExecContext(ctx, "UPDATE customer_addresses SET is_primary = FALSE WHERE customer_id = $1 AND is_primary AND id <> $2", o.CustomerID, id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "UPDATE customer_addresses SET is_primary = TRUE WHERE id = $1", id)
	return err
}

// Create stores a new address for the owner. A customer's first address
// becomes the default.
func (s *Service) Create(ctx context.Context, o Owner, f Fields) (*Address, error) {
	var id int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := validate(ctx, tx, &f); err != nil {
			return err
		}
		now := time.Now().UTC()
		var guest any
		if o.CustomerID == 0 {
			guest = o.GuestKey
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO customer_addresses (customer_id, guest_key, title, first_name, last_name,
			email, phone_number, country_id, city_id, township_id, district_id, line, postcode, is_corporate, company_name,
			tax_no, tax_office, e_bill_taxpayer, identity_number, notes, is_primary, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, FALSE, $21, $21)
			RETURNING id`,
			nullable(o.CustomerID), guest, f.Title, f.FirstName, f.LastName, f.Email, f.Phone, f.Country, f.City,
			nullable(f.Township), nullable(f.District), f.Line, f.Postcode, f.IsCorporate, f.CompanyName, f.TaxNo,
			f.TaxOffice, f.EBillTaxpayer, f.IdentityNumber, f.Notes, now).Scan(&id)
		if err != nil {
			return err
		}
		primary := f.Primary
		if !primary && o.CustomerID != 0 {
			var others int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM customer_addresses WHERE customer_id = $1 AND is_primary", o.CustomerID).Scan(&others); err != nil {
				return err
			}
			primary = others == 0
		}
		if primary {
			return setPrimary(ctx, tx, o, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, s.db, o, id)
}

// Update changes one of the owner's addresses: change receives the stored
// fields and edits them (a PATCH sets only what was sent).
func (s *Service) Update(ctx context.Context, o Owner, id int64, change func(*Fields) error) (*Address, error) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		a, err := s.Get(ctx, tx, o, id)
		if err != nil {
			return err
		}
		f := a.Fields
		if err := change(&f); err != nil {
			return err
		}
		if err := validate(ctx, tx, &f); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE customer_addresses SET title = $1, first_name = $2, last_name = $3, email = $4,
			phone_number = $5, country_id = $6, city_id = $7, township_id = $8, district_id = $9, line = $10, postcode = $11,
			is_corporate = $12, company_name = $13, tax_no = $14, tax_office = $15, e_bill_taxpayer = $16,
			identity_number = $17, notes = $18, updated_at = $19 WHERE id = $20`,
			f.Title, f.FirstName, f.LastName, f.Email, f.Phone, f.Country, f.City, nullable(f.Township), nullable(f.District),
			f.Line, f.Postcode, f.IsCorporate, f.CompanyName, f.TaxNo, f.TaxOffice, f.EBillTaxpayer, f.IdentityNumber,
			f.Notes, time.Now().UTC(), id)
		if err != nil {
			return err
		}
		if f.Primary && !a.Primary {
			return setPrimary(ctx, tx, o, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, s.db, o, id)
}

// Delete removes one of the owner's addresses. Orders keep their own copy.
func (s *Service) Delete(ctx context.Context, o Owner, id int64) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.Get(ctx, tx, o, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM customer_addresses WHERE id = $1", id)
		return err
	})
}

// AdoptGuest moves a guest's addresses to the customer who just logged in.
func (s *Service) AdoptGuest(ctx context.Context, q database.Querier, guestKey string, customerID int64) error {
	if guestKey == "" {
		return nil
	}
	_, err := q.ExecContext(ctx, "UPDATE customer_addresses SET customer_id = $1, guest_key = NULL WHERE guest_key = $2", customerID, guestKey)
	return err
}
