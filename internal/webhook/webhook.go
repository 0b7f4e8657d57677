// Package webhook tells a merchant's systems what happened in the store.
// A subscription names a URL, the events it wants and a secret. An event
// is written to the outbox (webhook_deliveries, one row per subscription)
// in the transaction of the event itself, so a delivery exists exactly
// when the event does; the Sender posts it, signed, and retries it with
// backoff for 72 hours, so a receiver that is down for an hour loses
// nothing, and several nodes sharing one database never post an event
// twice.
package webhook

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/token"
)

// Events a subscription may ask for.
const (
	OrderPlaced        = "order.placed"
	OrderStatusChanged = "order.status_changed"
	OrderCancelled     = "order.cancelled"
	OrderRefunded      = "order.refunded"
	CustomerRegistered = "customer.registered"
	CustomerAnonymised = "customer.anonymised"
)

// States of a delivery, and how much of a receiver's answer is kept.
const (
	deliveryPending     = "pending"
	deliveryDelivered   = "delivered"
	deliveryFailed      = "failed"
	maxResponseBodySize = 1024
)

// Events lists every event, in the order the documentation gives them.
var Events = []string{OrderPlaced, OrderStatusChanged, OrderCancelled, OrderRefunded, CustomerRegistered, CustomerAnonymised}

// Subscription is a receiver of events.
type Subscription struct {
	ID      int64     `json:"id"`
	URL     string    `json:"url"`
	Events  []string  `json:"events"`
	Secret  string    `json:"secret,omitempty"`
	Active  bool      `json:"is_active"`
	Created time.Time `json:"created_at"`
}

// Envelope is the body of every delivery: the event and its data.
type Envelope struct {
	ID      string          `json:"id"` // the same for every delivery of one event, resends too
	Event   string          `json:"event"`
	Created time.Time       `json:"created_at"`
	Data    json.RawMessage `json:"data"`
}

// Enqueue writes event to the outbox of every active subscription that
// asked for it, through q: the transaction of the event, so the event and
// its deliveries commit together or not at all.
func Enqueue(ctx context.Context, q database.Querier, event string, data any) error {
	return EnqueueLazy(ctx, q, event, func() (any, error) { return data, nil })
}

// EnqueueLazy is Enqueue for data that costs a query to gather: data is
// called only when a subscription wants the event, so a store without
// webhooks pays one small query per event.
func EnqueueLazy(ctx context.Context, q database.Querier, event string, data func() (any, error)) error {
	subs, err := subscribers(ctx, q, event)
	if err != nil || len(subs) == 0 {
		return err
	}
	v, err := data()
	if err != nil {
		return err
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	eventID := "evt_" + token.New(24)
	body, err := json.Marshal(Envelope{ID: eventID, Event: event, Created: now, Data: raw})
	if err != nil {
		return err
	}
	for _, id := range subs {
		if _, err := q.ExecContext(ctx, `INSERT INTO webhook_deliveries (subscription_id, event_id, event, payload, next_attempt_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $5)`, id, eventID, event, string(body), now); err != nil {
			return err
		}
	}
	return nil
}

// subscribers returns the active subscriptions that asked for event. A
// store has a handful, so they are filtered here rather than in SQL that
// would differ between the engines.
func subscribers(ctx context.Context, q database.Querier, event string) ([]int64, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, events FROM webhook_subscriptions WHERE is_active ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		var events string
		if err := rows.Scan(&id, &events); err != nil {
			return nil, err
		}
		if slices.Contains(strings.Split(events, ","), event) {
			ids = append(ids, id)
		}
	}
	return ids, rows.Err()
}

