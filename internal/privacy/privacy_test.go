package privacy

import (
	"context"
	"testing"

	"github.com/vitrin/vitrin/internal/account"
	"github.com/vitrin/vitrin/internal/session"
	"github.com/vitrin/vitrin/internal/testdb"
)

// Anonymising twice is the same as once, and frees the address each time.
func TestAnonymizeIsIdempotent(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	accounts := account.NewService(db)
	c, err := accounts.Register(ctx, account.Registration{Email: "Mia@Example.com", Password: "mia-Secret-99"})
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
	if _, err := accounts.Register(ctx, account.Registration{Email: "mia@example.com", Password: "mia-Secret-99"}); err != nil {
		t.Errorf("the address is not free again: %v", err)
	}
}
