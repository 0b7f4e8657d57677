package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/vitrin/vitrin/internal/storeimport"
	"github.com/vitrin/vitrin/internal/testdb"
)

// benchBasketServer is the basket fixture store with every kind of
// promotion, served in process, and a guest session holding a basket of
// five lines.
func benchBasketServer(b *testing.B) (srv *Server, cookie string, productID int64) {
	db := testdb.Open(b)
	raw, _ := json.Marshal(basketFixture(allPromotions))
	if _, err := storeimport.Run(context.Background(), db, bytes.NewReader(raw), storeimport.Options{}); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec("UPDATE products SET stock = 1000000000"); err != nil {
		b.Fatal(err)
	}
	srv = newTestServer(b, db)
	var ids []int64
	rows, err := db.Query("SELECT id FROM products WHERE active ORDER BY id")
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		rec := serveBasket(srv, "POST", cookie, `{"product": `+strconv.FormatInt(id, 10)+`, "quantity": 1}`)
		if rec.Code != 200 {
			b.Fatalf("seed basket: %d %s", rec.Code, rec.Body)
		}
		if cookie == "" {
			cookie = strings.Split(rec.Header().Get("Set-Cookie"), ";")[0]
		}
	}
	return srv, cookie, ids[0]
}

func serveBasket(srv *Server, method, cookie, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "/baskets/basket/", strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	return rec
}

// BenchmarkAddToBasket is POST /baskets/basket/ on a five-line basket,
// answer included: lock, stock check, upsert, then the priced basket.
func BenchmarkAddToBasket(b *testing.B) {
	srv, cookie, product := benchBasketServer(b)
	body := `{"product": ` + strconv.FormatInt(product, 10) + `, "quantity": 1}`
	for b.Loop() {
		if rec := serveBasket(srv, "POST", cookie, body); rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkGetBasket is GET /baskets/basket/ of a five-line basket priced
// with three live offers.
func BenchmarkGetBasket(b *testing.B) {
	srv, cookie, _ := benchBasketServer(b)
	for b.Loop() {
		if rec := serveBasket(srv, "GET", cookie, ""); rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}
