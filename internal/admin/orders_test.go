package admin

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/vitrin/vitrin/internal/order"
)

type orderAnswer struct {
	Status         string `json:"status"`
	TrackingNumber string `json:"tracking_number"`
	Items          []struct {
		ID       int64  `json:"id"`
		Status   string `json:"status"`
		SKU      string `json:"sku"`
		Shipment *struct {
			Carrier        string `json:"carrier"`
			TrackingNumber string `json:"tracking_number"`
		} `json:"shipment"`
	} `json:"items"`
	History []struct {
		Status string `json:"status"`
		Note   string `json:"note"`
	} `json:"status_history"`
}

var ship = map[string]any{"carrier": "Yurtiçi", "tracking_number": "YK123", "tracking_url": "https://track.example/YK123"}

// Each move from each state: the ones the state allows move the order, the
// others are refused with a 409 and change nothing.
func TestLifecycleMoves(t *testing.T) {
	e := newEnv(t)
	// path of moves that bring a new order to the state.
	reach := map[string][]string{
		order.WaitingPayment: nil,
		order.Approved:       {"approve"},
		order.Preparing:      {"approve", "prepare"},
		order.Shipped:        {"approve", "ship"},
		order.Delivered:      {"approve", "ship", "deliver"},
		order.Cancelled:      {"cancel"},
	}
	allowed := map[string]map[string]string{ // state → move → state after
		order.WaitingPayment: {"approve": order.Approved, "cancel": order.Cancelled},
		order.Approved:       {"prepare": order.Preparing, "ship": order.Shipped, "cancel": order.Cancelled},
		order.Preparing:      {"ship": order.Shipped, "cancel": order.Cancelled},
		order.Shipped:        {"deliver": order.Delivered},
		order.Delivered:      {},
		order.Cancelled:      {},
	}
	moveTo := func(t *testing.T, id int64, move string) (int, []byte) {
		var body any
		if move == "ship" {
			body = ship
		}
		return e.do(t, e.all, "POST", "/v1/orders/"+strconv.FormatInt(id, 10)+"/"+move, body)
	}
	for state, path := range reach {
		for _, move := range []string{"approve", "prepare", "ship", "deliver", "cancel"} {
			t.Run(state+"/"+move, func(t *testing.T) {
				o := e.placeOrder(t, order.WaitingPayment, 1)
				for _, m := range path {
					if status, raw := moveTo(t, o.ID, m); status != http.StatusOK {
						t.Fatalf("reaching %s: %s answered %d %s", state, m, status, raw)
					}
				}
				status, raw := moveTo(t, o.ID, move)
				after, ok := allowed[state][move]
				if !ok {
					p := decodeJSON[problemJSON](t, raw)
					if status != http.StatusConflict || p.Detail == "" {
						t.Fatalf("%s on %s: %d %s, want a 409 with a reason", move, state, status, raw)
					}
					after = state
				} else if status != http.StatusOK {
					t.Fatalf("%s on %s: %d %s", move, state, status, raw)
				}
				_, raw = e.do(t, e.all, "GET", "/v1/orders/"+strconv.FormatInt(o.ID, 10), nil)
				if got := decodeJSON[orderAnswer](t, raw); got.Status != after {
					t.Fatalf("after %s on %s the order is %s, want %s", move, state, got.Status, after)
				}
			})
		}
	}
}

