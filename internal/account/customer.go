// Package account owns customers: registration, credentials, profile and
// login throttling.
package account

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/webhook"
)

// Customer is a registered shopper.
type Customer struct {
	ID            int64
	Email         string
	PasswordHash  string
	FirstName     string
	LastName      string
	Phone         string
	EmailAllowed  bool
	SMSAllowed    bool
	CallAllowed   bool
	DateOfBirth   string // YYYY-MM-DD or ""
	Gender        string
	Attributes    json.RawMessage
	Language      string
	EmailVerified bool
	DateJoined    time.Time
	LastLogin     *time.Time
}

// HashedEmail is the hex SHA-256 of the lower-case e-mail, which
// storefronts hand to analytics instead of the address.
func (c *Customer) HashedEmail() string {
	sum := sha256.Sum256([]byte(strings.ToLower(c.Email)))
	return hex.EncodeToString(sum[:])
}

// Service reads and writes customers.
type Service struct {
	db       *database.DB
	stmts    *database.StmtCache // the customer lookups of every customer request
	throttle *Throttle
	now      func() time.Time
}

func NewService(db *database.DB) *Service {
	return &Service{db: db, stmts: database.NewStmtCache(db), throttle: NewThrottle(db), now: time.Now}
}

// SetClock replaces the service's clock (and its throttle's), so tests can
// let a login lock run out without waiting for it.
func (s *Service) SetClock(now func() time.Time) {
	s.now = now
	s.throttle.now = now
}

const customerColumns = `id, email, password_hash, first_name, last_name, phone, email_allowed,
	sms_allowed, call_allowed, date_of_birth, gender, attributes, language, email_verified,
	date_joined, last_login`

const (
	customerByID    = "SELECT " + customerColumns + " FROM customers WHERE id = $1"
	customerByEmail = "SELECT " + customerColumns + " FROM customers WHERE email_lower = $1"
)

func scanCustomer(row interface{ Scan(...any) error }) (*Customer, error) {
	var (
		c         Customer
		dob       sql.NullString
		attrs     string
		lastLogin sql.NullTime
	)
	err := row.Scan(&c.ID, &c.Email, &c.PasswordHash, &c.FirstName, &c.LastName, &c.Phone,
		&c.EmailAllowed, &c.SMSAllowed, &c.CallAllowed, &dob, &c.Gender, &attrs, &c.Language,
		&c.EmailVerified, &c.DateJoined, &lastLogin)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperror.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	c.DateOfBirth = dob.String
	c.Attributes = json.RawMessage(attrs)
	if lastLogin.Valid {
		c.LastLogin = &lastLogin.Time
	}
	return &c, nil
}

// ByID returns a customer.
func (s *Service) ByID(ctx context.Context, id int64) (*Customer, error) {
	return scanCustomer(s.stmts.QueryRowContext(ctx, s.db, customerByID, id))
}

// ByEmail returns a customer by e-mail, ignoring case.
func (s *Service) ByEmail(ctx context.Context, email string) (*Customer, error) {
	return scanCustomer(s.stmts.QueryRowContext(ctx, s.db, customerByEmail, strings.ToLower(strings.TrimSpace(email))))
}

// Profile is what a customer may change about themselves. Nil fields are
// left as they are (PATCH).
type Profile struct {
	FirstName    *string
	LastName     *string
	Phone        *string
	DateOfBirth  *string
	Gender       *string
	EmailAllowed *bool
	SMSAllowed   *bool
	CallAllowed  *bool
	Language     *string
}

// Registration is the input of Register.
type Registration struct {
	Email    string
	Password string
	Profile
}

