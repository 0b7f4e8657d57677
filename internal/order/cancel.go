package order

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strconv"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/webhook"
)

// CancelLine asks to cancel one item of an order for a reason.
type CancelLine struct {
	ItemID, ReasonID int64
	Description      string
}

// Refund is money to give back through the gateway after a cancellation,
// recorded in the refunds table (see Refunder).
type Refund struct {
	ID, OrderID        int64
	Gateway, Reference string
	Amount             money.Amount
}

// Cancellation asks to cancel items of one order: the listed ones, or all
// of them when Lines is empty.
type Cancellation struct {
	OrderID int64
	Lines   []CancelLine
}

// CancelResult is what a committed cancellation leaves the caller to do.
type CancelResult struct {
	Refunds []Refund // recorded, to send at once with Refunder.Send
	// returned are the cancelled items, whose stock goes back once every
	// order is checked, all in product order (see inProductOrder).
	returned []Item
}

// Cancel cancels items of the customer's orders in one transaction:
// either every requested cancellation holds, or nothing changes (a bulk
// request naming a shipped order cancels none of the others). Each
// cancelled item's stock is returned. An order with no item left is
// cancelled, and the rest of what was paid for it (shipping, interest,
// fee) is refunded too. Loyalty money's share of what is cancelled goes
// back to the customer's balance (see loyaltyShare), never more than the
// order took. The refunds are recorded in the transaction and
// sent by a Refunder after the commit, so no gateway call runs inside the
// transaction and none is lost when the gateway fails.
func Cancel(ctx context.Context, db *database.DB, customerID int64, requests []Cancellation, restocked Restocked) (*CancelResult, error) {
	return cancel(ctx, db, canceller{customerID: customerID}, requests, restocked)
}

// canceller is who cancels: a customer, their own orders only, or the
// merchant, any order. after, when set, runs in the transaction once the
// orders are cancelled (the merchant's mails).
type canceller struct {
	customerID int64
	merchant   bool
	after      func(ctx context.Context, tx *sql.Tx, cancelled []*Order) error
}

func (c canceller) find(ctx context.Context, tx *sql.Tx, forUpdate string, orderID int64) (*Order, error) {
	if c.merchant {
		return one(ctx, tx, "WHERE id = $1 AND status <> $2"+forUpdate, orderID, Pending)
	}
	return one(ctx, tx, "WHERE id = $1 AND customer_id = $2 AND status <> $3"+forUpdate, orderID, c.customerID, Pending)
}

func (c canceller) note(whole bool) string {
	who := "the customer"
	if c.merchant {
		who = "the merchant"
	}
	if whole {
		return "cancelled by " + who
	}
	return "items cancelled by " + who
}

func cancel(ctx context.Context, db *database.DB, by canceller, requests []Cancellation, restocked Restocked) (*CancelResult, error) {
	// Orders are locked in id order, so two bulk requests naming the same
	// orders cannot deadlock.
	sorted := slices.Clone(requests)
	slices.SortFunc(sorted, func(a, b Cancellation) int { return cmp.Compare(a.OrderID, b.OrderID) })
	var done *CancelResult
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		done = &CancelResult{}
		var cancelled []*Order
		for _, c := range sorted {
			o, err := cancelOne(ctx, tx, db.ForUpdate(), by, c, done)
			if err != nil {
				return err
			}
			cancelled = append(cancelled, o)
		}
		if err := returnStock(ctx, tx, done.returned, restocked); err != nil {
			return err
		}
		if by.after == nil {
			return nil
		}
		return by.after(ctx, tx, cancelled)
	})
	if err != nil {
		return nil, err
	}
	return done, nil
}

