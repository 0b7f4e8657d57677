package loyalty

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/testdb"
)

// Credits and debits add up; a debit past zero, a zero amount or a
// missing reason writes nothing; parallel debits never overdraw.
func TestLedger(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	var id int64
	if err := db.QueryRowContext(ctx, `INSERT INTO customers (email, email_lower, password_hash, date_joined)
		VALUES ('ada@example.com', 'ada@example.com', '', $1) RETURNING id`, time.Now().UTC()).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, b, err := Adjust(ctx, db, id, 10000, "welcome gift", ""); err != nil || b != 10000 {
		t.Fatalf("credit: %v, %v", b, err)
	}
	for name, c := range map[string]struct {
		customer int64
		amount   money.Amount
		reason   string
		status   int
	}{
		"past zero":     {id, -10001, "too much", 400},
		"zero":          {id, 0, "nothing", 400},
		"no reason":     {id, -100, " ", 400},
		"unknown buyer": {id + 1, 100, "gift", 404},
	} {
		if _, _, err := Adjust(ctx, db, c.customer, c.amount, c.reason, ""); apperror.Status(err) != c.status {
			t.Errorf("%s: %v, want %d", name, err, c.status)
		}
	}
	// Eight debits of 30.00 race for 100.00: three go through.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			Adjust(ctx, db, id, -3000, "order", "261202000000001")
		}()
	}
	wg.Wait()
	balance, err := Balance(ctx, db, id)
	entries, err2 := Entries(ctx, db, id)
	if err != nil || err2 != nil || balance != 1000 || len(entries) != 4 || entries[3].Reason != "welcome gift" {
		t.Fatalf("after the race: balance %v (%v), entries %+v (%v)", balance, err, entries, err2)
	}
}
