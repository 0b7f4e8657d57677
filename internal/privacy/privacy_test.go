package privacy

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/account"
	"github.com/vitrin/vitrin/internal/session"
	"github.com/vitrin/vitrin/internal/testdb"
)

// Anonymising twice is the same as once, and frees the address each time.
func TestAnonymizeIsIdempotent(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	accounts := account.NewService(db)
	c, err := accounts.Register(ctx, account.Registration{Email: "Mia@Example.com", Password: "mia-Secret-99"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := NewService(db, session.NewStore(db, "secret", 0))
	var states [2]string
	for i := range states {
		if err := p.Anonymize(ctx, c.ID); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		if err := db.QueryRow(`SELECT email || '|' || first_name || '|' || password_hash || '|' || COALESCE(date_of_birth, '')
			FROM customers WHERE id = $1`, c.ID).Scan(&states[i]); err != nil {
			t.Fatal(err)
		}
	}
	if states[0] != states[1] || states[0] != placeholderEmail(c.ID)+"||"+"|" {
		t.Errorf("after the first run %q, after the second %q", states[0], states[1])
	}
	if _, err := accounts.Register(ctx, account.Registration{Email: "mia@example.com", Password: "mia-Secret-99"}, nil); err != nil {
		t.Errorf("the address is not free again: %v", err)
	}
}

// The orders stay, amounts and all, without the customer's personal data.
func TestAnonymizeKeepsOrders(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	c, err := account.NewService(db).Register(ctx, account.Registration{Email: "ned@example.com", Password: "ned-Secret-99"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	address := `{"first_name":"Ned","last_name":"Stark","phone_number":"05551112233","line":"Winterfell 1",
		"identity_number":"12345678901","country":{"pk":1,"name":"Türkiye"},"city":{"pk":2,"name":"İstanbul"}}`
	now := time.Now().UTC()
	for i, owner := range []any{c.ID, nil} {
		if _, err := db.Exec(`INSERT INTO orders (number, token, idempotency_key, customer_id, email, phone, status,
			currency, product_amount, amount, shipping_address, billing_address, notes, remote_addr, created_at, updated_at)
			VALUES ($1, $2, $3, $4, 'Ned@Example.com', '05551112233', 'approved', 'TRY', 10000, 10000, $5, $5,
			'ring twice', '10.0.0.1', $6, $6)`, "N-"+strconv.Itoa(i), "t"+strconv.Itoa(i), "k"+strconv.Itoa(i), owner, address, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := NewService(db, session.NewStore(db, "secret", 0)).Anonymize(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query("SELECT email || phone || notes || remote_addr || shipping_address || billing_address, amount FROM orders")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var text string
		var amount int64
		if err := rows.Scan(&text, &amount); err != nil {
			t.Fatal(err)
		}
		n++
		for _, personal := range []string{"Ned", "ned@", "Stark", "0555", "Winterfell", "12345678901", "ring", "10.0.0.1"} {
			if strings.Contains(text, personal) {
				t.Errorf("order keeps %q: %s", personal, text)
			}
		}
		if amount != 10000 || !strings.Contains(text, "İstanbul") {
			t.Errorf("order lost its books: amount %d, %s", amount, text)
		}
	}
	if n != 2 {
		t.Errorf("%d orders left, want 2", n)
	}
}
