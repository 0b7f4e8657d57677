package support

import (
	"context"
	"errors"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/order"
)

// orderOwnership looks an order up by number through its owner: one of
// the customer's own orders, or for a guest an order placed with the
// address the guest gives (what anonymous order tracking asks too).
// Orders still waiting for the bank are nobody's yet.
func orderOwnership(db *database.DB) func(ctx context.Context, customerID int64, email, number string) (bool, error) {
	return func(ctx context.Context, customerID int64, email, number string) (bool, error) {
		if customerID == 0 {
			_, err := order.ByEmailAndNumber(ctx, db, email, number)
			if errors.Is(err, apperror.ErrNotFound) {
				return false, nil
			}
			return err == nil, err
		}
		var n int
		err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM orders WHERE number = $1 AND customer_id = $2 AND status <> $3",
			number, customerID, order.Pending).Scan(&n)
		return n > 0, err
	}
}