// cancelOne is one order's cancellation inside tx; it adds what is left to
// do to done and returns the order as it was before.
func cancelOne(ctx context.Context, tx *sql.Tx, forUpdate string, by canceller, c Cancellation, done *CancelResult) (*Order, error) {
	o, err := by.find(ctx, tx, forUpdate, c.OrderID)
	if err != nil {
		return nil, err
	}
	if !o.Cancellable() {
		return nil, ErrNotCancellable
	}
	chosen, err := chooseLines(ctx, tx, o, c.Lines)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	var amount money.Amount
	var items []int64
	left, unshipped := 0, 0
	for _, it := range o.Items {
		if !chosen[it.ID] {
			if it.Status != Cancelled {
				left++
			}
			if it.Status != Cancelled && it.ShipmentID == 0 {
				unshipped++
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, "UPDATE order_items SET status = $1, updated_at = $2 WHERE id = $3", Cancelled, now, it.ID); err != nil {
			return nil, err
		}
		done.returned = append(done.returned, it)
		items = append(items, it.ID)
		amount += it.Total
	}
	status := o.Status
	loyaltyBack := loyaltyShare(o, amount)
	amount -= loyaltyBack
	switch {
	case left == 0:
		status = Cancelled
		amount = o.Amount - o.RefundAmount // what is left of the payment
		loyaltyBack = o.LoyaltyAmount - o.LoyaltyReturned
	case unshipped == 0:
		status = Shipped // what is left has all gone out
	}
	// Nothing was taken for an order still waiting for its transfer.
	if o.Status == WaitingPayment || o.GatewayRef == "" {
		amount = 0
	}
	if _, err := tx.ExecContext(ctx, "UPDATE orders SET status = $1, refund_amount = refund_amount + $2, updated_at = $3 WHERE id = $4",
		status, int64(amount), now, o.ID); err != nil {
		return nil, err
	}
	if err := addHistory(ctx, tx, o.ID, status, by.note(status == Cancelled), now); err != nil {
		return nil, err
	}
	if err := giveBackLoyalty(ctx, tx, o, loyaltyBack, by.note(status == Cancelled), now); err != nil {
		return nil, err
	}
	if err := enqueueOrderEvent(ctx, tx, webhook.OrderCancelled, o.ID, map[string]any{"cancelled_items": items, "by_merchant": by.merchant}); err != nil {
		return nil, err
	}
	if amount > 0 {
		rf := Refund{OrderID: o.ID, Gateway: o.Gateway, Reference: o.GatewayRef, Amount: amount}
		if err := queueRefund(ctx, tx, &rf, now); err != nil {
			return nil, err
		}
		done.Refunds = append(done.Refunds, rf)
	}
	return o, nil
}

// loyaltyShare is loyalty money's part of items worth cancelled of o: the
// order was paid by loyalty money and the payment in proportion, so each
// item is too. It never exceeds what loyalty money paid and is not yet
// returned.
func loyaltyShare(o *Order, cancelled money.Amount) money.Amount {
	if o.LoyaltyAmount == 0 {
		return 0
	}
	share := money.Amount(int64(cancelled) * int64(o.LoyaltyAmount) / int64(o.Amount+o.LoyaltyAmount))
	return min(share, o.LoyaltyAmount-o.LoyaltyReturned)
}

// chooseLines returns the items to cancel: the listed ones, or, when none
// are listed, every item neither cancelled nor shipped.
func chooseLines(ctx context.Context, tx *sql.Tx, o *Order, lines []CancelLine) (map[int64]bool, error) {
	byID := map[int64]*Item{}
	for i := range o.Items {
		byID[o.Items[i].ID] = &o.Items[i]
	}
	chosen := map[int64]bool{}
	errs := apperror.Fields{}
	for _, l := range lines {
		it, ok := byID[l.ItemID]
		switch {
		case !ok:
			errs.Add("cancel_order_items", "Order item "+itoa(l.ItemID)+" is not in this order.")
		case it.Status == Cancelled || chosen[l.ItemID]:
			errs.Add("cancel_order_items", "Order item "+itoa(l.ItemID)+" is cancelled already.")
		case it.ShipmentID != 0:
			errs.Add("cancel_order_items", "Order item "+itoa(l.ItemID)+" has been shipped.")
		}
		if l.ReasonID != 0 {
			var active bool
			err := tx.QueryRowContext(ctx, "SELECT is_active FROM cancellation_reasons WHERE id = $1", l.ReasonID).Scan(&active)
			if err == sql.ErrNoRows || (err == nil && !active) {
				errs.Add("reason", "Unknown cancellation reason.")
			} else if err != nil {
				return nil, err
			}
		}
		chosen[l.ItemID] = true
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(lines) == 0 {
		for _, it := range o.Items {
			if it.Status != Cancelled && it.ShipmentID == 0 {
				chosen[it.ID] = true
			}
		}
	}
	return chosen, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
