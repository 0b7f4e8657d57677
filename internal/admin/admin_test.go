package admin

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/apitoken"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/inventory"
	"github.com/vitrin/vitrin/internal/mail"
	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/order"
	"github.com/vitrin/vitrin/internal/payment"
	"github.com/vitrin/vitrin/internal/testdb"
	"github.com/vitrin/vitrin/internal/wishlist"
)

// env is the management API over a fresh database, with a token of every
// scope (all) and one of the webhooks scope only.
type env struct {
	db      *database.DB
	srv     *httptest.Server
	all     string
	hooks   string
	revoked string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	db := testdb.Open(t)
	refunder := order.NewRefunder(db, payment.Gateways(payment.NewSandbox(db), nil))
	mailer := mail.NewMailer(db, mail.Settings{From: "shop@example.com", StorefrontURL: "http://shop.example"})
	alerts := wishlist.NewService(db, mailer)
	restocked := func(ctx context.Context, tx *sql.Tx, ids []int64) error {
		_, err := alerts.FireRestocked(ctx, tx, ids)
		return err
	}
	a := New(db, order.NewLifecycle(db, mailer, refunder, restocked), inventory.New(db, restocked))
	a.FeedSettle = 0 // the tests write one thing at a time
	e := &env{db: db, srv: httptest.NewServer(a)}
	t.Cleanup(e.srv.Close)
	var err error
	mint := func(name string, scopes ...string) string {
		secret, _, err2 := apitoken.Create(ctx, db, name, scopes)
		if err2 != nil {
			err = err2
		}
		return secret
	}
	e.all = mint("erp", apitoken.AllScopes...)
	e.hooks = mint("hooks", apitoken.Webhooks)
	e.revoked = mint("old", apitoken.AllScopes...)
	if err != nil {
		t.Fatal(err)
	}
	if err := apitoken.Revoke(ctx, db, "old"); err != nil {
		t.Fatal(err)
	}
	return e
}

// do sends a request with token and returns the status and the body.
func (e *env) do(t *testing.T, token, method, path string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	checkAnswer(t, method, path, resp, raw)
	return resp.StatusCode, raw
}

// placeOrder places an order of one unit of each of n new products, paid
// by card when status is approved.
func (e *env) placeOrder(t *testing.T, status string, n int) *order.Order {
	t.Helper()
	ctx := context.Background()
	o := &order.Order{Key: "attempt_" + strconv.FormatInt(time.Now().UnixNano(), 10), Email: "ada@example.com",
		Status: status, Currency: "TRY", Language: "en", Installments: 1, Amount: money.Amount(1000 * n)}
	if status == order.Approved {
		o.Gateway, o.GatewayRef = "sandbox", "sbx_"+o.Key
	}
	err := e.db.Tx(ctx, func(tx *sql.Tx) error {
		for i := range n {
			sku := o.Key + "_" + strconv.Itoa(i)
			var id int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO products (sku, base_code, name, slug, stock, created_at, updated_at)
				VALUES ($1, $1, $1, $1, 5, $2, $2) RETURNING id`, sku, time.Now().UTC()).Scan(&id); err != nil {
				return err
			}
			o.Items = append(o.Items, order.Item{ProductID: id, Quantity: 1, UnitPrice: 1000, RetailPrice: 1000, Total: 1000})
		}
		return order.Insert(ctx, tx, o)
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func decodeJSON[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%v in %s", err, raw)
	}
	return v
}

// A missing, forged or revoked token, or one without the route's scope,
// is refused and logged; a good one gets through.
func TestTokensAndScopes(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		name, token string
		want        int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"forged", "vtk_" + "0123456789012345678901234567890123456789", http.StatusUnauthorized},
		{"not ours at all", "hello", http.StatusUnauthorized},
		{"revoked", e.revoked, http.StatusUnauthorized},
		{"without the scope", e.hooks, http.StatusForbidden},
		{"good", e.all, http.StatusOK},
	} {
		t.Run(c.name, func(t *testing.T) {
			if status, body := e.do(t, c.token, "GET", "/v1/orders", nil); status != c.want {
				t.Fatalf("status %d, want %d: %s", status, c.want, body)
			}
		})
	}
	if status, _ := e.do(t, "", "GET", "/openapi.json", nil); status != http.StatusOK {
		t.Fatalf("the OpenAPI document answered %d without a token", status)
	}
}

// A feed polled page by page while orders change meanwhile shows every
// order, repeats none within a pass, and shows a changed order again
// after the page it was first read on.
func TestFeedNeitherSkipsNorRepeats(t *testing.T) {
	e := newEnv(t)
	var ids []int64
	for range 7 {
		ids = append(ids, e.placeOrder(t, order.Approved, 1).ID)
	}
	type entry struct {
		ID      int64     `json:"id"`
		Updated time.Time `json:"updated_at"`
	}
	type page struct {
		Results []entry `json:"results"`
		Next    string  `json:"next"`
		HasMore bool    `json:"has_more"`
	}
	seen := map[int64][]time.Time{}
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("the feed does not end")
		}
		status, raw := e.do(t, e.all, "GET", "/v1/orders?limit=3&cursor="+cursor, nil)
		if status != http.StatusOK {
			t.Fatalf("feed: %d %s", status, raw)
		}
		p := decodeJSON[page](t, raw)
		for _, r := range p.Results {
			seen[r.ID] = append(seen[r.ID], r.Updated)
		}
		if pages == 0 {
			// One order already read and one not yet read change.
			for _, id := range []int64{ids[0], ids[5]} {
				if status, raw := e.do(t, e.all, "POST", "/v1/orders/"+strconv.FormatInt(id, 10)+"/prepare", nil); status != http.StatusOK {
					t.Fatalf("prepare: %d %s", status, raw)
				}
			}
		}
		cursor = p.Next
		if !p.HasMore {
			break
		}
	}
	for _, id := range ids {
		want := 1
		if id == ids[0] {
			want = 2 // read, changed, read again
		}
		if got := len(seen[id]); got != want {
			t.Errorf("order %d was read %d times, want %d", id, got, want)
		}
	}
	// A poll after the end shows nothing new, and its cursor stays.
	status, raw := e.do(t, e.all, "GET", "/v1/orders?cursor="+cursor, nil)
	if p := decodeJSON[page](t, raw); status != http.StatusOK || len(p.Results) != 0 || p.Next != cursor {
		t.Fatalf("poll at the end: %d %s", status, raw)
	}
	for _, bad := range []string{"?cursor=nonsense", "?limit=0", "?limit=501", "?cursor=" + "MTIz"} {
		if status, raw := e.do(t, e.all, "GET", "/v1/orders"+bad, nil); status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", bad, status, raw)
		}
	}
}
