package catalog_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/demo"
	"github.com/vitrin/vitrin/internal/testdb"
)

// change is one random write to the catalog, done the way a writer of
// catalog rows does it: the rows, then RecordChanges, in one transaction.
type change struct {
	name  string
	apply func(ctx context.Context, tx database.Querier, r *rand.Rand, ids []int64) ([]int64, error)
}

var changes = []change{
	{"price", func(ctx context.Context, tx database.Querier, r *rand.Rand, ids []int64) ([]int64, error) {
		picked := pick(r, ids, 1+r.IntN(5))
		for _, id := range picked {
			// Ties with other prices on purpose: the order must still match.
			price := int64(100 * (1 + r.IntN(30)) * 50)
			if _, err := tx.ExecContext(ctx, `UPDATE product_prices SET price = $1, retail_price = $1 WHERE product_id = $2 AND currency = $3`,
				price, id, []string{"TRY", "USD"}[r.IntN(2)]); err != nil {
				return nil, err
			}
		}
		return picked, nil
	}},
	{"price removed", func(ctx context.Context, tx database.Querier, r *rand.Rand, ids []int64) ([]int64, error) {
		picked := pick(r, ids, 1)
		_, err := tx.ExecContext(ctx, `DELETE FROM product_prices WHERE product_id = $1 AND currency = 'USD'`, picked[0])
		return picked, err
	}},
	{"stock", func(ctx context.Context, tx database.Querier, r *rand.Rand, ids []int64) ([]int64, error) {
		picked := pick(r, ids, 1+r.IntN(5))
		for _, id := range picked {
			if _, err := tx.ExecContext(ctx, `UPDATE products SET stock = $1 WHERE id = $2`, r.IntN(4), id); err != nil {
				return nil, err
			}
		}
		return picked, nil
	}},
	{"unlisted", func(ctx context.Context, tx database.Querier, r *rand.Rand, ids []int64) ([]int64, error) {
		picked := pick(r, ids, 1)
		_, err := tx.ExecContext(ctx, `UPDATE products SET listable = NOT listable WHERE id = $1`, picked[0])
		return picked, err
	}},
	{"deactivated", func(ctx context.Context, tx database.Querier, r *rand.Rand, ids []int64) ([]int64, error) {
		picked := pick(r, ids, 1)
		_, err := tx.ExecContext(ctx, `UPDATE products SET active = FALSE WHERE id = $1`, picked[0])
		return picked, err
	}},
}

func pick(r *rand.Rand, ids []int64, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = ids[r.IntN(len(ids))]
	}
	return out
}

// TestChangesApplyLikeARebuild: after random changes, the model a node
// brought up to date by applying the change log answers every listing and
// product lookup exactly as a model built afresh from the same database;
// price and stock changes are applied without a build.
func TestChangesApplyLikeARebuild(t *testing.T) {
	db := testdb.Open(t)
	ctx := context.Background()
	if _, err := demo.LoadIfEmpty(ctx, db, 400); err != nil {
		t.Fatal(err)
	}
	live := catalog.New(db)
	m, err := live.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := m.ProductIDs()
	r := rand.New(rand.NewPCG(13, 1))
	for round := range 40 {
		c := changes[r.IntN(len(changes))]
		if round%4 != 3 { // mostly the hot case
			c = changes[r.IntN(3)]
		}
		buildsBefore := live.Builds()
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		changed, err := c.apply(ctx, tx, r, ids)
		if err == nil {
			_, err = catalog.RecordChanges(ctx, tx, changed)
		}
		if err == nil {
			err = tx.Commit()
		}
		if err != nil {
			t.Fatalf("round %d (%s): %v", round, c.name, err)
		}
		if _, err := live.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if hot := c.name == "price" || c.name == "stock" || c.name == "price removed"; hot && live.Builds() != buildsBefore {
			t.Errorf("round %d: a %s change rebuilt the model", round, c.name)
		}
		catalog.CompareWithRebuild(t, live, c.name)
	}
}

// TestRequestsNeverWaitForAnUpdate: a node is not ready until its first
// model is built; afterwards a request that finds a newer catalog version
// in the database is answered from the model being served, while the next
// one is built beside it.
func TestRequestsNeverWaitForAnUpdate(t *testing.T) {
	db := testdb.Open(t)
	ctx := context.Background()
	if _, err := demo.LoadIfEmpty(ctx, db, 50); err != nil {
		t.Fatal(err)
	}
	live := catalog.New(db)
	if live.Ready() {
		t.Fatal("ready without a model")
	}
	served, err := live.Current(ctx)
	if err != nil || !live.Ready() {
		t.Fatalf("first model: %v", err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	version, err := catalog.RecordChanges(ctx, tx, nil) // anything may have changed: a build
	if err != nil || tx.Commit() != nil {
		t.Fatal(err)
	}
	if m, err := live.Current(ctx); err != nil || m != served {
		t.Fatalf("a request after the change got model %v (%v), want the served one", m.Version, err)
	}
	m, err := live.Sync(ctx) // waits for the update that request started
	if err != nil || m.Version != version || live.Builds() != 2 {
		t.Fatalf("after the update: version %d of %d, %d builds, %v", m.Version, version, live.Builds(), err)
	}
	// The rebuild kept the unchanged products rather than a second copy.
	for _, id := range served.ProductIDs() {
		before, _ := served.Product(id)
		if after, _ := m.Product(id); after != before {
			t.Fatalf("product %d is held twice after the rebuild", id)
		}
	}
}
