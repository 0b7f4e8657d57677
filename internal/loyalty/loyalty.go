// Package loyalty keeps loyalty money: a ledger of credits and debits per
// customer, never a number that is overwritten. The balance is the sum of
// the entries, and no entry takes it below zero: entries of one customer
// are written one at a time under a lock on the customer's row.
package loyalty

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/money"
)

// Entry is one line of a customer's ledger.
type Entry struct {
	ID          int64
	Amount      money.Amount // positive: credited; negative: debited
	Reason      string
	OrderNumber string
	Created     time.Time
}

// Balance is the customer's loyalty money.
func Balance(ctx context.Context, q database.Querier, customerID int64) (money.Amount, error) {
	var sum int64
	err := q.QueryRowContext(ctx, "SELECT COALESCE(SUM(amount), 0) FROM loyalty_entries WHERE customer_id = $1", customerID).Scan(&sum)
	return money.Amount(sum), err
}

// Entries returns the customer's ledger, newest first.
func Entries(ctx context.Context, q database.Querier, customerID int64) ([]Entry, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, amount, reason, order_number, created_at FROM loyalty_entries
		WHERE customer_id = $1 ORDER BY id DESC`, customerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := []Entry{}
	for rows.Next() {
		var e Entry
		var amount int64
		if err := rows.Scan(&e.ID, &amount, &e.Reason, &e.OrderNumber, &e.Created); err != nil {
			return nil, err
		}
		e.Amount = money.Amount(amount)
		list = append(list, e)
	}
	return list, rows.Err()
}

// Adjust writes a credit (amount > 0) or a debit (amount < 0) with its
// reason and returns the entry and the new balance. A debit larger than
// the balance is refused and writes nothing.
func Adjust(ctx context.Context, db *database.DB, customerID int64, amount money.Amount, reason, orderNumber string) (*Entry, money.Amount, error) {
	reason = strings.TrimSpace(reason)
	errs := apperror.Fields{}
	if amount == 0 {
		errs.Add("amount", "Enter an amount other than zero.")
	}
	if reason == "" {
		errs.Add("reason", "Say why: the ledger keeps it.")
	}
	if err := errs.OrNil(); err != nil {
		return nil, 0, err
	}
	var e *Entry
	var balance money.Amount
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		e, balance, err = Write(ctx, tx, db.ForUpdate(), customerID, amount, reason, orderNumber)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return e, balance, nil
}

// Write is Adjust inside the caller's transaction tx (forUpdate is the
// engine's row lock clause): an order's payment and its cancellation
// move the balance in the transaction that places or cancels the order.
// A debit larger than the balance is an apperror.Field on "amount".
func Write(ctx context.Context, tx *sql.Tx, forUpdate string, customerID int64, amount money.Amount, reason, orderNumber string) (*Entry, money.Amount, error) {
	// The customer's row is the lock that orders their entries: two
	// debits at once cannot both see the balance before the other.
	var id int64
	err := tx.QueryRowContext(ctx, "SELECT id FROM customers WHERE id = $1"+forUpdate, customerID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, apperror.ErrNotFound
	}
	if err != nil {
		return nil, 0, err
	}
	balance, err := Balance(ctx, tx, customerID)
	if err != nil {
		return nil, 0, err
	}
	if balance+amount < 0 {
		return nil, 0, apperror.Field("amount", "The balance is "+balance.String()+"; it cannot go below zero.")
	}
	e := &Entry{Amount: amount, Reason: reason, OrderNumber: orderNumber, Created: time.Now().UTC()}
	err = tx.QueryRowContext(ctx, `INSERT INTO loyalty_entries (customer_id, amount, reason, order_number, created_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, customerID, int64(amount), reason, orderNumber, e.Created).Scan(&e.ID)
	if err != nil {
		return nil, 0, err
	}
	return e, balance + amount, nil
}

// Return credits back to the customer what loyalty money paid for an
// order, in the transaction tx that cancels or releases it. A credit
// cannot take the balance below zero, so it needs no lock on the
// customer's row; a customer who is gone (erased) gets nothing.
func Return(ctx context.Context, tx *sql.Tx, customerID int64, amount money.Amount, reason, orderNumber string) error {
	if customerID == 0 || amount <= 0 {
		return nil
	}
	_, _, err := Write(ctx, tx, "", customerID, amount, reason, orderNumber)
	if errors.Is(err, apperror.ErrNotFound) {
		return nil
	}
	return err
}

// OpeningReason is the reason of an imported opening balance.
const OpeningReason = "opening balance"

// Open writes a customer's opening balance, brought from the previous
// platform, in the import's transaction tx: once, into an empty ledger.
// From then on the balance moves with orders and the back office, and a
// later import leaves it alone.
func Open(ctx context.Context, tx *sql.Tx, customerID int64, amount money.Amount) error {
	if amount <= 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO loyalty_entries (customer_id, amount, reason, order_number, created_at)
		SELECT $1, $2, $3, '', $4 WHERE NOT EXISTS (SELECT 1 FROM loyalty_entries WHERE customer_id = $1)`,
		customerID, int64(amount), OpeningReason, time.Now().UTC())
	return err
}
