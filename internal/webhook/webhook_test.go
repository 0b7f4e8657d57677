package webhook

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/testdb"
)

// receiver is a merchant's endpoint: it checks each signature, answers
// with the next of its failures (then 200), and counts deliveries per
// event id.
type receiver struct {
	t        *testing.T
	secret   string
	failures []int
	mu       sync.Mutex
	bodies   map[string][]string // event id → bodies received
	srv      *httptest.Server
	now      func() time.Time
}

func newReceiver(t *testing.T, failures ...int) *receiver {
	rc := &receiver{t: t, failures: failures, bodies: map[string][]string{}, now: time.Now}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := Verify(rc.secret, r.Header.Get(SignatureHeader), body, rc.now(), 5*time.Minute); err != nil {
			t.Errorf("delivery %s: %v", r.Header.Get("Vitrin-Delivery"), err)
		}
		var env Envelope
		if err := json.Unmarshal(body, &env); err != nil || env.Event != r.Header.Get("Vitrin-Event") {
			t.Errorf("body %s: %v", body, err)
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if len(rc.failures) > 0 {
			status := rc.failures[0]
			rc.failures = rc.failures[1:]
			http.Error(w, "down for maintenance", status)
			return
		}
		rc.bodies[env.ID] = append(rc.bodies[env.ID], string(body))
		w.Write([]byte("thanks"))
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) received() map[string][]string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.bodies
}

// subscribe adds a subscription of rc for events.
func subscribe(t *testing.T, db *database.DB, rc *receiver, events ...string) *Subscription {
	t.Helper()
	s := &Subscription{URL: rc.srv.URL + "/hooks", Events: events}
	if err := Subscribe(context.Background(), db, s); err != nil {
		t.Fatal(err)
	}
	rc.secret = s.Secret
	return s
}

func enqueue(t *testing.T, db *database.DB, event string, data any) {
	t.Helper()
	if err := db.Tx(context.Background(), func(tx *sql.Tx) error { return Enqueue(context.Background(), tx, event, data) }); err != nil {
		t.Fatal(err)
	}
}

// clock is a sender's time, moved by hand.
type clock struct{ at time.Time }

func (c *clock) now() time.Time { return c.at }

// A receiver that fails gets the same signed body again after the
// backoff, and nothing before it; the log shows each answer.
func TestRetriedWithBackoffUntilDelivered(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	rc := newReceiver(t, 503, 500)
	sub := subscribe(t, db, rc, OrderPlaced)
	enqueue(t, db, OrderPlaced, map[string]any{"order_id": 7})
	enqueue(t, db, CustomerRegistered, map[string]any{"customer_id": 1}) // not subscribed

	clk := &clock{at: time.Now()}
	s := NewSender(db)
	s.now, rc.now = clk.now, clk.now
	step := func(wantClaimed int) {
		t.Helper()
		n, err := s.DeliverDue(ctx)
		if n != wantClaimed {
			t.Fatalf("claimed %d, want %d (err %v)", n, wantClaimed, err)
		}
	}
	step(1)                                // 503
	step(0)                                // not due yet
	clk.at = clk.at.Add(s.RetryBase)       // first backoff
	step(1)                                // 500
	clk.at = clk.at.Add(s.RetryBase - 1)   // the second backoff is twice as long
	step(0)                                //
	clk.at = clk.at.Add(s.RetryBase + 1)   //
	step(1)                                // 200
	clk.at = clk.at.Add(100 * s.RetryBase) // nothing left
	step(0)
	got := rc.received()
	if len(got) != 1 {
		t.Fatalf("received %v", got)
	}
	list, err := Deliveries(ctx, db, sub.ID, 0, 10)
	if err != nil || len(list) != 1 || list[0].Status != deliveryDelivered || list[0].Attempts != 3 ||
		list[0].ResponseStatus != 200 || list[0].ResponseBody != "thanks" || list[0].Delivered == nil {
		t.Fatalf("deliveries: %+v, %v", list, err)
	}
	// Delivered events are kept for KeepDelivered, then purged.
	for _, c := range []struct {
		after time.Duration
		left  int
	}{{s.KeepDelivered - time.Hour, 1}, {s.KeepDelivered + time.Hour, 0}} {
		s.now = func() time.Time { return list[0].Delivered.Add(c.after) }
		if err := s.purgeDelivered(ctx); err != nil {
			t.Fatal(err)
		}
		if got, _ := Deliveries(ctx, db, sub.ID, 0, 10); len(got) != c.left {
			t.Fatalf("%v after the delivery: %d left, want %d", c.after, len(got), c.left)
		}
	}
}

