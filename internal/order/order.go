// Package order keeps orders: placing one (stock taken in the same
// transaction), their status history, the customer's reads and
// cancellation with stock returned.
package order

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/loyalty"
	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/payment"
	"github.com/vitrin/vitrin/internal/token"
	"github.com/vitrin/vitrin/internal/webhook"
)

// Statuses. Pending orders hold their stock while the bank authenticates
// a 3-D Secure payment; nobody sees them, and they are released (deleted,
// stock returned) when the payment fails or the checkout changes.
const (
	Pending        = "pending"
	WaitingPayment = "waiting_payment"
	Approved       = "approved"
	Preparing      = "preparing"
	Shipped        = "shipped"
	Delivered      = "delivered"
	Cancelled      = "cancelled"
)

var statusLabels = map[string]string{
	Pending: "Pending", WaitingPayment: "Waiting for payment", Approved: "Approved", Preparing: "Preparing",
	Shipped: "Shipped", Delivered: "Delivered", Cancelled: "Cancelled",
}

// Label is a status's text for the shopper.
func Label(status string) string { return statusLabels[status] }

// cancellable statuses: before shipment.
func cancellable(status string) bool {
	return status == WaitingPayment || status == Approved || status == Preparing
}

// Item is one order line.
type Item struct {
	ID, ProductID, Quantity                 int64
	SKU                                     string // the product's, read with the item
	UnitPrice, RetailPrice, Discount, Total money.Amount
	TaxRate                                 string
	Attributes                              json.RawMessage
	Status                                  string
	Created, Updated                        time.Time
	// The parcel the item left in, if it has shipped.
	ShipmentID                           int64
	Carrier, TrackingNumber, TrackingURL string
}

// StatusChange is one entry of the order's history.
type StatusChange struct {
	Status, Note string
	At           time.Time
}

// Order is a placed order. Amount is what the shopper pays by the chosen
// payment: products − discounts + shipping + interest + fee − loyalty
// money.
type Order struct {
	ID                              int64
	Number, Token, Key              string
	CustomerID                      int64
	Email, Phone, Status            string
	Currency, Language              string
	ProductAmount, DiscountAmount   money.Amount
	ShippingAmount, InterestAmount  money.Amount
	FeeAmount, Amount, RefundAmount money.Amount
	// LoyaltyAmount is what the customer's loyalty money paid, on top of
	// Amount; LoyaltyReturned is how much of it went back to the balance.
	LoyaltyAmount, LoyaltyReturned     money.Amount
	Installments                       int
	PaymentOptionID                    int64
	PaymentOption                      json.RawMessage // wire snapshot
	PaymentType, PaymentChoice         string
	ShippingOptionID                   int64
	ShippingOptionSlug, DeliveryOption string
	RetailStoreID                      int64
	ShippingAddress, BillingAddress    json.RawMessage // wire snapshots
	Discounts                          json.RawMessage
	VoucherCode, Notes                 string
	BankAccount                        json.RawMessage
	Gateway, GatewayRef                string
	CardBrand, CardLastFour            string
	BasketID                           int64
	RemoteAddr                         string
	TrackingNumber, TrackingURL        string
	Created, Updated                   time.Time
	Items                              []Item
	History                            []StatusChange
}

// Cancellable reports whether the shopper may still cancel.
func (o *Order) Cancellable() bool { return cancellable(o.Status) }

// OutOfStock is the refusal of an order whose product ran out meanwhile.
type OutOfStock struct{ ProductID int64 }

func (e *OutOfStock) Error() string {
	return fmt.Sprintf("product %d is no longer in stock in the quantity ordered", e.ProductID)
}

// newNumber is an order number unique across nodes without coordination:
// the date and 9 random digits; the rare collision is caught by the UNIQUE
// constraint and Insert draws again. A variable so that a test can force
// collisions.
var newNumber = func(now time.Time) string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1_000_000_000))
	return fmt.Sprintf("%s%09d", now.Format("060102"), n.Int64())
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func rawOr(raw json.RawMessage, def string) string {
	if len(raw) == 0 {
		return def
	}
	return string(raw)
}

