package order

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/money"
)

const selectOrder = `SELECT id, number, token, idempotency_key, COALESCE(customer_id, 0), email, phone, status, currency, language,
	product_amount, discount_amount, shipping_amount, interest_amount, fee_amount, amount, refund_amount, loyalty_amount,
	loyalty_returned, installment_count,
	COALESCE(payment_option_id, 0), payment_option, payment_choice, COALESCE(shipping_option_id, 0), shipping_option_slug,
	delivery_option_slug, COALESCE(retail_store_id, 0), shipping_address, billing_address, discounts, voucher_code, notes,
	bank_account, gateway, gateway_reference, card_brand, card_last_four, COALESCE(basket_id, 0), remote_addr,
	tracking_number, tracking_url, created_at, updated_at FROM orders `

func scanOrder(row database.Scanner) (*Order, error) {
	var o Order
	var amounts [9]int64
	var payment, shipping, billing, discounts, bank string
	err := row.Scan(&o.ID, &o.Number, &o.Token, &o.Key, &o.CustomerID, &o.Email, &o.Phone, &o.Status, &o.Currency, &o.Language,
		&amounts[0], &amounts[1], &amounts[2], &amounts[3], &amounts[4], &amounts[5], &amounts[6], &amounts[7], &amounts[8],
		&o.Installments,
		&o.PaymentOptionID, &payment, &o.PaymentChoice, &o.ShippingOptionID, &o.ShippingOptionSlug, &o.DeliveryOption,
		&o.RetailStoreID, &shipping, &billing, &discounts, &o.VoucherCode, &o.Notes, &bank, &o.Gateway, &o.GatewayRef,
		&o.CardBrand, &o.CardLastFour, &o.BasketID, &o.RemoteAddr, &o.TrackingNumber, &o.TrackingURL, &o.Created, &o.Updated)
	if err != nil {
		return nil, err
	}
	o.ProductAmount, o.DiscountAmount, o.ShippingAmount = money.Amount(amounts[0]), money.Amount(amounts[1]), money.Amount(amounts[2])
	o.InterestAmount, o.FeeAmount, o.Amount, o.RefundAmount = money.Amount(amounts[3]), money.Amount(amounts[4]), money.Amount(amounts[5]), money.Amount(amounts[6])
	o.LoyaltyAmount, o.LoyaltyReturned = money.Amount(amounts[7]), money.Amount(amounts[8])
	o.PaymentOption, o.ShippingAddress, o.BillingAddress = []byte(payment), []byte(shipping), []byte(billing)
	o.Discounts, o.BankAccount = []byte(discounts), []byte(bank)
	return &o, nil
}

// withLines loads the items and history of orders: two queries, however
// many orders (a page of the order history is one answer).
func withLines(ctx context.Context, q database.Querier, orders ...*Order) error {
	if len(orders) == 0 {
		return nil
	}
	byID := make(map[int64]*Order, len(orders))
	ids := make([]any, len(orders))
	marks := make([]string, len(orders))
	for i, o := range orders {
		o.Items, o.History = o.Items[:0], o.History[:0]
		byID[o.ID], ids[i], marks[i] = o, o.ID, "$"+strconv.Itoa(i+1)
	}
	in := "(" + strings.Join(marks, ", ") + ")"
	rows, err := q.QueryContext(ctx, `SELECT i.order_id, i.id, i.product_id, i.quantity, i.unit_price, i.retail_price, i.discount, i.total,
		i.tax_rate, i.attributes, i.status, i.created_at, i.updated_at, COALESCE(i.shipment_id, 0), COALESCE(s.carrier, ''),
		COALESCE(s.tracking_number, ''), COALESCE(s.tracking_url, ''), COALESCE(p.sku, '')
		FROM order_items i LEFT JOIN order_shipments s ON s.id = i.shipment_id LEFT JOIN products p ON p.id = i.product_id WHERE i.order_id IN `+in+` ORDER BY i.id`, ids...)
	err = database.Each(rows, err, func(row database.Scanner) error {
		var orderID int64
		var it Item
		var unit, retail, discount, total int64
		var attrs string
		if err := row.Scan(&orderID, &it.ID, &it.ProductID, &it.Quantity, &unit, &retail, &discount, &total, &it.TaxRate,
			&attrs, &it.Status, &it.Created, &it.Updated, &it.ShipmentID, &it.Carrier, &it.TrackingNumber, &it.TrackingURL, &it.SKU); err != nil {
			return err
		}
		it.UnitPrice, it.RetailPrice, it.Discount, it.Total = money.Amount(unit), money.Amount(retail), money.Amount(discount), money.Amount(total)
		it.Attributes = []byte(attrs)
		o := byID[orderID]
		o.Items = append(o.Items, it)
		return nil
	})
	if err != nil {
		return err
	}
	hist, err := q.QueryContext(ctx, "SELECT order_id, status, note, created_at FROM order_status_history WHERE order_id IN "+in+" ORDER BY id", ids...)
	return database.Each(hist, err, func(row database.Scanner) error {
		var orderID int64
		var h StatusChange
		if err := row.Scan(&orderID, &h.Status, &h.Note, &h.At); err != nil {
			return err
		}
		o := byID[orderID]
		o.History = append(o.History, h)
		return nil
	})
}

