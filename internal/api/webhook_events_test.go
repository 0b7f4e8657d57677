package api

import (
	"context"
	"testing"

	"github.com/vitrin/vitrin/internal/webhook"
)

// Registration, an order placed at checkout and anonymisation each write
// their webhook event in their own transaction (issue 14).
func TestStorefrontEventsReachTheWebhookOutbox(t *testing.T) {
	cs := newCheckoutStore(t)
	sub := &webhook.Subscription{URL: "http://127.0.0.1:9/hooks", Events: webhook.Events}
	if err := webhook.Subscribe(context.Background(), cs.db, sub); err != nil {
		t.Fatal(err)
	}
	sh := cs.buyer(t, false, "ada@example.com", "TEE-B", 1)
	placed(t, cs.readyToPay(t, sh, true)())
	sh.do("PATCH", "/users/anonymize/", nil).must(t, 200)
	sh.do("PATCH", "/users/anonymize/", nil).must(t, 401)
	for event, want := range map[string]int{webhook.CustomerRegistered: 1, webhook.OrderPlaced: 1, webhook.CustomerAnonymised: 1} {
		if n := cs.count("SELECT COUNT(*) FROM webhook_deliveries WHERE event = $1", event); n != want {
			t.Errorf("%d %s deliveries, want %d", n, event, want)
		}
	}
}
