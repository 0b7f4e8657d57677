package basket

import (
	"context"
	"database/sql"
	"time"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/session"
)

// MergeOnLogin moves the guest basket of the session sess was before
// login (sess.PreviousID) into the customer's basket: quantities are
// added and capped at the stock (a line the customer already had never
// shrinks), the guest's voucher is kept when the customer had none, and
// the guest basket is deleted. A guest line whose product is out of stock is carried over as
// it is, to be shown as out of stock rather than silently dropped.
func (s *Service) MergeOnLogin(ctx context.Context, sess *session.Session) error {
	if sess.PreviousID == "" || !sess.IsCustomer() {
		return nil
	}
	return s.db.TxRelaxed(ctx, func(tx *sql.Tx) error {
		var guestID int64
		var guestVoucher string
		guest := guestKeyed(sess.PreviousID)
		err := tx.QueryRowContext(ctx, "SELECT id, voucher_code FROM baskets WHERE "+guest.cond+s.db.ForUpdate(), guest.arg).Scan(&guestID, &guestVoucher)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		lines, err := guestLines(ctx, tx, guestID)
		if err != nil {
			return err
		}
		if len(lines) > 0 || guestVoucher != "" {
			h, err := s.claimOrCreate(ctx, tx, sess)
			if err != nil {
				return err
			}
			for _, l := range lines {
				if err := s.mergeLine(ctx, tx, h.id, l); err != nil {
					return err
				}
			}
			if h.voucher == "" && guestVoucher != "" {
				if _, err := tx.ExecContext(ctx, "UPDATE baskets SET voucher_code = $1 WHERE id = $2", guestVoucher, h.id); err != nil {
					return err
				}
			}
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM baskets WHERE id = $1", guestID)
		return err
	})
}

// guestLine is a guest basket line with its product's stock now.
type guestLine struct {
	productID     int64
	quantity      int64
	attributes    string
	addedCurrency string
	addedPrice    money.Amount
	stock         int64
}

func guestLines(ctx context.Context, tx *sql.Tx, basketID int64) ([]guestLine, error) {
	rows, err := tx.QueryContext(ctx, `SELECT bi.product_id, bi.quantity, bi.attributes, bi.added_currency, bi.added_price, p.stock
		FROM basket_items bi JOIN products p ON p.id = bi.product_id WHERE bi.basket_id = $1 ORDER BY bi.id`, basketID)
	return database.Collect(rows, err, func(row database.Scanner) (guestLine, error) {
		var l guestLine
		err := row.Scan(&l.productID, &l.quantity, &l.attributes, &l.addedCurrency, &l.addedPrice, &l.stock)
		return l, err
	})
}

func (s *Service) mergeLine(ctx context.Context, tx *sql.Tx, customerBasketID int64, l guestLine) error {
	current, err := lineQuantity(ctx, tx, customerBasketID, l.productID)
	if err != nil {
		return err
	}
	if current == 0 {
		quantity := min(l.quantity, l.stock)
		if quantity == 0 {
			quantity = l.quantity // out of stock: kept, shown as such
		}
		// The guest's chosen price and currency come along: a change
		// since shows as such. The basket's row lock keeps the line new.
		_, err := tx.ExecContext(ctx, `INSERT INTO basket_items (basket_id, product_id, quantity, attributes, added_currency, added_price, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
			customerBasketID, l.productID, quantity, l.attributes, l.addedCurrency, l.addedPrice, time.Now().UTC())
		return err
	}
	merged := max(current, min(current+l.quantity, l.stock))
	if merged == current {
		return nil
	}
	_, err = tx.ExecContext(ctx, "UPDATE basket_items SET quantity = $1, updated_at = $2 WHERE basket_id = $3 AND product_id = $4",
		merged, time.Now().UTC(), customerBasketID, l.productID)
	return err
}

// PurgeAbandoned deletes the guest baskets whose session is gone (expired
// and purged, or never kept) and that nobody touched for an hour, and
// reports how many. Customers' baskets are kept.
func PurgeAbandoned(ctx context.Context, db *database.DB) (int64, error) {
	res, err := db.ExecContext(ctx, `DELETE FROM baskets WHERE customer_id IS NULL AND updated_at < $1
		AND NOT EXISTS (SELECT 1 FROM sessions WHERE sessions.id = baskets.guest_key)`, time.Now().UTC().Add(-time.Hour))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
