package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/testdb"
)

// TestNodesShareOneStore: two nodes, each with its own connection pool and
// catalog model, serve one database behind a balancer that sends every
// request to the other node than the last. A shopper registers, fills a
// basket, checks out and logs out; an import changes a price; neither node
// may answer from what only the other one knows.
func TestNodesShareOneStore(t *testing.T) {
	url := testdb.URL(t)
	open := func() *database.DB {
		db, err := database.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	dbA, dbB := open(), open()
	if err := dbA.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	nodes := []*Server{newTestServer(t, dbA), newTestServer(t, dbB)}
	var requests atomic.Int64
	balancer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nodes[requests.Add(1)%2].ServeHTTP(w, r)
	}))
	t.Cleanup(balancer.Close)
	cs := checkoutStoreOn(t, &testStore{t: t, db: dbA, srv: balancer, api: nodes[0]})
	// The other node serves the store from its next refresh, as its serve
	// loop's would within catalog.RefreshPeriod.
	if _, err := nodes[1].catalog.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}

	both := func(sh *shopper, path string, check func(r *response)) {
		t.Helper()
		for range nodes {
			check(sh.do("GET", path, nil))
		}
	}
	product := func(sku string) string { return "/product/" + strconv.FormatInt(cs.ids[sku], 10) + "/" }
	price := func(sh *shopper, sku string) (string, float64) {
		t.Helper()
		var page struct {
			Product struct {
				Price string  `json:"price"`
				Stock float64 `json:"stock"`
			} `json:"product"`
		}
		sh.do("GET", product(sku), nil).must(t, 200).decode(t, &page)
		return page.Product.Price, page.Product.Stock
	}

	// Every step of the checkout lands on the other node than the one before.
	sh := cs.buyer(t, false, "nodes@example.com", "TEE-A", 2)
	orderID, _ := placed(t, payByCard(t, cs, sh, "4242 4242 4242 4242", 1, false))
	both(sh, "/users/orders/", func(r *response) {
		var list struct {
			Count int `json:"count"`
		}
		r.must(t, 200).decode(t, &list)
		if list.Count != 1 {
			t.Fatalf("orders seen by a node: %d", list.Count)
		}
	})
	both(sh, "/users/orders/"+strconv.FormatInt(orderID, 10)+"/", func(r *response) { r.must(t, 200) })
	both(sh, "/baskets/basket/", func(r *response) {
		if b := basketOf(t, r.must(t, 200)); len(b.Items) != 0 {
			t.Fatalf("a node still shows the ordered basket: %+v", b.Items)
		}
	})
	for range nodes {
		if _, stock := price(sh, "TEE-A"); stock != 98 {
			t.Fatalf("stock after the order, as a node shows it: %v", stock)
		}
	}

	// An import on one node's database is seen by both after their next
	// refresh (within catalog.RefreshPeriod), though both have the page
	// cached; each applies the changed product to its model in place.
	for range nodes {
		if p, _ := price(sh, "TEE-B"); p != "200.00" {
			t.Fatalf("price before the import: %s", p)
		}
	}
	doc := checkoutFixture()
	doc["products"].([]any)[3].(map[string]any)["prices"] = map[string]any{"TRY": map[string]any{"price": "180.00", "retail_price": "200.00"}}
	cs.importStore(doc)
	for _, n := range nodes {
		builds := n.catalog.Builds()
		if _, err := n.catalog.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n.catalog.Builds() != builds {
			t.Error("a price change rebuilt a node's catalog model")
		}
	}
	for range nodes {
		if p, _ := price(sh, "TEE-B"); p != "180.00" {
			t.Fatalf("price after the import, as a node shows it: %s", p)
		}
	}

	// Logging out on one node ends the session on every node.
	sh.do("POST", "/users/logout/", nil).must(t, 200)
	both(sh, "/current_user/", func(r *response) { r.must(t, 401) })
}
