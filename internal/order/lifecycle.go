package order

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/mail"
	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/webhook"
)

// The merchant moves an order along: approved (a transfer arrived) →
// preparing → shipped (whole, or line by line: partial shipments) →
// delivered, or cancels it before it has all gone out. A move the order's
// state does not allow is refused with a 409 that says why, and changes
// nothing. Every move is recorded in the status history the customer
// reads, and is an order.status_changed webhook event.

// refused is the 409 of a move the order's state does not allow.
func refused(reason string) error {
	return &apperror.Problem{Status: http.StatusConflict, Detail: reason, Code: "invalid_transition"}
}

// Lifecycle makes the merchant's moves.
type Lifecycle struct {
	db        *database.DB
	mailer    *mail.Mailer
	refunder  *Refunder
	restocked Restocked
}

// NewLifecycle returns the merchant's moves; shipped and cancelled orders
// are mailed through mailer, refunds sent at once through refunder.
func NewLifecycle(db *database.DB, mailer *mail.Mailer, refunder *Refunder, restocked Restocked) *Lifecycle {
	return &Lifecycle{db: db, mailer: mailer, refunder: refunder, restocked: restocked}
}

// Shipment is a parcel: the whole order, or some of its lines.
type Shipment struct {
	Carrier, TrackingNumber, TrackingURL string
	// Lines are the order items in the parcel; none means every item not
	// cancelled nor shipped yet.
	Lines []int64
}

// move locks the order, lets change make the move in tx and returns the
// order as it is afterwards.
func (l *Lifecycle) move(ctx context.Context, id int64, change func(tx *sql.Tx, o *Order, now time.Time) (status, note string, err error)) (*Order, error) {
	err := l.db.Tx(ctx, func(tx *sql.Tx) error {
		o, err := one(ctx, tx, "WHERE id = $1 AND status <> $2"+l.db.ForUpdate(), id, Pending)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		status, note, err := change(tx, o, now)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3", status, now, id); err != nil {
			return err
		}
		if err := addHistory(ctx, tx, id, status, note, now); err != nil {
			return err
		}
		return enqueueOrderEvent(ctx, tx, webhook.OrderStatusChanged, id, map[string]any{"previous_status": o.Status, "note": note})
	})
	if err != nil {
		return nil, err
	}
	return Get(ctx, l.db, id)
}

// setItems moves the order's items in one status to another.
func setItems(ctx context.Context, tx *sql.Tx, orderID int64, from, to string, now time.Time) error {
	_, err := tx.ExecContext(ctx, "UPDATE order_items SET status = $1, updated_at = $2 WHERE order_id = $3 AND status = $4", to, now, orderID, from)
	return err
}

// Approve confirms an order waiting for its bank transfer.
func (l *Lifecycle) Approve(ctx context.Context, id int64) (*Order, error) {
	return l.move(ctx, id, func(tx *sql.Tx, o *Order, now time.Time) (string, string, error) {
		if o.Status != WaitingPayment {
			return "", "", refused("Only an order waiting for payment can be approved; this one is " + o.Status + ".")
		}
		return Approved, "payment received", setItems(ctx, tx, id, WaitingPayment, Approved, now)
	})
}

// Prepare marks an approved order as being prepared in the warehouse.
func (l *Lifecycle) Prepare(ctx context.Context, id int64) (*Order, error) {
	return l.move(ctx, id, func(tx *sql.Tx, o *Order, now time.Time) (string, string, error) {
		if o.Status != Approved {
			return "", "", refused("Only an approved order can be prepared; this one is " + o.Status + ".")
		}
		return Preparing, "being prepared", setItems(ctx, tx, id, Approved, Preparing, now)
	})
}

// Deliver marks a shipped order as delivered.
func (l *Lifecycle) Deliver(ctx context.Context, id int64) (*Order, error) {
	return l.move(ctx, id, func(tx *sql.Tx, o *Order, now time.Time) (string, string, error) {
		if o.Status != Shipped {
			return "", "", refused("Only a shipped order can be delivered; this one is " + o.Status + ".")
		}
		return Delivered, "delivered", setItems(ctx, tx, id, Shipped, Delivered, now)
	})
}

