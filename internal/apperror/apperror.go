// Package apperror carries the errors that domain packages return for the
// client to see. The HTTP layer turns them into the contract's error bodies;
// anything else becomes a 500.
package apperror

import (
	"errors"
	"net/http"
	"sort"
	"strings"
)

// Fields are validation errors: field name → messages. "non_field_errors"
// holds the ones that concern no single field. Answered as 400.
type Fields map[string][]string

func (f Fields) Error() string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+strings.Join(f[k], " "))
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Add records a message for a field.
func (f Fields) Add(field, message string) { f[field] = append(f[field], message) }

// OrNil returns f as an error, or nil when it holds nothing.
func (f Fields) OrNil() error {
	if len(f) == 0 {
		return nil
	}
	return f
}

// Field returns a single-field validation error.
func Field(field, message string) Fields { return Fields{field: {message}} }

// Problem is an error with its own status and detail.
type Problem struct {
	Status      int
	Detail      string
	Code        string // error_code, optional
	RedirectURL string // redirect_url, optional (throttling asks for a captcha)
}

func (p *Problem) Error() string { return p.Detail }

var (
	ErrNotFound     = &Problem{Status: http.StatusNotFound, Detail: "Not found."}
	ErrUnauthorized = &Problem{Status: http.StatusUnauthorized, Detail: "Authentication credentials were not provided."}
)

// Status returns the HTTP status an error maps to.
func Status(err error) int {
	var fields Fields
	var p *Problem
	switch {
	case errors.As(err, &fields):
		return http.StatusBadRequest
	case errors.As(err, &p):
		return p.Status
	}
	return http.StatusInternalServerError
}

// Merge joins the field errors of several checks into one answer, so a
// client learns every bad field at once. Any other error wins: a failed
// lookup is not the client's mistake and must not read as one.
func Merge(errs ...error) error {
	out := Fields{}
	for _, err := range errs {
		var f Fields
		switch {
		case err == nil:
		case errors.As(err, &f):
			for k, v := range f {
				out[k] = append(out[k], v...)
			}
		default:
			return err
		}
	}
	return out.OrNil()
}
