// Package money holds amounts as integer minor units (cents, kuruş) and
// moves them on the wire as decimal strings with two fraction digits.
package money

import (
	"errors"
	"strconv"
	"strings"
)

// Amount is a sum of money in minor units of its currency.
type Amount int64

var ErrInvalid = errors.New("not a decimal with at most 2 fraction digits")

// Parse reads "1299.90", "1299.9", "1299" or "-5.00".
func Parse(s string) (Amount, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || (hasDot && frac == "") || len(whole) > 15 {
		return 0, ErrInvalid
	}
	for _, part := range []string{whole, frac} {
		for _, c := range part {
			if c < '0' || c > '9' {
				return 0, ErrInvalid
			}
		}
	}
	for len(frac) < 2 {
		frac += "0"
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, ErrInvalid
	}
	if neg {
		n = -n
	}
	return Amount(n), nil
}

// String formats the amount as "1299.90".
func (a Amount) String() string {
	n := int64(a)
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	cents := n % 100
	s := sign + strconv.FormatInt(n/100, 10) + "."
	if cents < 10 {
		s += "0"
	}
	return s + strconv.FormatInt(cents, 10)
}

// MarshalJSON writes the amount as a JSON string, never a float.
func (a Amount) MarshalJSON() ([]byte, error) {
	return []byte(`"` + a.String() + `"`), nil
}

// Percent returns a*rate/100 for a rate given in hundredths of a percent
// (1050 = 10.50 %), rounded half away from zero to the minor unit.
func (a Amount) Percent(basisPoints int64) Amount {
	p := int64(a) * basisPoints
	q, r := p/10000, p%10000
	if r >= 5000 {
		q++
	} else if r <= -5000 {
		q--
	}
	return Amount(q)
}
