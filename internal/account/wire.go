package account

import (
	"encoding/json"
	"time"
)

// JSON is a customer in the wire shape of current_user and the profile.
type JSON struct {
	PK            int64           `json:"pk"`
	FirstName     string          `json:"first_name"`
	LastName      string          `json:"last_name"`
	Email         string          `json:"email"`
	Phone         string          `json:"phone"`
	EmailAllowed  bool            `json:"email_allowed"`
	SMSAllowed    bool            `json:"sms_allowed"`
	CallAllowed   bool            `json:"call_allowed"`
	DateJoined    time.Time       `json:"date_joined"`
	LastLogin     *time.Time      `json:"last_login"`
	DateOfBirth   *string         `json:"date_of_birth"`
	Gender        string          `json:"gender"`
	HashedEmail   string          `json:"hashed_email"`
	Attributes    json.RawMessage `json:"attributes"`
	Language      string          `json:"language"`
	EmailVerified bool            `json:"email_verified"`
}

// Wire renders c for the wire.
func (c *Customer) Wire() JSON {
	u := JSON{
		PK: c.ID, FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, Phone: c.Phone,
		EmailAllowed: c.EmailAllowed, SMSAllowed: c.SMSAllowed, CallAllowed: c.CallAllowed,
		DateJoined: c.DateJoined, LastLogin: c.LastLogin, Gender: c.Gender, HashedEmail: c.HashedEmail(),
		Attributes: c.Attributes, Language: c.Language, EmailVerified: c.EmailVerified,
	}
	if c.DateOfBirth != "" {
		u.DateOfBirth = &c.DateOfBirth
	}
	return u
}