// Insert stores o and its items in tx and takes their stock; when a
// product has too little left it returns *OutOfStock (roll tx back).
func Insert(ctx context.Context, tx *sql.Tx, o *Order) error {
	now := time.Now().UTC()
	o.Created, o.Updated = now, now
	o.Token = token.New(32)
	for _, it := range inProductOrder(o.Items) {
		res, err := tx.ExecContext(ctx, "UPDATE products SET stock = stock - $1 WHERE id = $2 AND stock >= $1", it.Quantity, it.ProductID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return &OutOfStock{ProductID: it.ProductID}
		}
	}
	// A number another order holds skips the insert (ON CONFLICT on the
	// number alone: a failed statement would abort a PostgreSQL
	// transaction, so the retry must not be driven by an error) and a new
	// number is drawn. An idempotency key already used still fails: the
	// same checkout attempt placed its order already.
	for attempt := 0; ; attempt++ {
		if attempt == 5 {
			return fmt.Errorf("order: no free order number after %d draws", attempt)
		}
		o.Number = newNumber(now)
		err := tx.QueryRowContext(ctx, `INSERT INTO orders (number, token, idempotency_key, customer_id, email, phone, status,
			currency, language, product_amount, discount_amount, shipping_amount, interest_amount, fee_amount, amount,
			installment_count, payment_option_id, payment_option, payment_choice, shipping_option_id, shipping_option_slug,
			delivery_option_slug, retail_store_id, shipping_address, billing_address, discounts, voucher_code, notes,
			bank_account, gateway, gateway_reference, card_brand, card_last_four, basket_id, remote_addr, created_at, updated_at,
			loyalty_amount)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23,
			$24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $36, $37)
			ON CONFLICT (number) DO NOTHING RETURNING id`,
			o.Number, o.Token, o.Key, nullID(o.CustomerID), o.Email, o.Phone, o.Status, o.Currency, o.Language,
			int64(o.ProductAmount), int64(o.DiscountAmount), int64(o.ShippingAmount), int64(o.InterestAmount),
			int64(o.FeeAmount), int64(o.Amount), o.Installments, nullID(o.PaymentOptionID), rawOr(o.PaymentOption, "{}"),
			o.PaymentChoice, nullID(o.ShippingOptionID), o.ShippingOptionSlug, o.DeliveryOption, nullID(o.RetailStoreID),
			rawOr(o.ShippingAddress, "null"), rawOr(o.BillingAddress, "null"), rawOr(o.Discounts, "[]"), o.VoucherCode,
			o.Notes, rawOr(o.BankAccount, "null"), o.Gateway, o.GatewayRef, o.CardBrand, o.CardLastFour, nullID(o.BasketID),
			o.RemoteAddr, now, int64(o.LoyaltyAmount)).Scan(&o.ID)
		if err == nil {
			break
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	for i := range o.Items {
		it := &o.Items[i]
		it.Status, it.Created, it.Updated = o.Status, now, now
		err := tx.QueryRowContext(ctx, `INSERT INTO order_items (order_id, product_id, quantity, unit_price, retail_price,
			discount, total, tax_rate, attributes, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id`,
			o.ID, it.ProductID, it.Quantity, int64(it.UnitPrice), int64(it.RetailPrice), int64(it.Discount),
			int64(it.Total), it.TaxRate, rawOr(it.Attributes, "{}"), it.Status, now).Scan(&it.ID)
		if err != nil {
			return err
		}
	}
	if err := addHistory(ctx, tx, o.ID, o.Status, "placed", now); err != nil {
		return err
	}
	if o.Status == Pending {
		return nil // placed when paid
	}
	return enqueueOrderEvent(ctx, tx, webhook.OrderPlaced, o.ID, nil)
}

func addHistory(ctx context.Context, q database.Querier, orderID int64, status, note string, at time.Time) error {
	_, err := q.ExecContext(ctx, "INSERT INTO order_status_history (order_id, status, note, created_at) VALUES ($1, $2, $3, $4)",
		orderID, status, note, at)
	return err
}

// Paid moves a pending order to approved with the payment's details; it
// reports false when the order was not pending (paid already).
func Paid(ctx context.Context, tx *sql.Tx, id int64, gateway, reference, brand, lastFour string) (bool, error) {
	now := time.Now().UTC()
	res, err := tx.ExecContext(ctx, `UPDATE orders SET status = $1, gateway = $2, gateway_reference = $3, card_brand = $4,
		card_last_four = $5, updated_at = $6 WHERE id = $7 AND status = $8`, Approved, gateway, reference, brand, lastFour, now, id, Pending)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE order_items SET status = $1, updated_at = $2 WHERE order_id = $3", Approved, now, id); err != nil {
		return false, err
	}
	if err := addHistory(ctx, tx, id, Approved, "paid", now); err != nil {
		return false, err
	}
	return true, enqueueOrderEvent(ctx, tx, webhook.OrderPlaced, id, nil)
}

// Void cancels a pending order whose card was charged but that could not
// be completed (its voucher's last use went to a parallel order): the
// stock and the loyalty money it took go back, and the charge is owed
// back, as a refund recorded in tx for the refunder to send under a key
// of the order's checkout attempt (see RefundUnplaced). It reports
// nil when the order is no longer pending (completed by a parallel
// request, or released as abandoned).
func Void(ctx context.Context, tx *sql.Tx, id int64, gateway string, paid payment.Payment, restocked Restocked) (*Refund, error) {
	now := time.Now().UTC()
	res, err := tx.ExecContext(ctx, `UPDATE orders SET status = $1, gateway = $2, gateway_reference = $3, card_brand = $4,
		card_last_four = $5, refund_amount = $6, updated_at = $7 WHERE id = $8 AND status = $9`,
		Cancelled, gateway, paid.Reference, paid.Brand, paid.LastFour, int64(paid.Amount), now, id, Pending)
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return nil, err
	}
	o, err := Get(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE order_items SET status = $1, updated_at = $2 WHERE order_id = $3", Cancelled, now, id); err != nil {
		return nil, err
	}
	if err := returnStock(ctx, tx, o.Items, restocked); err != nil {
		return nil, err
	}
	if err := addHistory(ctx, tx, id, Cancelled, "paid but not completed: refunded", now); err != nil {
		return nil, err
	}
	if err := giveBackLoyalty(ctx, tx, o, o.LoyaltyAmount-o.LoyaltyReturned, "order not completed", now); err != nil {
		return nil, err
	}
	rf := &Refund{OrderID: id, Gateway: gateway, Reference: paid.Reference, Amount: paid.Amount}
	if queued, err := queueRefundKeyed(ctx, tx, rf, attemptRefundKey(o.Key), now); err != nil || !queued {
		return nil, err
	}
	return rf, nil
}

