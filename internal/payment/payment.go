// Package payment charges shoppers through a Gateway. The built-in sandbox
// gateway is the default; other gateways (Stripe) implement the same
// interface. Card numbers, CVVs and expiry dates only pass through: what is
// kept is the brand, the last four digits and the gateway's reference.
package payment

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/money"
)

// Card is what the shopper typed. It lives for one request and is never
// stored or logged (String hides it).
type Card struct {
	Holder, Number, Month, Year, CVV string
}

func (Card) String() string { return "Card{…}" }

// Charge is one payment to take. Key makes it idempotent: the gateway
// charges a key once, whatever how often it is asked.
type Charge struct {
	Key          string
	Amount       money.Amount
	Currency     string
	Installments int
	Card         Card
}

// Payment is a charge the gateway took.
type Payment struct {
	Reference string
	Brand     string
	LastFour  string
	Amount    money.Amount
}

// ThreeD is where to send the shopper to authenticate at the bank: a form
// to post to Action with Fields.
type ThreeD struct {
	Action string
	Fields map[string]string
}

// Declined is a refusal by the bank, of a payment (the order is not
// placed) or of a refund: asking again cannot change it.
type Declined struct{ Reason string }

func (d *Declined) Error() string { return d.Reason }

// ErrUnavailable is a gateway failure: nothing was charged, trying again
// later may work.
var ErrUnavailable = errors.New("the payment gateway did not answer; nothing was charged, please try again")

// Gateway takes payments.
type Gateway interface {
	// Charge takes the payment without 3-D Secure.
	Charge(ctx context.Context, c Charge) (Payment, error)
	// StartThreeD prepares a 3-D Secure payment; the shopper comes back
	// through the storefront to returnURL with the fields the bank posts.
	StartThreeD(ctx context.Context, c Charge, returnURL string) (ThreeD, error)
	// CompleteThreeD takes the payment the bank authenticated. posted is
	// what came back; it is never proof of payment on its own.
	CompleteThreeD(ctx context.Context, key string, posted map[string]string) (Payment, error)
	// Lookup reports the payment taken under an idempotency key (the
	// Charge's Key): charged is false when nothing was taken (declined,
	// abandoned at the bank, never tried). A caller that lost a charge's
	// answer (its node died, the shopper left) asks here before it gives
	// the reservation up. An error means the gateway cannot tell now.
	Lookup(ctx context.Context, key string) (p Payment, charged bool, err error)
	// Refund gives amount of a payment back. Key makes it idempotent: the
	// gateway refunds a key once, whatever how often it is asked, so a
	// refund whose answer was lost can be sent again.
	Refund(ctx context.Context, key, reference string, amount money.Amount) error
}

// CardErrors checks a card's shape: Luhn, length, expiry in the future,
// CVV digits. The result is a 400 on the offending fields.
func CardErrors(c Card, now time.Time) error {
	errs := apperror.Fields{}
	number := Digits(c.Number)
	if len(number) < 12 || len(number) > 19 || !Luhn(number) {
		errs.Add("card_number", "Enter a valid card number.")
	}
	month, err1 := strconv.Atoi(strings.TrimSpace(c.Month))
	year, err2 := strconv.Atoi(strings.TrimSpace(c.Year))
	if year < 100 {
		year += 2000
	}
	switch {
	case err1 != nil || month < 1 || month > 12:
		errs.Add("card_month", "Enter a valid month.")
	case err2 != nil || year > now.Year()+30:
		errs.Add("card_year", "Enter a valid year.")
	case year < now.Year() || (year == now.Year() && time.Month(month) < now.Month()):
		errs.Add("card_year", "The card has expired.")
	}
	cvv := strings.TrimSpace(c.CVV)
	if len(cvv) < 3 || len(cvv) > 4 || !AllDigits(cvv) {
		errs.Add("card_cvv", "Enter a valid security code.")
	}
	if strings.TrimSpace(c.Holder) == "" {
		errs.Add("card_holder", "This field is required.")
	}
	return errs.OrNil()
}

// Digits drops the spaces and dashes people type in card numbers; any
// other character is kept, so it fails the checks.
func Digits(s string) string {
	return strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(s))
}

// AllDigits reports whether s is made of ASCII digits only.
func AllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Luhn reports whether a digit string passes the Luhn check.
func Luhn(number string) bool {
	sum, double := 0, false
	for i := len(number) - 1; i >= 0; i-- {
		d := int(number[i] - '0')
		if d < 0 || d > 9 {
			return false
		}
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return len(number) > 0 && sum%10 == 0
}

// Brand names the card network from its first digits.
func Brand(number string) string {
	switch {
	case strings.HasPrefix(number, "4"):
		return "visa"
	case len(number) >= 2 && number[0] == '5' && number[1] >= '1' && number[1] <= '5',
		strings.HasPrefix(number, "2"):
		return "mastercard"
	case strings.HasPrefix(number, "34"), strings.HasPrefix(number, "37"):
		return "amex"
	case strings.HasPrefix(number, "9792"):
		return "troy"
	}
	return "other"
}

func lastFour(number string) string {
	if len(number) < 4 {
		return number
	}
	return number[len(number)-4:]
}

// Gateways are the gateways that payment options may name in the import
// file, by that name. The checkout and the refund worker both take them
// from here, so they always know the same ones. Stripe is among them when
// it is configured (nil: a Stripe option is not available).
func Gateways(sandbox *Sandbox, stripe *Stripe) map[string]Gateway {
	gateways := map[string]Gateway{"sandbox": sandbox}
	if stripe != nil {
		gateways["stripe"] = stripe
	}
	return gateways
}
