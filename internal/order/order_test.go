package order

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/testdb"
)

// Two nodes drawing the same order number: the second order gets another
// number inside the same transaction (on PostgreSQL a failed INSERT would
// have aborted it), and a reused idempotency key is still refused.
func TestInsertDrawsAgainOnNumberCollision(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	draws := []string{"261125000000001", "261125000000001", "261125000000001", "261125000000002"}
	saved := newNumber
	newNumber = func(time.Time) string {
		n := draws[0]
		draws = draws[1:]
		return n
	}
	t.Cleanup(func() { newNumber = saved })

	insert := func(key string) (*Order, error) {
		o := &Order{Key: key, Email: "ada@example.com", Status: Approved, Currency: "TRY", Installments: 1}
		return o, db.Tx(ctx, func(tx *sql.Tx) error { return Insert(ctx, tx, o) })
	}
	first, err := insert("attempt-1")
	if err != nil {
		t.Fatal(err)
	}
	second, err := insert("attempt-2")
	if err != nil {
		t.Fatalf("a number collision failed the order: %v", err)
	}
	if first.Number != "261125000000001" || second.Number != "261125000000002" || len(draws) != 0 {
		t.Fatalf("numbers %s and %s, %d draws left", first.Number, second.Number, len(draws))
	}
	if got, err := Get(ctx, db, second.ID); err != nil || got.Number != second.Number || len(got.History) != 1 {
		t.Fatalf("second order as stored: %+v, %v", got, err)
	}
	draws = []string{"261125000000003"}
	if _, err := insert("attempt-1"); !database.IsUniqueViolation(err) {
		t.Fatalf("a reused idempotency key placed another order: %v", err)
	}
}