// Register creates a customer. then, when not nil, runs in the same
// transaction (the confirmation mail is queued there, so a customer never
// exists without it).
func (s *Service) Register(ctx context.Context, r Registration, then func(ctx context.Context, q database.Querier, c *Customer) error) (*Customer, error) {
	errs := apperror.Fields{}
	email, err := NormalizeEmail(r.Email)
	if err != nil {
		errs.Add("email", err.Error())
	}
	if r.Password == "" {
		errs.Add("password", "This field is required.")
	} else if msgs := passwordProblems(r.Password, email); len(msgs) > 0 {
		errs["password"] = msgs
	}
	// A new customer is logged in at once, so the registration is also
	// the first login.
	joined := s.now().UTC()
	c := &Customer{Email: email, DateJoined: joined, LastLogin: &joined, Attributes: json.RawMessage("{}")}
	r.Profile.apply(c, errs)
	if len(errs) > 0 {
		return nil, errs
	}
	c.PasswordHash = HashPassword(r.Password)
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO customers (email, email_lower, password_hash, first_name,
		last_name, phone, email_allowed, sms_allowed, call_allowed, date_of_birth, gender, attributes,
		language, date_joined, last_login) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
			c.Email, strings.ToLower(c.Email), c.PasswordHash, c.FirstName, c.LastName, c.Phone, c.EmailAllowed,
			c.SMSAllowed, c.CallAllowed, nullString(c.DateOfBirth), c.Gender, string(c.Attributes), c.Language,
			c.DateJoined, c.LastLogin).Scan(&c.ID)
		if err != nil {
			return err
		}
		if err := webhook.Enqueue(ctx, tx, webhook.CustomerRegistered, map[string]any{"customer_id": c.ID, "email": c.Email}); err != nil {
			return err
		}
		if then == nil {
			return nil
		}
		return then(ctx, tx, c)
	})
	if database.IsUniqueViolation(err) {
		return nil, apperror.Field("email", "A user is already registered with this e-mail address.")
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// UpdateProfile applies the non-nil fields of p.
func (s *Service) UpdateProfile(ctx context.Context, id int64, p Profile) (*Customer, error) {
	c, err := s.ByID(ctx, id)
	if err != nil {
		return nil, err
	}
	errs := apperror.Fields{}
	p.apply(c, errs)
	if len(errs) > 0 {
		return nil, errs
	}
	_, err = s.db.ExecContext(ctx, `UPDATE customers SET first_name = $1, last_name = $2, phone = $3,
		date_of_birth = $4, gender = $5, email_allowed = $6, sms_allowed = $7, call_allowed = $8, language = $9
		WHERE id = $10`, c.FirstName, c.LastName, c.Phone, nullString(c.DateOfBirth), c.Gender,
		c.EmailAllowed, c.SMSAllowed, c.CallAllowed, c.Language, id)
	return c, err
}

// ChangePassword checks the old password and stores the new one.
func (s *Service) ChangePassword(ctx context.Context, id int64, old, new1, new2 string) error {
	c, err := s.ByID(ctx, id)
	if err != nil {
		return err
	}
	err = CheckNewPassword(new1, new2, c.Email)
	if ok, _ := CheckPassword(c.PasswordHash, old); !ok {
		err = apperror.Merge(err, apperror.Field("old_password", "Your old password was entered incorrectly. Please enter it again."))
	}
	if err != nil {
		return err
	}
	return s.SetPassword(ctx, s.db, id, new1)
}

// SetPassword stores a new argon2id hash for a customer.
func (s *Service) SetPassword(ctx context.Context, q database.Querier, id int64, password string) error {
	_, err := q.ExecContext(ctx, "UPDATE customers SET password_hash = $1 WHERE id = $2", HashPassword(password), id)
	return err
}

// NormalizeEmail validates an address and returns it trimmed.
func NormalizeEmail(raw string) (string, error) {
	email := strings.TrimSpace(raw)
	if email == "" {
		return "", errors.New("This field is required.")
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || len(email) > 254 || !strings.Contains(email[strings.LastIndexByte(email, '@'):], ".") {
		return "", errors.New("Enter a valid email address.")
	}
	return email, nil
}

var genders = map[string]bool{"": true, "male": true, "female": true, "none": true, "other": true}

// apply validates p and copies its set fields onto c.
func (p Profile) apply(c *Customer, errs apperror.Fields) {
	text := func(field string, src *string, dst *string, max int) {
		if src == nil {
			return
		}
		v := strings.TrimSpace(*src)
		if len([]rune(v)) > max {
			errs.Add(field, "Ensure this field has no more than "+strconv.Itoa(max)+" characters.")
			return
		}
		*dst = v
	}
	text("first_name", p.FirstName, &c.FirstName, 150)
	text("last_name", p.LastName, &c.LastName, 150)
	if p.Phone != nil {
		phone := strings.TrimSpace(*p.Phone)
		digits := strings.TrimPrefix(phone, "+")
		if phone != "" && (len(digits) < 7 || len(digits) > 15 || strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) >= 0) {
			errs.Add("phone", "Enter a valid phone number.")
		} else {
			c.Phone = phone
		}
	}
	if p.DateOfBirth != nil {
		dob := strings.TrimSpace(*p.DateOfBirth)
		if dob != "" {
			t, err := time.Parse(time.DateOnly, dob)
			if err != nil {
				errs.Add("date_of_birth", "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.")
			} else if t.After(time.Now()) || t.Year() < 1900 {
				errs.Add("date_of_birth", "Enter a valid date of birth.")
			}
		}
		c.DateOfBirth = dob
	}
	if p.Gender != nil {
		g := strings.ToLower(strings.TrimSpace(*p.Gender))
		if !genders[g] {
			errs.Add("gender", "\""+*p.Gender+"\" is not a valid choice.")
		}
		c.Gender = g
	}
	text("language", p.Language, &c.Language, 10)
	for _, b := range []struct {
		src *bool
		dst *bool
	}{{p.EmailAllowed, &c.EmailAllowed}, {p.SMSAllowed, &c.SMSAllowed}, {p.CallAllowed, &c.CallAllowed}} {
		if b.src != nil {
			*b.dst = *b.src
		}
	}
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
