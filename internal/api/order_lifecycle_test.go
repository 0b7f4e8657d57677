package api

import (
	"context"
	"fmt"
	"testing"

	"github.com/vitrin/vitrin/internal/order"
)

// The customer follows the merchant's moves (issue 14) in /users/orders/:
// the status, its history, and each line's carrier and tracking number.
func TestCustomerSeesMerchantMoves(t *testing.T) {
	cs := newCheckoutStore(t)
	sh := cs.buyer(t, false, "ada@example.com", "TEE-B", 1)
	id, _ := placed(t, cs.readyToPay(t, sh, true)())
	moves := cs.api.svc.Lifecycle
	ctx := context.Background()
	if _, err := moves.Prepare(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := moves.Ship(ctx, id, order.Shipment{Carrier: "Yurtiçi", TrackingNumber: "YK42", TrackingURL: "https://track.example/YK42"}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fmt.Sprintf("/users/orders/%d/", id), "/users/orders/"} {
		o := sh.do("GET", path, nil).must(t, 200).json()
		if results, ok := o["results"].([]any); ok {
			o = results[0].(map[string]any)
		}
		item := o["orderitem_set"].([]any)[0].(map[string]any)
		history := o["status_history"].([]any)
		last := history[len(history)-1].(map[string]any)
		if o["status"].(map[string]any)["value"] != "shipped" || o["tracking_number"] != "YK42" || o["is_cancellable"] != false ||
			item["status"].(map[string]any)["value"] != "shipped" || item["tracking_number"] != "YK42" ||
			item["shipping_company"] != "Yurtiçi" || item["tracking_url"] != "https://track.example/YK42" || item["is_cancellable"] != false ||
			len(history) != 4 || last["note"] != "shipped with Yurtiçi, tracking number YK42" {
			t.Fatalf("%s: %v", path, o)
		}
	}
}