// Shipping some lines leaves the order in preparation with those lines
// shipped; the last parcel ships the order. Each parcel is mailed, and
// lines that are not open are refused.
func TestPartialShipment(t *testing.T) {
	e := newEnv(t)
	o := e.placeOrder(t, order.Approved, 3)
	path := "/v1/orders/" + strconv.FormatInt(o.ID, 10)
	first := map[string]any{"carrier": "Aras", "tracking_number": "AR1", "lines": []int64{o.Items[0].ID}}
	status, raw := e.do(t, e.all, "POST", path+"/ship", first)
	got := decodeJSON[orderAnswer](t, raw)
	if status != http.StatusOK || got.Status != order.Preparing || got.Items[0].Status != order.Shipped ||
		got.Items[0].Shipment == nil || got.Items[0].Shipment.TrackingNumber != "AR1" || got.Items[1].Shipment != nil {
		t.Fatalf("first parcel: %d %s", status, raw)
	}
	for name, c := range map[string]struct {
		body any
		want int
	}{
		"shipped already":   {first, http.StatusConflict},
		"not in the order":  {map[string]any{"carrier": "Aras", "tracking_number": "AR2", "lines": []int64{999999}}, http.StatusBadRequest},
		"no carrier":        {map[string]any{"tracking_number": "AR2"}, http.StatusBadRequest},
		"bad tracking URL":  {map[string]any{"carrier": "Aras", "tracking_number": "AR2", "tracking_url": "javascript:alert(1)"}, http.StatusBadRequest},
		"unknown field":     {map[string]any{"carrier": "Aras", "tracking_number": "AR2", "carier": "x"}, http.StatusBadRequest},
		"lines not numbers": {map[string]any{"carrier": "Aras", "tracking_number": "AR2", "lines": "all"}, http.StatusBadRequest},
	} {
		if status, raw := e.do(t, e.all, "POST", path+"/ship", c.body); status != c.want {
			t.Errorf("%s: %d %s, want %d", name, status, raw, c.want)
		}
	}
	// The merchant cancels one open line, then ships the last one: the
	// order has all gone out.
	if status, raw := e.do(t, e.all, "POST", path+"/cancel", map[string]any{"lines": []int64{o.Items[1].ID}}); status != http.StatusOK {
		t.Fatalf("cancel a line: %d %s", status, raw)
	}
	status, raw = e.do(t, e.all, "POST", path+"/ship", map[string]any{"carrier": "Aras", "tracking_number": "AR3"})
	got = decodeJSON[orderAnswer](t, raw)
	if status != http.StatusOK || got.Status != order.Shipped || got.Items[2].Shipment.TrackingNumber != "AR3" || got.TrackingNumber != "AR3" {
		t.Fatalf("last parcel: %d %s", status, raw)
	}
	notes := make([]string, len(got.History))
	for i, h := range got.History {
		notes[i] = h.Status + ": " + h.Note
	}
	want := []string{"approved: placed", "preparing: partly shipped with Aras, tracking number AR1 (1 of 3 items)",
		"preparing: items cancelled by the merchant", "shipped: shipped with Aras, tracking number AR3"}
	if strings.Join(notes, "|") != strings.Join(want, "|") {
		t.Fatalf("history:\n%s\nwant:\n%s", strings.Join(notes, "\n"), strings.Join(want, "\n"))
	}
	if n := e.mails(t, "order_shipped"); n != 2 {
		t.Errorf("%d shipping mails, want 2", n)
	}
	if n := e.mails(t, "order_cancelled"); n != 1 {
		t.Errorf("%d cancellation mails, want 1", n)
	}
}

// The merchant's cancellation returns the stock, refunds what was paid and
// mails the customer; a shipped order cannot be cancelled.
func TestMerchantCancel(t *testing.T) {
	e := newEnv(t)
	o := e.placeOrder(t, order.Approved, 2)
	path := "/v1/orders/" + strconv.FormatInt(o.ID, 10)
	status, raw := e.do(t, e.all, "POST", path+"/cancel", map[string]any{"reason": "out of stock"})
	if got := decodeJSON[orderAnswer](t, raw); status != http.StatusOK || got.Status != order.Cancelled {
		t.Fatalf("cancel: %d %s", status, raw)
	}
	var stock, refunded int64
	ctx := context.Background()
	if err := e.db.QueryRowContext(ctx, "SELECT SUM(stock) FROM products").Scan(&stock); err != nil {
		t.Fatal(err)
	}
	if err := e.db.QueryRowContext(ctx, "SELECT SUM(amount) FROM refunds WHERE order_id = $1", o.ID).Scan(&refunded); err != nil {
		t.Fatal(err)
	}
	if stock != 10 || refunded != int64(o.Amount) {
		t.Fatalf("after the cancellation: stock %d, want 10; refunded %d, want %d", stock, refunded, o.Amount)
	}
	if n := e.mails(t, "order_cancelled"); n != 1 {
		t.Errorf("%d cancellation mails, want 1", n)
	}
	if status, raw := e.do(t, e.all, "POST", path+"/cancel", nil); status != http.StatusConflict {
		t.Fatalf("cancel twice: %d %s, want 409", status, raw)
	}
	if status, _ := e.do(t, e.all, "GET", "/v1/orders/99999999", nil); status != http.StatusNotFound {
		t.Fatalf("an unknown order answered %d", status)
	}
}

func (e *env) mails(t *testing.T, kind string) int {
	t.Helper()
	var n int
	if err := e.db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM mail_outbox WHERE kind = $1", kind).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
