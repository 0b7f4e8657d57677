package wishlist_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/vitrin/vitrin/internal/mail"
	"github.com/vitrin/vitrin/internal/storeimport"
	"github.com/vitrin/vitrin/internal/testdb"
	"github.com/vitrin/vitrin/internal/wishlist"
)

// Stock that comes back some other way than an import (a cancelled order
// puts it back with an UPDATE) is found by the sweep; many nodes sweeping
// at once still mail each alert exactly once.
func TestConcurrentSweepsMailEachAlertOnce(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	doc := `{"format": "vitrin.store/1", "products": [{"sku": "P-1", "base_code": "P", "name": "Elbise", "slug": "elbise",
		"prices": {"TRY": {"price": "10.00", "retail_price": "10.00"}}, "stock": 0}]}`
	if _, err := storeimport.Run(ctx, db, strings.NewReader(doc), storeimport.Options{}); err != nil {
		t.Fatal(err)
	}
	var productID int64
	if err := db.QueryRow("SELECT id FROM products WHERE sku = 'P-1'").Scan(&productID); err != nil {
		t.Fatal(err)
	}
	alerts := wishlist.NewService(db, mail.NewMailer(db, mail.Settings{StorefrontURL: "https://shop.example"}))
	const n = 60
	for i := 0; i < n; i++ {
		if _, err := alerts.AddAlert(ctx, wishlist.AlertRequest{Email: "guest" + strconv.Itoa(i) + "@example.com",
			ProductID: productID, ClientAddr: "10.0.0." + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if fired, err := alerts.Sweep(ctx); err != nil || fired != 0 {
		t.Fatalf("out of stock: %d alerts fired, %v", fired, err)
	}
	if _, err := db.Exec("UPDATE products SET stock = stock + 2 WHERE id = $1", productID); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fired, err := alerts.Sweep(ctx)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total += fired
			mu.Unlock()
		}()
	}
	wg.Wait()
	var queued, distinct int
	db.QueryRow("SELECT COUNT(*), COUNT(DISTINCT recipient) FROM mail_outbox WHERE kind = 'stock_alert'").Scan(&queued, &distinct)
	if total != n || queued != n || distinct != n {
		t.Errorf("sweeps fired %d, queued %d mails to %d addresses; want %d each", total, queued, distinct, n)
	}
	if fired, err := alerts.Sweep(ctx); err != nil || fired != 0 {
		t.Errorf("a later sweep fired %d more (%v)", fired, err)
	}
}