// Subscribe stores a subscription; its secret is made here when none is given.
func Subscribe(ctx context.Context, q database.Querier, s *Subscription) error {
	errs := apperror.Fields{}
	if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs.Add("url", "Enter an http or https URL.")
	}
	if len(s.Events) == 0 {
		errs.Add("events", "Name at least one event.")
	}
	for _, e := range s.Events {
		if !slices.Contains(Events, e) {
			errs.Add("events", "Unknown event "+e+"; the events are "+strings.Join(Events, ", ")+".")
		}
	}
	if s.Secret == "" {
		s.Secret = "whsec_" + token.New(32)
	} else if len(s.Secret) < 16 {
		errs.Add("secret", "A secret needs at least 16 characters.")
	}
	if err := errs.OrNil(); err != nil {
		return err
	}
	s.Active, s.Created = true, time.Now().UTC()
	return q.QueryRowContext(ctx, "INSERT INTO webhook_subscriptions (url, events, secret, is_active, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
		s.URL, strings.Join(s.Events, ","), s.Secret, true, s.Created).Scan(&s.ID)
}

// Subscriptions lists every subscription, secrets left out.
func Subscriptions(ctx context.Context, q database.Querier) ([]Subscription, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, url, events, is_active, created_at FROM webhook_subscriptions ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := []Subscription{}
	for rows.Next() {
		var s Subscription
		var events string
		if err := rows.Scan(&s.ID, &s.URL, &events, &s.Active, &s.Created); err != nil {
			return nil, err
		}
		s.Events = strings.Split(events, ",")
		list = append(list, s)
	}
	return list, rows.Err()
}

// Unsubscribe deletes a subscription and its deliveries.
func Unsubscribe(ctx context.Context, q database.Querier, id int64) error {
	res, err := q.ExecContext(ctx, "DELETE FROM webhook_subscriptions WHERE id = $1", id)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = apperror.ErrNotFound
	}
	return err
}

// Delivery is one event sent, or to send, to one subscription, with the
// receiver's last answer.
type Delivery struct {
	ID             int64      `json:"id"`
	SubscriptionID int64      `json:"subscription"`
	EventID        string     `json:"event_id"`
	Event          string     `json:"event"`
	Status         string     `json:"status"`
	Attempts       int        `json:"attempts"`
	ResponseStatus int        `json:"response_status"`
	ResponseBody   string     `json:"response_body"`
	LastError      string     `json:"last_error"`
	NextAttempt    time.Time  `json:"next_attempt_at"`
	Created        time.Time  `json:"created_at"`
	Delivered      *time.Time `json:"delivered_at"`
}

// Deliveries returns a page of a subscription's deliveries, newest first,
// those with an id below before (0: from the newest).
func Deliveries(ctx context.Context, q database.Querier, subscriptionID, before int64, limit int) ([]Delivery, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, subscription_id, event_id, event, status, attempts, response_status, response_body,
		last_error, next_attempt_at, created_at, delivered_at FROM webhook_deliveries
		WHERE subscription_id = $1 AND ($2 = 0 OR id < $2) ORDER BY id DESC LIMIT $3`, subscriptionID, before, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := []Delivery{}
	for rows.Next() {
		var d Delivery
		var delivered sql.NullTime
		if err := rows.Scan(&d.ID, &d.SubscriptionID, &d.EventID, &d.Event, &d.Status, &d.Attempts, &d.ResponseStatus,
			&d.ResponseBody, &d.LastError, &d.NextAttempt, &d.Created, &delivered); err != nil {
			return nil, err
		}
		if delivered.Valid {
			d.Delivered = &delivered.Time
		}
		list = append(list, d)
	}
	return list, rows.Err()
}

// Resend queues a delivery's event again for its subscription, as a new
// delivery with the same event id (so a receiver that keeps the ids it saw
// can tell) and the same body, and returns the new delivery's id.
func Resend(ctx context.Context, q database.Querier, deliveryID int64) (int64, error) {
	now := time.Now().UTC()
	var id int64
	err := q.QueryRowContext(ctx, `INSERT INTO webhook_deliveries (subscription_id, event_id, event, payload, next_attempt_at, created_at)
		SELECT subscription_id, event_id, event, payload, $1, $1 FROM webhook_deliveries WHERE id = $2 RETURNING id`, now, deliveryID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, apperror.ErrNotFound
	}
	return id, err
}
