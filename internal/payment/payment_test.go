package payment

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/testdb"
)

func TestCardErrors(t *testing.T) {
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	ok := Card{Holder: "Ada Lovelace", Number: "4242 4242 4242 4242", Month: "11", Year: "2026", CVV: "123"}
	cases := []struct {
		name  string
		edit  func(*Card)
		field string
	}{
		{"valid", func(*Card) {}, ""},
		{"two-digit year", func(c *Card) { c.Year = "30" }, ""},
		{"luhn", func(c *Card) { c.Number = "4242 4242 4242 4241" }, "card_number"},
		{"letters", func(c *Card) { c.Number = "4242a4242 4242 4242" }, "card_number"},
		{"short", func(c *Card) { c.Number = "42" }, "card_number"},
		{"expired", func(c *Card) { c.Month = "10" }, "card_year"},
		{"bad month", func(c *Card) { c.Month = "13" }, "card_month"},
		{"cvv", func(c *Card) { c.CVV = "12a" }, "card_cvv"},
		{"holder", func(c *Card) { c.Holder = " " }, "card_holder"},
	}
	for _, c := range cases {
		card := ok
		c.edit(&card)
		err := CardErrors(card, now)
		var fields apperror.Fields
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.field != "" && (!errors.As(err, &fields) || fields[c.field] == nil):
			t.Errorf("%s: got %v, want an error on %s", c.name, err, c.field)
		}
	}
	if Brand("5555555555554444") != "mastercard" || Brand("4242424242424242") != "visa" {
		t.Error("brands")
	}
}

func TestSandbox(t *testing.T) {
	ctx := context.Background()
	s := NewSandbox(testdb.Open(t))
	card := func(n string) Card { return Card{Holder: "A", Number: n, Month: "12", Year: "2040", CVV: "123"} }
	charge := func(key, n string) (Payment, error) {
		return s.Charge(ctx, Charge{Key: key, Amount: 1000, Currency: "TRY", Installments: 1, Card: card(n)})
	}
	p1, err := charge("k1", "4242 4242 4242 4242")
	if err != nil || p1.Brand != "visa" || p1.LastFour != "4242" {
		t.Fatalf("approved card: %+v %v", p1, err)
	}
	p2, err := charge("k1", "4242 4242 4242 4242")
	if err != nil || p2.Reference != p1.Reference {
		t.Fatalf("same key charged twice: %+v %+v %v", p1, p2, err)
	}
	var declined *Declined
	for _, n := range []string{"4000000000000002", "4000000000009995", "4000000000003220"} {
		if _, err := charge("k-"+n, n); !errors.As(err, &declined) {
			t.Errorf("%s: %v, want declined", n, err)
		}
	}
	if _, err := charge("k-err", "4000000000000119"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("gateway error card: %v", err)
	}
	if err := s.Refund(ctx, "r1", p1.Reference, 600); err != nil {
		t.Fatal(err)
	}
	if err := s.Refund(ctx, "r2", p1.Reference, 600); !errors.As(err, &declined) {
		t.Fatalf("refunded more than charged: %v", err)
	}

	// 3-D Secure: the card that needs it passes once the bank approves;
	// the posted token alone proves nothing.
	td, err := s.StartThreeD(ctx, Charge{Key: "k3", Amount: 2500, Currency: "TRY", Installments: 3, Card: card("4000000000003220")}, "/return")
	if err != nil {
		t.Fatal(err)
	}
	id := td.Action[len(BankPath) : len(td.Action)-1]
	if _, err := s.CompleteThreeD(ctx, "k3", map[string]string{"three_d_token": id}); !errors.As(err, &declined) {
		t.Fatalf("completed before the bank decided: %v", err)
	}
	if _, err := s.CompleteThreeD(ctx, "other", map[string]string{"three_d_token": id}); !errors.As(err, &declined) {
		t.Fatalf("completed another payment's session: %v", err)
	}
	if err := s.Decide(ctx, id, true); err != nil {
		t.Fatal(err)
	}
	p3, err := s.CompleteThreeD(ctx, "k3", map[string]string{"three_d_token": id})
	if err != nil || p3.Amount != 2500 || p3.LastFour != "3220" {
		t.Fatalf("3-D Secure payment: %+v %v", p3, err)
	}
	td, _ = s.StartThreeD(ctx, Charge{Key: "k4", Amount: 100, Currency: "TRY", Card: card("4242424242424242")}, "/return")
	id = td.Action[len(BankPath) : len(td.Action)-1]
	_ = s.Decide(ctx, id, false)
	if _, err := s.CompleteThreeD(ctx, "k4", map[string]string{"three_d_token": id}); !errors.As(err, &declined) {
		t.Fatalf("bank declined but paid: %v", err)
	}
}

// TestSandboxRefundOnce sends refunds of one charge with repeated keys: a
// key refunds once however often it is sent, and a key names one refund.
func TestSandboxRefundOnce(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	s := NewSandbox(db)
	card := Card{Holder: "A", Number: "4242424242424242", Month: "12", Year: "2040", CVV: "123"}
	p, err := s.Charge(ctx, Charge{Key: "charge", Amount: 1000, Currency: "TRY", Installments: 1, Card: card})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		key      string
		amount   int64
		declined bool
		refunded int64 // the charge's refunded total after the step
	}{
		{"a", 400, false, 400},
		{"a", 400, false, 400}, // the answer was lost, the refund is sent again
		{"b", 400, false, 800},
		{"a", 400, false, 800},
		{"a", 300, true, 800}, // the key of another refund
		{"c", 400, true, 800}, // more than is left
		{"c", 200, false, 1000},
		{"c", 200, false, 1000},
	}
	for i, st := range steps {
		err := s.Refund(ctx, st.key, p.Reference, money.Amount(st.amount))
		var declined *Declined
		if got := errors.As(err, &declined); got != st.declined || (err != nil && !got) {
			t.Fatalf("step %d (%s %d): %v", i, st.key, st.amount, err)
		}
		var refunded int64
		if err := db.QueryRowContext(ctx, "SELECT refunded FROM sandbox_charges WHERE reference = $1", p.Reference).Scan(&refunded); err != nil {
			t.Fatal(err)
		}
		if refunded != st.refunded {
			t.Fatalf("step %d (%s %d): refunded %d, want %d", i, st.key, st.amount, refunded, st.refunded)
		}
	}
}

// TestSandboxLookup asks after charges by their key: one taken, one
// declined, one 3-D Secure session the shopper never finished.
func TestSandboxLookup(t *testing.T) {
	ctx := context.Background()
	s := NewSandbox(testdb.Open(t))
	card := func(n string) Card { return Card{Holder: "A", Number: n, Month: "12", Year: "2040", CVV: "123"} }
	paid, err := s.Charge(ctx, Charge{Key: "paid", Amount: 1000, Currency: "TRY", Card: card("4242424242424242")})
	if err != nil {
		t.Fatal(err)
	}
	s.Charge(ctx, Charge{Key: "declined", Amount: 1000, Currency: "TRY", Card: card("4000000000000002")})
	if _, err := s.StartThreeD(ctx, Charge{Key: "at-bank", Amount: 1000, Currency: "TRY", Card: card("4242424242424242")}, "/r"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key     string
		charged bool
	}{{"paid", true}, {"declined", false}, {"at-bank", false}, {"never", false}} {
		p, charged, err := s.Lookup(ctx, c.key)
		if err != nil || charged != c.charged || (charged && p != paid) {
			t.Errorf("%s: %+v %v %v, want charged %v", c.key, p, charged, err, c.charged)
		}
	}
}