// A receiver down for longer than 72 hours: the delivery is marked failed
// and a resend delivers it later, under the same event id.
func TestGivenUpThenResent(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	failures := make([]int, 100)
	for i := range failures {
		failures[i] = 502
	}
	rc := newReceiver(t, failures...)
	sub := subscribe(t, db, rc, OrderRefunded)
	enqueue(t, db, OrderRefunded, map[string]any{"order_id": 7})
	clk := &clock{at: time.Now()}
	s := NewSender(db)
	s.now, rc.now = clk.now, clk.now
	for tries := 0; ; tries++ {
		if _, err := s.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		list, _ := Deliveries(ctx, db, sub.ID, 0, 1)
		if list[0].Status == deliveryFailed {
			if age := clk.at.Sub(list[0].Created); age < 70*time.Hour || age > 72*time.Hour {
				t.Fatalf("given up after %v", age)
			}
			break
		}
		if tries > 100 {
			t.Fatal("never given up")
		}
		clk.at = list[0].NextAttempt
	}
	rc.mu.Lock()
	rc.failures = nil
	rc.mu.Unlock()
	list, _ := Deliveries(ctx, db, sub.ID, 0, 1)
	if _, err := Resend(ctx, db, list[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := Resend(ctx, db, 999999); !errors.Is(err, apperror.ErrNotFound) {
		t.Fatalf("resend of an unknown delivery: %v", err)
	}
	if n, err := s.DeliverDue(ctx); n != 1 || err != nil {
		t.Fatalf("resent: %d, %v", n, err)
	}
	got := rc.received()
	if len(got) != 1 {
		t.Fatalf("received %v", got)
	}
	for id := range got {
		if list[0].EventID != id {
			t.Fatalf("resent under event id %s, want %s", id, list[0].EventID)
		}
	}
}

// Senders on several nodes sharing one database deliver each event once.
func TestTwoSendersDeliverEachOnce(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	rc := newReceiver(t)
	subscribe(t, db, rc, OrderPlaced)
	const events = 120
	for i := range events {
		enqueue(t, db, OrderPlaced, map[string]any{"order_id": i})
	}
	var wg sync.WaitGroup
	for range 2 {
		s := NewSender(db)
		s.Batch = 7
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, err := s.DeliverDue(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if n == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	got := rc.received()
	if len(got) != events {
		t.Fatalf("%d events received, want %d", len(got), events)
	}
	for id, bodies := range got {
		if len(bodies) != 1 {
			t.Fatalf("event %s received %d times", id, len(bodies))
		}
	}
}

// An event whose transaction rolls back leaves no delivery.
func TestEnqueuedWithTheEventOrNotAtAll(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	rc := newReceiver(t)
	subscribe(t, db, rc, CustomerRegistered)
	boom := errors.New("the registration failed")
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if err := Enqueue(ctx, tx, CustomerRegistered, map[string]any{"customer_id": 1}); err != nil {
			return err
		}
		return boom
	})
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM webhook_deliveries").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(err, boom) || n != 0 {
		t.Fatalf("err %v, %d deliveries after a rollback", err, n)
	}
}

func TestVerifyRefusesForgeries(t *testing.T) {
	now := time.Now()
	body := []byte(`{"id":"evt_1"}`)
	good := Sign("whsec_abcdefghijklmnop", now, body)
	for name, c := range map[string]struct {
		secret, header string
		body           []byte
		ok             bool
	}{
		"good":         {"whsec_abcdefghijklmnop", good, body, true},
		"other secret": {"whsec_abcdefghijklmnoq", good, body, false},
		"other body":   {"whsec_abcdefghijklmnop", good, []byte(`{"id":"evt_2"}`), false},
		"replayed":     {"whsec_abcdefghijklmnop", Sign("whsec_abcdefghijklmnop", now.Add(-time.Hour), body), body, false},
		"no header":    {"whsec_abcdefghijklmnop", "", body, false},
		"no signature": {"whsec_abcdefghijklmnop", "t=1", body, false},
	} {
		if err := Verify(c.secret, c.header, c.body, now, 5*time.Minute); (err == nil) != c.ok {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSubscribeRefusesBadInput(t *testing.T) {
	db := testdb.Open(t)
	for name, s := range map[string]Subscription{
		"no URL":        {Events: []string{OrderPlaced}},
		"ftp":           {URL: "ftp://example.com/", Events: []string{OrderPlaced}},
		"no events":     {URL: "https://erp.example/hooks"},
		"unknown event": {URL: "https://erp.example/hooks", Events: []string{"order.eaten"}},
		"short secret":  {URL: "https://erp.example/hooks", Events: []string{OrderPlaced}, Secret: "abc"},
	} {
		if err := Subscribe(context.Background(), db, &s); apperror.Status(err) != http.StatusBadRequest {
			t.Errorf("%s: %v, want a 400", name, err)
		}
	}
	if list, err := Subscriptions(context.Background(), db); err != nil || len(list) != 0 {
		t.Fatalf("after bad input: %v, %v", list, err)
	}
}
