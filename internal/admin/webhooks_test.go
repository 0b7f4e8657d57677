package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/order"
	"github.com/vitrin/vitrin/internal/webhook"
)

// A subscription made through the API receives the order's events, signed;
// its deliveries are listed and one is resent.
func TestWebhooksThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	var received []webhook.Envelope
	var secret string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := webhook.Verify(secret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("signature: %v", err)
		}
		var env webhook.Envelope
		json.Unmarshal(body, &env)
		received = append(received, env)
	}))
	defer receiver.Close()

	for _, bad := range []map[string]any{{"url": "not a url", "events": []string{"order.placed"}}, {"url": receiver.URL, "events": []string{"order.shipped!"}},
		{"url": receiver.URL}} {
		if status, raw := e.do(t, e.hooks, "POST", "/v1/webhooks", bad); status != http.StatusBadRequest {
			t.Errorf("subscribe %v: %d %s", bad, status, raw)
		}
	}
	status, raw := e.do(t, e.hooks, "POST", "/v1/webhooks", map[string]any{"url": receiver.URL,
		"events": []string{webhook.OrderPlaced, webhook.OrderStatusChanged, webhook.OrderCancelled}})
	sub := decodeJSON[webhook.Subscription](t, raw)
	if status != http.StatusCreated || sub.Secret == "" {
		t.Fatalf("subscribe: %d %s", status, raw)
	}
	secret = sub.Secret
	if _, raw := e.do(t, e.hooks, "GET", "/v1/webhooks", nil); bytes.Contains(raw, []byte(secret)) {
		t.Fatalf("the list shows the secret: %s", raw)
	}

	o := e.placeOrder(t, order.Approved, 1)
	if status, raw := e.do(t, e.all, "POST", "/v1/orders/"+strconv.FormatInt(o.ID, 10)+"/prepare", nil); status != http.StatusOK {
		t.Fatalf("prepare: %d %s", status, raw)
	}
	if status, raw := e.do(t, e.all, "POST", "/v1/orders/"+strconv.FormatInt(o.ID, 10)+"/cancel", nil); status != http.StatusOK {
		t.Fatalf("cancel: %d %s", status, raw)
	}
	sender := webhook.NewSender(e.db)
	if n, err := sender.DeliverDue(context.Background()); n != 3 || err != nil {
		t.Fatalf("delivered %d, %v", n, err)
	}
	want := []string{webhook.OrderPlaced, webhook.OrderStatusChanged, webhook.OrderCancelled}
	for i, env := range received {
		var data map[string]any
		json.Unmarshal(env.Data, &data)
		if env.Event != want[i] || data["number"] != o.Number {
			t.Fatalf("event %d: %s %s", i, env.Event, env.Data)
		}
	}
	path := "/v1/webhooks/" + strconv.FormatInt(sub.ID, 10) + "/deliveries"
	status, raw = e.do(t, e.hooks, "GET", path+"?limit=2", nil)
	type page struct {
		Results []webhook.Delivery `json:"results"`
		Next    *string            `json:"next"`
	}
	p := decodeJSON[page](t, raw)
	if status != http.StatusOK || len(p.Results) != 2 || p.Next == nil || p.Results[0].Event != webhook.OrderCancelled || p.Results[0].ResponseStatus != 200 {
		t.Fatalf("deliveries: %d %s", status, raw)
	}
	_, raw = e.do(t, e.hooks, "GET", path+"?limit=2&before="+*p.Next, nil)
	if p := decodeJSON[page](t, raw); len(p.Results) != 1 || p.Results[0].Event != webhook.OrderPlaced {
		t.Fatalf("second page: %s", raw)
	}
	status, raw = e.do(t, e.hooks, "POST", "/v1/webhook-deliveries/"+strconv.FormatInt(p.Results[0].ID, 10)+"/resend", nil)
	if status != http.StatusAccepted {
		t.Fatalf("resend: %d %s", status, raw)
	}
	if n, err := sender.DeliverDue(context.Background()); n != 1 || err != nil {
		t.Fatalf("resent %d, %v", n, err)
	}
	if len(received) != 4 || received[3].ID != received[2].ID {
		t.Fatalf("the resend did not carry the event's id: %+v", received)
	}
	if status, _ := e.do(t, e.all, "POST", "/v1/webhook-deliveries/999999/resend", nil); status != http.StatusNotFound {
		t.Fatalf("resend of an unknown delivery: %d", status)
	}
	if status, _ := e.do(t, e.hooks, "DELETE", "/v1/webhooks/"+strconv.FormatInt(sub.ID, 10), nil); status != http.StatusNoContent {
		t.Fatalf("unsubscribe: %d", status)
	}
}