// Note adds a note to order id's history under its current status: what
// happened to its payment that does not change the order (a try on the
// hosted page that failed while the shopper may try again).
func Note(ctx context.Context, tx *sql.Tx, id int64, note string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO order_status_history (order_id, status, note, created_at)
		SELECT id, status, $2, $3 FROM orders WHERE id = $1`, id, note, time.Now().UTC())
	return err
}

// Restocked is told, inside the transaction that returns stock, of the
// products whose stock went from zero to positive: stock alerts queue
// their mails from it, so the mails commit with the stock. It may be nil.
type Restocked func(ctx context.Context, tx *sql.Tx, productIDs []int64) error

// inProductOrder returns items sorted by product. Every transaction takes
// product rows (stock) in this order: two orders holding the same products
// in opposite basket orders would otherwise each wait for the other's row,
// a deadlock PostgreSQL breaks by failing one of them.
func inProductOrder(items []Item) []Item {
	sorted := slices.Clone(items)
	slices.SortFunc(sorted, func(a, b Item) int { return cmp.Compare(a.ProductID, b.ProductID) })
	return sorted
}

// returnStock puts the quantities of items back on their products' stock,
// in product order (see inProductOrder), and tells restocked of the
// products that came back from zero.
func returnStock(ctx context.Context, tx *sql.Tx, items []Item, restocked Restocked) error {
	var back []int64
	for _, it := range inProductOrder(items) {
		var stock int64
		err := tx.QueryRowContext(ctx, "UPDATE products SET stock = stock + $1 WHERE id = $2 RETURNING stock",
			it.Quantity, it.ProductID).Scan(&stock)
		if errors.Is(err, sql.ErrNoRows) {
			continue // the product is gone from the catalog
		}
		if err != nil {
			return err
		}
		if stock > 0 && stock-it.Quantity <= 0 {
			back = append(back, it.ProductID)
		}
	}
	if restocked == nil || len(back) == 0 {
		return nil
	}
	return restocked(ctx, tx, back)
}

// Release drops a pending order whose payment failed or was abandoned and
// gives its stock and the loyalty money it took back, as if it had never
// been placed.
func Release(ctx context.Context, tx *sql.Tx, id int64, restocked Restocked) error {
	rows, err := tx.QueryContext(ctx, "SELECT product_id, quantity FROM order_items WHERE order_id = $1", id)
	if err != nil {
		return err
	}
	var lines []Item
	for rows.Next() {
		var l Item
		if err := rows.Scan(&l.ProductID, &l.Quantity); err != nil {
			rows.Close()
			return err
		}
		lines = append(lines, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// Only a pending order goes; the condition is checked on the locked
	// row, so a payment completing at the same moment wins or loses whole.
	var customerID, spent int64
	var number string
	err = tx.QueryRowContext(ctx, `DELETE FROM orders WHERE id = $1 AND status = $2
		RETURNING COALESCE(customer_id, 0), number, loyalty_amount - loyalty_returned`, id, Pending).Scan(&customerID, &number, &spent)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := returnStock(ctx, tx, lines, restocked); err != nil {
		return err
	}
	return loyalty.Return(ctx, tx, customerID, money.Amount(spent), "order not paid", number)
}

// ErrNotCancellable refuses to cancel a shipped or cancelled order.
var ErrNotCancellable = &apperror.Problem{Status: 400, Detail: "This order can no longer be cancelled.", Code: "order_not_cancellable"}

// Stale returns the ids of a few pending orders placed before cutoff:
// card payments abandoned at the bank, or whose settlement was cut short.
// Whoever releases them asks the gateway first (see payment.Gateway's
// Lookup): a pending order may have been paid.
func Stale(ctx context.Context, q database.Querier, cutoff time.Time) ([]int64, error) {
	rows, err := q.QueryContext(ctx, "SELECT id FROM orders WHERE status = $1 AND created_at < $2 ORDER BY id LIMIT 20", Pending, cutoff.UTC())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// giveBackLoyalty returns amount of what loyalty money paid for o to the
// customer's balance and counts it on the order, in tx.
func giveBackLoyalty(ctx context.Context, tx *sql.Tx, o *Order, amount money.Amount, reason string, now time.Time) error {
	if amount <= 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "UPDATE orders SET loyalty_returned = loyalty_returned + $1, updated_at = $2 WHERE id = $3",
		int64(amount), now, o.ID); err != nil {
		return err
	}
	return loyalty.Return(ctx, tx, o.CustomerID, amount, reason, o.Number)
}
