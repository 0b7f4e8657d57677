package webhook

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/testdb"
)

// BenchmarkDelivery measures the outbox's throughput: b.N events queued,
// then posted by two senders (two nodes) to a receiver that answers 200
// at once. It reports deliveries per second.
//
//	go test ./internal/webhook -run '^$' -bench Delivery -benchtime 5000x
func BenchmarkDelivery(b *testing.B) {
	ctx := context.Background()
	db := testdb.Open(b)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer receiver.Close()
	if err := Subscribe(ctx, db, &Subscription{URL: receiver.URL, Events: []string{OrderPlaced}}); err != nil {
		b.Fatal(err)
	}
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		for i := 0; i < b.N; i++ {
			if err := Enqueue(ctx, tx, OrderPlaced, map[string]any{"order_id": i, "number": "261202000000001"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range 2 {
		s := NewSender(db)
		s.Batch = 50
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, err := s.DeliverDue(ctx)
				if err != nil {
					b.Error(err)
					return
				}
				if n == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
	var left int
	db.QueryRowContext(ctx, "SELECT COUNT(*) FROM webhook_deliveries WHERE status <> 'delivered'").Scan(&left)
	if left != 0 {
		b.Fatalf("%d deliveries not delivered", left)
	}
}