// Ship sends a parcel. When it holds the last items still to go, the
// order is shipped; otherwise it stays in preparation with those items
// shipped. The customer is mailed the tracking number either way.
func (l *Lifecycle) Ship(ctx context.Context, id int64, s Shipment) (*Order, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	return l.move(ctx, id, func(tx *sql.Tx, o *Order, now time.Time) (string, string, error) {
		if o.Status != Approved && o.Status != Preparing {
			return "", "", refused("Only an approved order or one being prepared can be shipped; this one is " + o.Status + ".")
		}
		parcel, left, err := s.pick(o)
		if err != nil {
			return "", "", err
		}
		var shipmentID int64
		err = tx.QueryRowContext(ctx, `INSERT INTO order_shipments (order_id, carrier, tracking_number, tracking_url, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, id, s.Carrier, s.TrackingNumber, s.TrackingURL, now).Scan(&shipmentID)
		if err != nil {
			return "", "", err
		}
		for _, it := range parcel {
			if _, err := tx.ExecContext(ctx, "UPDATE order_items SET status = $1, shipment_id = $2, updated_at = $3 WHERE id = $4",
				Shipped, shipmentID, now, it.ID); err != nil {
				return "", "", err
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE orders SET tracking_number = $1, tracking_url = $2 WHERE id = $3",
			s.TrackingNumber, s.TrackingURL, id); err != nil {
			return "", "", err
		}
		if err := l.mail(ctx, tx, o, "order_shipped", map[string]any{"Carrier": s.Carrier, "TrackingNumber": s.TrackingNumber,
			"TrackingURL": s.TrackingURL, "Count": len(parcel), "Partial": left > 0}); err != nil {
			return "", "", err
		}
		status, note := Shipped, "shipped with "+s.Carrier+", tracking number "+s.TrackingNumber
		if left > 0 {
			status, note = Preparing, "partly "+note+" ("+itoa(int64(len(parcel)))+" of "+itoa(int64(len(parcel)+left))+" items)"
		}
		return status, note, nil
	})
}

func (s *Shipment) validate() error {
	s.Carrier, s.TrackingNumber, s.TrackingURL = strings.TrimSpace(s.Carrier), strings.TrimSpace(s.TrackingNumber), strings.TrimSpace(s.TrackingURL)
	errs := apperror.Fields{}
	if s.Carrier == "" {
		errs.Add("carrier", "This field is required.")
	}
	if s.TrackingNumber == "" {
		errs.Add("tracking_number", "This field is required.")
	}
	if s.TrackingURL != "" {
		if u, err := url.Parse(s.TrackingURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs.Add("tracking_url", "Enter an http or https URL.")
		}
	}
	return errs.OrNil()
}

// pick returns the items of the parcel and how many items are left to
// ship after it.
func (s *Shipment) pick(o *Order) (parcel []Item, left int, err error) {
	open := map[int64]bool{}
	for _, it := range o.Items {
		open[it.ID] = it.Status != Cancelled && it.ShipmentID == 0
	}
	chosen := map[int64]bool{}
	for _, id := range s.Lines {
		isOpen, inOrder := open[id]
		switch {
		case !inOrder:
			return nil, 0, apperror.Field("lines", "Order item "+itoa(id)+" is not in this order.")
		case !isOpen || chosen[id]:
			return nil, 0, refused("Order item " + itoa(id) + " is cancelled or shipped already.")
		}
		chosen[id] = true
	}
	for _, it := range o.Items {
		switch {
		case !open[it.ID]:
		case len(s.Lines) == 0 || chosen[it.ID]:
			parcel = append(parcel, it)
		default:
			left++
		}
	}
	return parcel, left, nil
}

// Cancel cancels an order, or some of its lines, for the merchant (stock
// out, fraud): stock goes back, what was paid is refunded through the
// refunder, the customer is mailed. Lines already shipped stay shipped.
func (l *Lifecycle) Cancel(ctx context.Context, id int64, lines []int64, reason string) (*Order, error) {
	cl := make([]CancelLine, len(lines))
	for i, item := range lines {
		cl[i] = CancelLine{ItemID: item}
	}
	by := canceller{merchant: true, after: func(ctx context.Context, tx *sql.Tx, before []*Order) error {
		o := before[0]
		return l.mail(ctx, tx, o, "order_cancelled", map[string]any{"Reason": reason, "Whole": len(lines) == 0})
	}}
	done, err := cancel(ctx, l.db, by, []Cancellation{{OrderID: id, Lines: cl}}, l.restocked)
	if errors.Is(err, ErrNotCancellable) {
		return nil, refused("Only an order that has not all gone out can be cancelled.")
	}
	if err != nil {
		return nil, err
	}
	// A refund that fails here stays recorded for the refunder's retries.
	if err := l.refunder.Send(context.WithoutCancel(ctx), done.Refunds); err != nil {
		slog.Error("refund attempt not recorded", "order", id, "err", err)
	}
	return Get(ctx, l.db, id)
}

// mail queues a mail about o to its customer in tx.
func (l *Lifecycle) mail(ctx context.Context, tx *sql.Tx, o *Order, template string, data map[string]any) error {
	if l.mailer == nil || o.Email == "" {
		return nil
	}
	data["Number"] = o.Number
	return l.mailer.Queue(ctx, tx, mail.Letter{Template: template, Language: o.Language, To: o.Email, Data: data})
}

// enqueueOrderEvent writes an order's webhook event in tx: the order's
// id, number, status, amount and customer, with extra.
func enqueueOrderEvent(ctx context.Context, tx database.Querier, event string, id int64, extra map[string]any) error {
	return webhook.EnqueueLazy(ctx, tx, event, func() (any, error) {
		var number, status, currency string
		var amount, customer int64
		err := tx.QueryRowContext(ctx, "SELECT number, status, amount, currency, COALESCE(customer_id, 0) FROM orders WHERE id = $1", id).
			Scan(&number, &status, &amount, &currency, &customer)
		data := map[string]any{"order_id": id, "number": number, "status": status, "amount": money.Amount(amount).String(),
			"currency": currency, "customer_id": nullID(customer)}
		for k, v := range extra {
			data[k] = v
		}
		return data, err
	})
}