func one(ctx context.Context, q database.Querier, where string, args ...any) (*Order, error) {
	o, err := scanOrder(q.QueryRowContext(ctx, selectOrder+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperror.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return o, withLines(ctx, q, o)
}

// Get returns any order by id (pending ones included): for checkout.
func Get(ctx context.Context, q database.Querier, id int64) (*Order, error) {
	return one(ctx, q, "WHERE id = $1", id)
}

// ByKey returns the order a checkout attempt placed, if any.
func ByKey(ctx context.Context, q database.Querier, key string) (*Order, error) {
	return one(ctx, q, "WHERE idempotency_key = $1", key)
}

// ByToken returns a placed order by its completion token.
func ByToken(ctx context.Context, q database.Querier, token string) (*Order, error) {
	return one(ctx, q, "WHERE token = $1 AND status <> $2", token, Pending)
}

// OfCustomer returns one of the customer's orders; another's is not found.
func OfCustomer(ctx context.Context, q database.Querier, customerID, id int64) (*Order, error) {
	return one(ctx, q, "WHERE id = $1 AND customer_id = $2 AND status <> $3", id, customerID, Pending)
}

// ByEmailAndNumber finds an order for guest tracking.
func ByEmailAndNumber(ctx context.Context, q database.Querier, email, number string) (*Order, error) {
	return one(ctx, q, "WHERE number = $1 AND LOWER(email) = LOWER($2) AND status <> $3", number, email, Pending)
}

// Filter narrows a customer's order list; zero times are open ends.
type Filter struct {
	From, To      time.Time
	Offset, Limit int
}

// List returns a page of the customer's orders, newest first, and the count.
func List(ctx context.Context, q database.Querier, customerID int64, f Filter) ([]*Order, int, error) {
	where := "WHERE customer_id = $1 AND status <> $2 AND ($3 OR created_at >= $4) AND ($5 OR created_at <= $6)"
	args := []any{customerID, Pending, f.From.IsZero(), f.From.UTC(), f.To.IsZero(), f.To.UTC()}
	var count int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM orders "+where, args...).Scan(&count); err != nil {
		return nil, 0, err
	}
	rows, err := q.QueryContext(ctx, selectOrder+where+" ORDER BY created_at DESC, id DESC LIMIT $7 OFFSET $8",
		append(args, f.Limit, f.Offset)...)
	list, err := database.Collect(rows, err, scanOrder)
	if err != nil {
		return nil, 0, err
	}
	if err := withLines(ctx, q, list...); err != nil {
		return nil, 0, err
	}
	return list, count, nil
}

// ItemOrder returns the order of one of the customer's order items.
func ItemOrder(ctx context.Context, q database.Querier, customerID, itemID int64) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT o.id FROM order_items i JOIN orders o ON o.id = i.order_id
		WHERE i.id = $1 AND o.customer_id = $2 AND o.status <> $3`, itemID, customerID, Pending).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, apperror.ErrNotFound
	}
	return id, err
}

// UsedDiscount is one discount that one of a customer's orders got.
type UsedDiscount struct {
	Label       string
	Amount      money.Amount
	Currency    string
	VoucherCode string // the order's voucher, whether or not this discount is its
	OrderNumber string
	Created     time.Time
}

// UsedDiscounts returns the discounts of the customer's placed orders,
// newest order first.
func UsedDiscounts(ctx context.Context, q database.Querier, customerID int64) ([]UsedDiscount, error) {
	rows, err := q.QueryContext(ctx, `SELECT number, currency, discounts, voucher_code, created_at FROM orders
		WHERE customer_id = $1 AND status <> $2 AND discounts <> '[]' ORDER BY created_at DESC, id DESC`, customerID, Pending)
	var out []UsedDiscount
	err = database.Each(rows, err, func(row database.Scanner) error {
		var number, currency, discounts, voucher string
		var created time.Time
		if err := row.Scan(&number, &currency, &discounts, &voucher, &created); err != nil {
			return err
		}
		// As checkout stores them: [{"name": ..., "amount": "12.50"}].
		var stored []struct {
			Name   string `json:"name"`
			Amount string `json:"amount"`
		}
		if err := json.Unmarshal([]byte(discounts), &stored); err != nil {
			return fmt.Errorf("order %s: discounts: %w", number, err)
		}
		for _, d := range stored {
			amount, err := money.Parse(d.Amount)
			if err != nil {
				return fmt.Errorf("order %s: discount amount: %w", number, err)
			}
			out = append(out, UsedDiscount{Label: d.Name, Amount: amount, Currency: currency, VoucherCode: voucher,
				OrderNumber: number, Created: created})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Cursor is a place in the feed of changed orders: the last change read.
type Cursor struct {
	At time.Time
	ID int64
}

// Changed returns up to limit placed orders changed after the cursor and
// no later than until, in the order of their last change. Paging through
// (updated_at, id) neither skips nor repeats an order while orders are
// being written, as long as until lies behind the newest change by more
// than a write transaction lasts: a transaction stamps its change before
// it commits, so a change newer than until may still be invisible.
func Changed(ctx context.Context, q database.Querier, after Cursor, until time.Time, limit int) ([]*Order, error) {
	rows, err := q.QueryContext(ctx, selectOrder+`WHERE (updated_at, id) > ($1, $2) AND updated_at <= $3 AND status <> $4
		ORDER BY updated_at, id LIMIT $5`, after.At.UTC(), after.ID, until.UTC(), Pending, limit)
	list, err := database.Collect(rows, err, scanOrder)
	if err != nil {
		return nil, err
	}
	return list, withLines(ctx, q, list...)
}
