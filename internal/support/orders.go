package support

import (
	"context"

	"github.com/vitrin/vitrin/internal/database"
)

// ordersTableCheck looks an order up by number through its owner: a
// customer's own order, or a guest order placed with the given address.
// Before the orders domain exists in the schema, no order belongs to
// anyone.
func ordersTableCheck(db *database.DB) func(ctx context.Context, customerID int64, email, number string) (bool, error) {
	return func(ctx context.Context, customerID int64, email, number string) (bool, error) {
		exists, err := db.TableExists(ctx, "orders")
		if err != nil || !exists {
			return false, err
		}
		var n int
		if customerID != 0 {
			err = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM orders WHERE number = $1 AND customer_id = $2", number, customerID).Scan(&n)
		} else {
			err = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM orders WHERE number = $1 AND customer_id IS NULL AND LOWER(email) = LOWER($2)",
				number, email).Scan(&n)
		}
		return n > 0, err
	}
}
