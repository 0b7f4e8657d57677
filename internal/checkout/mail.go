package checkout

import (
	"context"
	"database/sql"

	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/mail"
	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/order"
)

// mailLine is one order line in the confirmation mail.
type mailLine struct {
	Name     string
	Quantity int64
	Total    string
}

// queueConfirmation writes the order's confirmation mail in the
// transaction that completes the order, so the mail exists exactly when
// the order does. bank is the account a transfer goes to, nil otherwise.
func (s *Service) queueConfirmation(ctx context.Context, tx *sql.Tx, o *order.Order, bank *BankAccount) error {
	language, name := o.Language, ""
	if o.CustomerID != 0 {
		var customerLanguage string
		if err := tx.QueryRowContext(ctx, "SELECT first_name, language FROM customers WHERE id = $1", o.CustomerID).
			Scan(&name, &customerLanguage); err != nil {
			return err
		}
		if customerLanguage != "" {
			language = customerLanguage
		}
	}
	price := func(a money.Amount) string { return a.String() + " " + o.Currency }
	lines := make([]mailLine, len(o.Items))
	for i, it := range o.Items {
		label, _, err := catalog.ProductLabel(ctx, tx, it.ProductID, language)
		if err != nil {
			return err
		}
		lines[i] = mailLine{Name: label, Quantity: it.Quantity, Total: price(it.Total)}
	}
	discount := ""
	if o.DiscountAmount > 0 {
		discount = price(o.DiscountAmount)
	}
	var transfer any // nil unless the shopper pays by transfer
	if o.Status == order.WaitingPayment && bank != nil {
		transfer = bank
	}
	// The storefront's thank-you page at this path reads the order by its
	// token, which only the shopper has: it works for guests too.
	return s.mailer.Queue(ctx, tx, mail.Letter{
		Template: "order_placed", Language: language, To: o.Email,
		Data: map[string]any{"Name": name, "Number": o.Number, "Items": lines, "Discount": discount,
			"Shipping": price(o.ShippingAmount), "Amount": price(o.Amount), "Bank": transfer,
			"Link": s.mailer.Link("/orders/completed/" + o.Token + "/")},
	})
}
