package api

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/basket"
)

// basketFixture is a small store for basket tests: prices chosen so that
// every expected total is easy to check by hand.
func basketFixture(promotions map[string]any) map[string]any {
	product := func(sku, category string, try, usd string, stock int, active bool) map[string]any {
		prices := map[string]any{"TRY": map[string]any{"price": try, "retail_price": try}}
		if usd != "" {
			prices["USD"] = map[string]any{"price": usd, "retail_price": usd}
		}
		return map[string]any{"sku": sku, "base_code": sku, "name": "Product " + sku, "slug": strings.ToLower(sku),
			"active": active, "categories": []string{category}, "images": []string{"https://cdn.example/" + sku + ".jpg"},
			"tax_rate": "20", "prices": prices, "stock": stock, "created": "2026-01-05T10:00:00Z"}
	}
	doc := map[string]any{
		"format": "vitrin.store/1",
		"store": map[string]any{"name": "Sepet", "default_currency": "TRY", "currencies": []string{"TRY", "USD"},
			"default_language": "tr-tr", "languages": []string{"tr-tr", "en-us"}, "country": "tr"},
		"categories": []any{
			map[string]any{"code": "women", "parent": nil, "slug": "women", "name": "Women"},
			map[string]any{"code": "women-dresses", "parent": "women", "slug": "women/dresses", "name": "Dresses"},
			map[string]any{"code": "men", "parent": nil, "slug": "men", "name": "Men"},
			map[string]any{"code": "men-tshirts", "parent": "men", "slug": "men/tshirts", "name": "T-shirts"},
		},
		"products": []any{
			product("DRESS", "women-dresses", "1000.00", "40.00", 5, true),
			product("DRESS2", "women-dresses", "450.00", "", 10, true),
			product("TEE-A", "men-tshirts", "300.00", "10.00", 100, true),
			product("TEE-B", "men-tshirts", "200.00", "8.00", 100, true),
			product("LAST", "men", "100.00", "4.00", 1, true),
			product("GONE", "men", "100.00", "4.00", 10, false),
		},
	}
	if promotions != nil {
		doc["promotions"] = promotions
	}
	return doc
}

// basketStore is a test store with the basket fixture and its product ids.
type basketStore struct {
	*testStore
	ids map[string]int64
}

func newBasketStore(t *testing.T, promotions map[string]any) *basketStore {
	ts := newTestStore(t)
	ts.importStore(basketFixture(promotions))
	bs := &basketStore{testStore: ts, ids: map[string]int64{}}
	rows, err := ts.db.Query("SELECT id, sku FROM products")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var sku string
		if err := rows.Scan(&id, &sku); err != nil {
			t.Fatal(err)
		}
		bs.ids[sku] = id
	}
	return bs
}

func (bs *basketStore) exec(query string, args ...any) {
	bs.t.Helper()
	if _, err := bs.db.Exec(query, args...); err != nil {
		bs.t.Fatal(err)
	}
}

type basketItemJSON struct {
	ID       int64  `json:"id"`
	Quantity int64  `json:"quantity"`
	Price    string `json:"price"`
	Discount string `json:"discount_amount"`
	Total    string `json:"total_amount"`
	Stock    int64  `json:"stock"`
	Currency string `json:"currency_type"`
	Product  struct {
		PK  int64  `json:"pk"`
		SKU string `json:"sku"`
	} `json:"product"`
	Attributes        map[string]any `json:"attributes"`
	IsAvailable       bool           `json:"is_available"`
	UnavailableReason *string        `json:"unavailable_reason"`
	PriceChanged      bool           `json:"price_changed"`
	AddedPrice        *string        `json:"added_price"`
	OfferBadges       []struct {
		Description string `json:"description"`
		Discount    string `json:"discount"`
	} `json:"offer_badges"`
}

type basketJSON struct {
	PK            int64            `json:"pk"`
	Items         []basketItemJSON `json:"basketitem_set"`
	ProductAmount string           `json:"total_product_amount"`
	DiscountTotal string           `json:"total_discount_amount"`
	Total         string           `json:"total_amount"`
	Quantity      int64            `json:"total_quantity"`
	VoucherCode   *string          `json:"voucher_code"`
	VoucherMsg    *string          `json:"voucher_message"`
	Discounts     []struct {
		Description string `json:"description"`
		Discount    string `json:"discount"`
	} `json:"discounts"`
	Upsells []struct {
		Message string `json:"message"`
	} `json:"upsell_details"`
	UpsellMessages []string `json:"upsell_messages"`
	Unavailable    []struct {
		Product int64  `json:"product"`
		Reason  string `json:"reason"`
		Message string `json:"message"`
	} `json:"unavailable_basket_products"`
	Segment map[string]any `json:"segment"`
}

func basketOf(t testing.TB, r *response) basketJSON {
	t.Helper()
	var body struct {
		Basket *basketJSON `json:"basket"`
	}
	r.decode(t, &body)
	if body.Basket == nil {
		t.Fatalf("no basket in %s", r.body)
	}
	return *body.Basket
}

func (b basketJSON) quantities() map[string]int64 {
	out := map[string]int64{}
	for _, it := range b.Items {
		out[it.Product.SKU] = it.Quantity
	}
	return out
}

func sameQuantities(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestBasketVerbs(t *testing.T) {
	bs := newBasketStore(t, nil)
	sh := bs.shopper()
	dress, tee := bs.ids["DRESS"], bs.ids["TEE-A"]

	b := basketOf(t, sh.do("GET", "/baskets/basket/", nil).must(t, 200))
	if len(b.Items) != 0 || b.Total != "0.00" || b.Quantity != 0 || b.VoucherCode != nil || b.Segment == nil {
		t.Fatalf("empty basket: %+v", b)
	}
	var sessions int
	if err := bs.db.QueryRow("SELECT COUNT(*) FROM sessions").Scan(&sessions); err != nil || sessions != 0 {
		t.Fatalf("reading an empty basket wrote %d sessions (%v)", sessions, err)
	}

	// A guest's first write sets the session cookie and nothing else
	// (the storefront's proxy keeps one cookie per response).
	fresh := bs.shopper()
	first := fresh.do("POST", "/baskets/basket/", map[string]any{"product": dress, "quantity": 1, "attributes": map[string]any{"gift_note": "hi"}}).must(t, 200)
	cookies := first.Header.Values("Set-Cookie")
	if len(cookies) != 1 || !strings.HasPrefix(cookies[0], "osessionid=") {
		t.Fatalf("first basket write set cookies %q; want osessionid only", cookies)
	}
	if got := basketOf(t, fresh.do("GET", "/baskets/basket", nil).must(t, 200)); got.quantities()["DRESS"] != 1 || got.Items[0].Attributes["gift_note"] != "hi" {
		t.Fatalf("basket after the first write: %+v", got)
	}

	steps := []struct {
		name   string
		method string
		body   any
		want   map[string]int64
		total  string
	}{
		{"add as JSON", "POST", map[string]any{"product": dress, "quantity": 2, "attributes": map[string]any{}}, map[string]int64{"DRESS": 2}, "2000.00"},
		{"add again gains quantity", "POST", map[string]any{"product": dress, "quantity": 1}, map[string]int64{"DRESS": 3}, "3000.00"},
		{"add as a form, numbers as strings", "POST", url.Values{"product": {strconv.FormatInt(tee, 10)}, "quantity": {"2"}}, map[string]int64{"DRESS": 3, "TEE-A": 2}, "3600.00"},
		{"JSON sent as text/plain", "POST", `{"product": ` + strconv.FormatInt(tee, 10) + `, "quantity": "1"}`, map[string]int64{"DRESS": 3, "TEE-A": 3}, "3900.00"},
		{"put sets the quantity", "PUT", map[string]any{"product": dress, "quantity": 1, "attributes": map[string]any{}}, map[string]int64{"DRESS": 1, "TEE-A": 3}, "1900.00"},
		{"put 0 removes the line", "PUT", map[string]any{"product": tee, "quantity": 0}, map[string]int64{"DRESS": 1}, "1000.00"},
		{"delete empties", "DELETE", nil, map[string]int64{}, "0.00"},
	}
	for _, st := range steps {
		body := st.body
		headers := []string{}
		if s, ok := body.(string); ok && strings.HasPrefix(s, "{") {
			// The real client's proxy sends JSON as text/plain.
			headers = append(headers, "Content-Type", "text/plain;charset=UTF-8")
		}
		b := basketOf(t, sh.do(st.method, "/baskets/basket/", body, headers...).must(t, 200))
		if !sameQuantities(b.quantities(), st.want) || b.Total != st.total {
			t.Fatalf("%s: quantities %v total %s; want %v %s", st.name, b.quantities(), b.Total, st.want, st.total)
		}
		got := basketOf(t, sh.do("GET", "/baskets/basket", nil).must(t, 200))
		if !sameQuantities(got.quantities(), st.want) {
			t.Fatalf("%s: GET after shows %v", st.name, got.quantities())
		}
	}
}

func TestBasketRefusesBadInput(t *testing.T) {
	bs := newBasketStore(t, nil)
	sh := bs.shopper()
	dress := bs.ids["DRESS"]
	sh.do("POST", "/baskets/basket/", map[string]any{"product": dress, "quantity": 2}).must(t, 200)

	// A refused change answers its field error and leaves the basket as it was.
	unchanged := func(t testing.TB, _ *response) {
		if got := basketOf(t, sh.in(t).do("GET", "/baskets/basket/", nil).must(t, 200)).quantities(); !sameQuantities(got, map[string]int64{"DRESS": 2}) {
			t.Fatalf("refused request changed the basket: %v", got)
		}
	}
	refused := func(name, method string, body any, field, says string, headers ...string) scenario {
		return scenario{name: name, method: method, url: "/baskets/basket/", body: body, headers: headers, as: sh,
			status: 400, fields: map[string]string{field: says}, after: unchanged}
	}
	runScenarios(t, bs.testStore, []scenario{
		refused("negative quantity", "POST", map[string]any{"product": dress, "quantity": -1}, "quantity", "greater than or equal to 1"),
		refused("zero quantity on add", "POST", map[string]any{"product": dress, "quantity": 0}, "quantity", "greater than or equal to 1"),
		refused("fractional quantity", "POST", map[string]any{"product": dress, "quantity": 1.5}, "quantity", "valid integer"),
		refused("non-numeric quantity", "POST", url.Values{"product": {strconv.FormatInt(dress, 10)}, "quantity": {"two"}}, "quantity", "valid integer"),
		refused("negative quantity on put", "PUT", map[string]any{"product": dress, "quantity": -3}, "quantity", "greater than or equal to 0"),
		refused("missing quantity on put", "PUT", map[string]any{"product": dress}, "quantity", "required"),
		refused("missing product", "POST", map[string]any{"quantity": 1}, "product", "required"),
		refused("product not a number", "POST", map[string]any{"product": "abc", "quantity": 1}, "product", "pk"),
		refused("unknown product", "POST", map[string]any{"product": 999999, "quantity": 1}, "product", "does not exist"),
		refused("inactive product", "POST", map[string]any{"product": bs.ids["GONE"], "quantity": 1}, "product", "no longer available"),
		refused("unpriced in the currency", "POST", map[string]any{"product": bs.ids["DRESS2"], "quantity": 1}, "product", "cannot be bought in USD", "X-Currency", "usd"),
		refused("more than the stock", "POST", map[string]any{"product": bs.ids["TEE-A"], "quantity": 101}, "quantity", "Only 100 left"),
		refused("more than the stock with what is in the basket", "POST", map[string]any{"product": dress, "quantity": 4}, "quantity", "Only 5 left in stock, and your basket already holds 2"),
		refused("put above the stock", "PUT", map[string]any{"product": dress, "quantity": 6}, "quantity", "Only 5 left"),
		refused("attributes not an object", "POST", map[string]any{"product": dress, "quantity": 1, "attributes": []int{1}}, "attributes", "dictionary"),
		refused("voucher missing", "PATCH", map[string]any{}, "voucher_code", "required"),
		refused("unknown voucher", "PATCH", map[string]any{"voucher_code": "NOPE"}, "voucher_code", "NOPE is not valid"),
		{name: "malformed JSON", method: "POST", url: "/baskets/basket/", body: "{not json", headers: []string{"Content-Type", "application/json"},
			as: sh, status: 400, contains: []string{"JSON parse error."}, after: unchanged},
	})
}

func TestBasketCurrencyAndChangedProducts(t *testing.T) {
	bs := newBasketStore(t, nil)
	sh := bs.shopper()
	sh.do("POST", "/baskets/basket/", map[string]any{"product": bs.ids["DRESS"], "quantity": 2}).must(t, 200)
	sh.do("POST", "/baskets/basket/", map[string]any{"product": bs.ids["DRESS2"], "quantity": 1}).must(t, 200)

	try := basketOf(t, sh.do("GET", "/baskets/basket/", nil, "X-Currency", "undefined").must(t, 200))
	if try.Total != "2450.00" || try.Items[0].Currency != "try" {
		t.Fatalf("TRY basket: %+v", try)
	}
	// In USD the dress costs 40.00 and DRESS2 has no price: shown as such,
	// left out of the totals, not dropped.
	usd := basketOf(t, sh.do("GET", "/baskets/basket/", nil, "X-Currency", "usd").must(t, 200))
	if usd.Total != "80.00" || usd.Quantity != 2 || len(usd.Items) != 2 || usd.Items[0].Price != "40.00" || usd.Items[0].Currency != "usd" {
		t.Fatalf("USD basket: %+v", usd)
	}
	if it := usd.Items[1]; it.IsAvailable || it.UnavailableReason == nil || *it.UnavailableReason != "unpriced" ||
		len(usd.Unavailable) != 1 || !strings.Contains(usd.Unavailable[0].Message, "USD") {
		t.Fatalf("unpriced line in USD: %+v / %+v", it, usd.Unavailable)
	}
	// The session's chosen currency counts too.
	sh.do("POST", "/users/activate-currency/", map[string]any{"currency": "USD"}).must(t, 200)
	if b := basketOf(t, sh.do("GET", "/baskets/basket/", nil).must(t, 200)); b.Total != "80.00" {
		t.Fatalf("basket after activating USD: total %s", b.Total)
	}
	sh.do("POST", "/users/activate-currency/", map[string]any{"currency": "TRY"}).must(t, 200)

	// The price goes up and the stock falls below the line.
	bs.exec("UPDATE product_prices SET price = 110000 WHERE product_id = $1 AND currency = 'TRY'", bs.ids["DRESS"])
	bs.exec("UPDATE products SET stock = 0 WHERE id = $1", bs.ids["DRESS2"])
	b := basketOf(t, sh.do("GET", "/baskets/basket/", nil).must(t, 200))
	dress, dress2 := b.Items[0], b.Items[1]
	if !dress.PriceChanged || dress.AddedPrice == nil || *dress.AddedPrice != "1000.00" || dress.Price != "1100.00" || !dress.IsAvailable {
		t.Fatalf("repriced line: %+v", dress)
	}
	if dress2.IsAvailable || *dress2.UnavailableReason != "out_of_stock" || b.Total != "2200.00" || b.Quantity != 2 {
		t.Fatalf("out-of-stock line: %+v, total %s", dress2, b.Total)
	}
	bs.exec("UPDATE products SET stock = 1 WHERE id = $1", bs.ids["DRESS"])
	b = basketOf(t, sh.do("GET", "/baskets/basket/", nil).must(t, 200))
	if b.Items[0].IsAvailable || *b.Items[0].UnavailableReason != "insufficient_stock" || !strings.Contains(b.Unavailable[0].Message, "Only 1 left") {
		t.Fatalf("line above the stock: %+v %+v", b.Items[0], b.Unavailable)
	}
	// Setting the quantity again accepts the new price.
	b = basketOf(t, sh.do("PUT", "/baskets/basket/", map[string]any{"product": bs.ids["DRESS"], "quantity": 1}).must(t, 200))
	if b.Items[0].PriceChanged || !b.Items[0].IsAvailable || b.Total != "1100.00" {
		t.Fatalf("after re-choosing: %+v total %s", b.Items[0], b.Total)
	}
}

func TestBasketMergeOnLogin(t *testing.T) {
	bs := newBasketStore(t, nil)
	dress, tee, last := bs.ids["DRESS"], bs.ids["TEE-A"], bs.ids["LAST"]

	// The customer has 2 dresses in their basket from another visit.
	phone := bs.shopper()
	phone.register("ada@example.com", "correct horse battery")
	phone.do("POST", "/baskets/basket/", map[string]any{"product": dress, "quantity": 2}).must(t, 200)

	// As a guest on a laptop they add 4 dresses (stock is 5), a t-shirt
	// and the last unit of LAST.
	laptop := bs.shopper()
	laptop.do("POST", "/baskets/basket/", map[string]any{"product": dress, "quantity": 4}).must(t, 200)
	laptop.do("POST", "/baskets/basket/", map[string]any{"product": tee, "quantity": 3}).must(t, 200)
	laptop.do("POST", "/baskets/basket/", map[string]any{"product": last, "quantity": 1}).must(t, 200)
	laptop.login("ada@example.com", "correct horse battery")

	want := map[string]int64{"DRESS": 5, "TEE-A": 3, "LAST": 1} // 2 + 4 capped at the stock of 5
	if got := basketOf(t, laptop.do("GET", "/baskets/basket/", nil).must(t, 200)).quantities(); !sameQuantities(got, want) {
		t.Fatalf("merged basket %v; want %v", got, want)
	}
	// Every device of the customer sees the same basket.
	if got := basketOf(t, phone.do("GET", "/baskets/basket/", nil).must(t, 200)).quantities(); !sameQuantities(got, want) {
		t.Fatalf("other device sees %v; want %v", got, want)
	}
	phone.do("PUT", "/baskets/basket/", map[string]any{"product": tee, "quantity": 1}).must(t, 200)
	if got := basketOf(t, laptop.do("GET", "/baskets/basket/", nil).must(t, 200)).quantities(); got["TEE-A"] != 1 {
		t.Fatalf("change on one device not seen on the other: %v", got)
	}
	// The guest basket is gone.
	var guests int
	if err := bs.db.QueryRow("SELECT COUNT(*) FROM baskets WHERE customer_id IS NULL").Scan(&guests); err != nil || guests != 0 {
		t.Fatalf("guest baskets left: %d, %v", guests, err)
	}

	// Logout starts an empty guest basket; logging in again brings the
	// customer's basket back.
	laptop.do("POST", "/users/logout/", url.Values{"csrfmiddlewaretoken": {laptop.cookie("csrftoken")}}).must(t, 200)
	if got := basketOf(t, laptop.do("GET", "/baskets/basket/", nil).must(t, 200)); len(got.Items) != 0 {
		t.Fatalf("after logout the basket holds %v", got.quantities())
	}
	laptop.login("ada@example.com", "correct horse battery")
	if got := basketOf(t, laptop.do("GET", "/baskets/basket/", nil).must(t, 200)).quantities(); got["DRESS"] != 5 {
		t.Fatalf("after logging in again: %v", got)
	}

	// A guest basket of a product that sold out meanwhile merges without
	// growing past the stock.
	other := bs.shopper()
	other.do("POST", "/baskets/basket/", map[string]any{"product": dress, "quantity": 3}).must(t, 200)
	bs.exec("UPDATE products SET stock = 4 WHERE id = $1", dress)
	other.login("ada@example.com", "correct horse battery")
	if got := basketOf(t, other.do("GET", "/baskets/basket/", nil).must(t, 200)).quantities(); got["DRESS"] != 5 {
		t.Fatalf("a line above the stock grew or shrank on merge: %v", got)
	}
}

func TestBasketConcurrentChanges(t *testing.T) {
	bs := newBasketStore(t, nil)
	tee, dress := bs.ids["TEE-A"], bs.ids["DRESS"]

	// post sends one basket write from a goroutine (no t.Fatal there).
	post := func(sh *shopper, body string) (int, error) {
		req, _ := http.NewRequestWithContext(context.Background(), "POST", bs.srv.URL+"/baskets/basket/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := sh.http.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	run := func(n int, sh *shopper, body string) (ok, refused int) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, err := post(sh, body)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					t.Error(err)
				case status == 200:
					ok++
				case status == 400:
					refused++
				default:
					t.Errorf("status %d", status)
				}
			}()
		}
		wg.Wait()
		return ok, refused
	}

	// Two tabs of one guest who has no basket yet: all first writes land
	// in one basket.
	sh := bs.shopper()
	sh.do("GET", "/baskets/basket/", nil).must(t, 200) // the tabs share the cookie
	const n = 24
	if ok, _ := run(n, sh, `{"product": `+strconv.FormatInt(tee, 10)+`, "quantity": 1}`); ok != n {
		t.Fatalf("%d of %d adds succeeded", ok, n)
	}
	if got := basketOf(t, sh.do("GET", "/baskets/basket/", nil).must(t, 200)).quantities(); got["TEE-A"] != n {
		t.Fatalf("after %d concurrent adds the basket holds %d", n, got["TEE-A"])
	}
	var baskets int
	if err := bs.db.QueryRow("SELECT COUNT(*) FROM baskets").Scan(&baskets); err != nil || baskets != 1 {
		t.Fatalf("%d baskets, %v; want 1", baskets, err)
	}

	// Racing past the stock: 5 units, 12 concurrent adds of one.
	ok, refused := run(12, sh, `{"product": `+strconv.FormatInt(dress, 10)+`, "quantity": 1}`)
	got := basketOf(t, sh.do("GET", "/baskets/basket/", nil).must(t, 200)).quantities()
	if ok != 5 || refused != 7 || got["DRESS"] != 5 {
		t.Fatalf("%d added, %d refused, basket holds %d; want 5, 7, 5", ok, refused, got["DRESS"])
	}
}

func TestBasketPromotions(t *testing.T) {
	now := time.Now().UTC()
	promotions := map[string]any{
		"vouchers": []any{
			map[string]any{"code": "WELCOME10", "type": "percent", "value": "10", "currency": "TRY", "min_basket": "500.00", "max_discount": "150.00"},
			map[string]any{"code": "FIFTY", "type": "amount", "value": "50.00", "currency": "TRY"},
			map[string]any{"code": "DRESSES20", "type": "percent", "value": "20", "categories": []string{"women"}},
			map[string]any{"code": "OLD", "type": "percent", "value": "5", "ends": now.Add(-time.Hour).Format(time.RFC3339)},
			map[string]any{"code": "SOON", "type": "percent", "value": "5", "starts": now.Add(time.Hour).Format(time.RFC3339)},
			map[string]any{"code": "ONCE", "type": "percent", "value": "5", "usage_limit": 1},
			map[string]any{"code": "MINE", "type": "percent", "value": "5", "per_customer_limit": 1},
		},
		"offers": []any{
			map[string]any{"slug": "3for2-tshirts", "label": "3 for 2 on t-shirts", "kind": "buy_x_pay_y", "buy": 3, "pay": 2, "categories": []string{"men-tshirts"}},
			map[string]any{"slug": "free-shipping-750", "kind": "free_shipping", "min_basket": map[string]any{"TRY": "750.00"}},
		},
	}
	bs := newBasketStore(t, promotions)
	sh := bs.shopper()
	add := func(sku string, q int) basketJSON {
		t.Helper()
		return basketOf(t, sh.do("POST", "/baskets/basket/", map[string]any{"product": bs.ids[sku], "quantity": q}).must(t, 200))
	}

	// Far from every offer (300.00 of 750.00, one t-shirt of three): no
	// upsell nags the shopper.
	b := add("TEE-A", 1)
	if len(b.Upsells) != 0 || len(b.UpsellMessages) != 0 {
		t.Fatalf("upsells far from any offer: %+v", b.UpsellMessages)
	}
	// Close below the free-shipping threshold: an upsell says how much is missing.
	b = add("TEE-A", 1)
	if b.Total != "600.00" || len(b.Upsells) != 2 || b.UpsellMessages[1] != "Add 150.00 more for free shipping." ||
		!strings.Contains(b.UpsellMessages[0], "3 for 2") {
		t.Fatalf("upsells: %+v", b.UpsellMessages)
	}
	// A third t-shirt (the cheaper TEE-B) is free, and free shipping applies.
	b = add("TEE-B", 1)
	if b.ProductAmount != "800.00" || b.DiscountTotal != "200.00" || b.Total != "600.00" {
		t.Fatalf("3 for 2: %+v", b)
	}
	if len(b.Discounts) != 1 || b.Discounts[0].Description != "3 for 2 on t-shirts" || b.Items[1].Discount != "200.00" ||
		len(b.Items[1].OfferBadges) != 1 || len(b.UpsellMessages) != 1 {
		t.Fatalf("discounts %+v items %+v upsells %v", b.Discounts, b.Items, b.UpsellMessages)
	}
	b = add("DRESS", 1) // 1800.00 of products, 200.00 off, 1600.00
	if b.Total != "1600.00" || len(b.Discounts) != 2 || b.Discounts[1].Description != "Free shipping over 750.00" {
		t.Fatalf("with free shipping: %+v", b)
	}

	patch := func(body map[string]any, status int) *response {
		t.Helper()
		return sh.do("PATCH", "/baskets/basket/", body).must(t, status)
	}
	// 10 % of 1600.00 is 160.00, capped at 150.00.
	b = basketOf(t, patch(map[string]any{"voucher_code": "welcome10"}, 200))
	if b.VoucherCode == nil || *b.VoucherCode != "WELCOME10" || b.DiscountTotal != "350.00" || b.Total != "1450.00" {
		t.Fatalf("WELCOME10: %+v", b)
	}
	// A voucher on a category (and its subcategories) takes 20 % of the dress.
	b = basketOf(t, patch(map[string]any{"voucher_code": "DRESSES20"}, 200))
	if b.DiscountTotal != "400.00" || b.Total != "1400.00" || b.Items[2].Discount != "200.00" {
		t.Fatalf("DRESSES20: %+v", b)
	}
	b = basketOf(t, patch(map[string]any{"voucher_code": "FIFTY"}, 200))
	if b.Total != "1550.00" {
		t.Fatalf("FIFTY: %+v", b)
	}
	b = basketOf(t, patch(map[string]any{"remove_voucher_code": true}, 200))
	if b.VoucherCode != nil || b.Total != "1600.00" {
		t.Fatalf("removed voucher: %+v", b)
	}

	// The voucher errors each say which rule failed, and change nothing.
	bs.exec("UPDATE vouchers SET used_count = 1 WHERE code = 'ONCE'")
	errorsByCode := []struct {
		body map[string]any
		says string
	}{
		{map[string]any{"voucher_code": "NOPE"}, "NOPE is not valid"},
		{map[string]any{"voucher_code": "OLD"}, "has expired"},
		{map[string]any{"voucher_code": "SOON"}, "not valid yet"},
		{map[string]any{"voucher_code": "ONCE"}, "reached its usage limit"},
	}
	for _, e := range errorsByCode {
		r := patch(e.body, 400)
		if msgs, _ := r.json()["voucher_code"].([]any); len(msgs) != 1 || !strings.Contains(msgs[0].(string), e.says) {
			t.Fatalf("%v: %s; want %q", e.body, r.body, e.says)
		}
	}
	sh.do("POST", "/users/activate-currency/", map[string]any{"currency": "USD"}).must(t, 200)
	if r := patch(map[string]any{"voucher_code": "FIFTY"}, 400); !strings.Contains(string(r.body), "not valid in USD") {
		t.Fatalf("FIFTY in USD: %s", r.body)
	}
	sh.do("POST", "/users/activate-currency/", map[string]any{"currency": "TRY"}).must(t, 200)

	// Minimum basket and category restriction are checked on the basket.
	other := bs.shopper()
	other.do("POST", "/baskets/basket/", map[string]any{"product": bs.ids["LAST"], "quantity": 1}).must(t, 200)
	if r := other.do("PATCH", "/baskets/basket/", map[string]any{"voucher_code": "WELCOME10"}).must(t, 400); !strings.Contains(string(r.body), "at least 500.00") {
		t.Fatalf("minimum basket: %s", r.body)
	}
	if r := other.do("PATCH", "/baskets/basket/", map[string]any{"voucher_code": "DRESSES20"}).must(t, 400); !strings.Contains(string(r.body), "does not apply") {
		t.Fatalf("category restriction: %s", r.body)
	}

	// A voucher whose minimum is no longer reached stays on the basket,
	// gives nothing and says what is missing.
	patch(map[string]any{"voucher_code": "WELCOME10"}, 200)
	sh.do("PUT", "/baskets/basket/", map[string]any{"product": bs.ids["DRESS"], "quantity": 0}).must(t, 200)
	b = basketOf(t, sh.do("PUT", "/baskets/basket/", map[string]any{"product": bs.ids["TEE-A"], "quantity": 1}).must(t, 200))
	if b.Total != "450.00" || b.VoucherMsg != nil { // 500.00 reaches the minimum exactly
		t.Fatalf("voucher at its minimum: %+v", b)
	}
	b = basketOf(t, sh.do("PUT", "/baskets/basket/", map[string]any{"product": bs.ids["TEE-B"], "quantity": 0}).must(t, 200))
	if b.VoucherCode == nil || b.VoucherMsg == nil || !strings.Contains(*b.VoucherMsg, "at least 500.00") || b.Total != "300.00" ||
		!slices.Contains(b.UpsellMessages, "Add 200.00 more to use voucher WELCOME10.") {
		t.Fatalf("voucher below its minimum: %+v", b)
	}

	// Per-customer limit: a customer who used MINE once cannot apply it again.
	cust := bs.shopper()
	cust.register("grace@example.com", "correct horse battery")
	cust.do("POST", "/baskets/basket/", map[string]any{"product": bs.ids["DRESS"], "quantity": 1}).must(t, 200)
	cust.do("PATCH", "/baskets/basket/", map[string]any{"voucher_code": "MINE"}).must(t, 200)
	var customerID int64
	if err := bs.db.QueryRow("SELECT id FROM customers WHERE email_lower = 'grace@example.com'").Scan(&customerID); err != nil {
		t.Fatal(err)
	}
	if err := bs.db.Tx(context.Background(), func(tx *sql.Tx) error {
		return bs.api.promotions.MarkUsed(context.Background(), tx, "MINE", customerID, "grace@example.com", "order-1")
	}); err != nil {
		t.Fatal(err)
	}
	b = basketOf(t, cust.do("GET", "/baskets/basket/", nil).must(t, 200))
	if b.VoucherMsg == nil || !strings.Contains(*b.VoucherMsg, "already used") || b.Total != "1000.00" {
		t.Fatalf("used voucher still applies: %+v", b)
	}
	if r := cust.do("PATCH", "/baskets/basket/", map[string]any{"voucher_code": "MINE"}).must(t, 400); !strings.Contains(string(r.body), "already used") {
		t.Fatalf("per-customer limit: %s", r.body)
	}
}

// Quantities at the column's limit get a 400, never an overflow.
func TestBasketHugeQuantities(t *testing.T) {
	bs := newBasketStore(t, nil)
	sh := bs.shopper()
	tee := bs.ids["TEE-A"]
	bs.exec("UPDATE products SET stock = 2147483647 WHERE id = $1", tee)
	sh.do("POST", "/baskets/basket/", map[string]any{"product": tee, "quantity": 2147483647}).must(t, 200)
	r := sh.do("POST", "/baskets/basket/", map[string]any{"product": tee, "quantity": 2147483647}).must(t, 400)
	if !strings.Contains(string(r.body), "already holds 2147483647") {
		t.Fatalf("adding past the limit: %s", r.body)
	}
	sh.do("POST", "/baskets/basket/", map[string]any{"product": tee, "quantity": "99999999999999999999"}).must(t, 400)
	sh.do("PUT", "/baskets/basket/", map[string]any{"product": tee, "quantity": 9223372036854775807}).must(t, 400)
	if got := basketOf(t, sh.do("GET", "/baskets/basket/", nil).must(t, 200)).quantities(); got["TEE-A"] != 2147483647 {
		t.Fatalf("basket holds %v", got)
	}
}

// A guest's basket is keyed by the session that created it, not by the
// session's data: a concurrent write of other session data loses nothing,
// and the guest keeps one basket.
func TestBasketSurvivesSessionDataWrites(t *testing.T) {
	bs := newBasketStore(t, nil)
	sh := bs.shopper()
	sh.do("POST", "/baskets/basket/", map[string]any{"product": bs.ids["DRESS"], "quantity": 1}).must(t, 200)
	bs.exec("UPDATE sessions SET data = '{}'")
	if got := basketOf(t, sh.do("GET", "/baskets/basket/", nil).must(t, 200)).quantities(); got["DRESS"] != 1 {
		t.Fatalf("basket after its session's data was rewritten: %v", got)
	}
	sh.do("POST", "/baskets/basket/", map[string]any{"product": bs.ids["DRESS"], "quantity": 1}).must(t, 200)
	var baskets int
	if err := bs.db.QueryRow("SELECT COUNT(*) FROM baskets").Scan(&baskets); err != nil || baskets != 1 {
		t.Fatalf("%d baskets; want 1", baskets)
	}
}

// A storefront names the currency and language in every request's headers,
// so a guest's basket is changed without reading the session: the row is
// still kept (with its data: a chosen currency survives), a refused first
// add still leaves nothing, and login still takes the basket along.
func TestBasketGuestKnownByID(t *testing.T) {
	bs := newBasketStore(t, nil)
	storefront := []string{"X-Currency", "try", "Accept-Language", "tr-TR,tr;q=0.9"}
	count := func(table string) (n int) {
		if err := bs.db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	sh := bs.shopper()
	sh.do("GET", "/csrf_token/", nil).must(t, 200)
	sh.do("POST", "/baskets/basket/", map[string]any{"product": bs.ids["DRESS"], "quantity": 1000}, storefront...).must(t, 400)
	if count("baskets") != 0 || count("sessions") != 0 {
		t.Fatal("a refused first add left a basket or a session row")
	}
	sh.do("POST", "/users/activate-currency/", map[string]any{"currency": "USD"}).must(t, 200)
	got := basketOf(t, sh.do("POST", "/baskets/basket/", map[string]any{"product": bs.ids["DRESS"], "quantity": 2}, storefront...).must(t, 200))
	if got.Items[0].Currency != "try" || got.quantities()["DRESS"] != 2 {
		t.Fatalf("the storefront's add: %+v", got)
	}
	if got := basketOf(t, sh.do("GET", "/baskets/basket/", nil).must(t, 200)); got.Items[0].Currency != "usd" || got.quantities()["DRESS"] != 2 {
		t.Fatalf("without the headers the session's currency and the basket: %+v", got)
	}
	sh.register("gul@example.com", "correct horse battery")
	if got := basketOf(t, sh.do("GET", "/baskets/basket/", nil, storefront...).must(t, 200)).quantities(); got["DRESS"] != 2 {
		t.Fatalf("the customer's basket after login: %v", got)
	}
}

// A product deleted by hand takes its basket lines with it (a foreign key
// on SQLite, a trigger on PostgreSQL), and the basket shows the rest.
func TestBasketLinesOfDeletedProduct(t *testing.T) {
	bs := newBasketStore(t, nil)
	sh := bs.shopper()
	for _, sku := range []string{"DRESS", "DRESS2"} {
		sh.do("POST", "/baskets/basket/", map[string]any{"product": bs.ids[sku], "quantity": 1}).must(t, 200)
	}
	bs.exec("DELETE FROM product_prices WHERE product_id = $1", bs.ids["DRESS2"])
	bs.exec("DELETE FROM product_categories WHERE product_id = $1", bs.ids["DRESS2"])
	bs.exec("DELETE FROM products WHERE id = $1", bs.ids["DRESS2"])
	var lines int
	if err := bs.db.QueryRow("SELECT COUNT(*) FROM basket_items WHERE product_id = $1", bs.ids["DRESS2"]).Scan(&lines); err != nil || lines != 0 {
		t.Fatalf("%d lines of the deleted product left (%v)", lines, err)
	}
	if got := basketOf(t, sh.do("GET", "/baskets/basket/", nil).must(t, 200)).quantities(); len(got) != 1 || got["DRESS"] != 1 {
		t.Fatalf("basket after the deletion: %v", got)
	}
}

// A guest basket whose session is gone is purged; a customer's is kept.
func TestBasketPurgeAbandoned(t *testing.T) {
	bs := newBasketStore(t, nil)
	guest, kept, customer := bs.shopper(), bs.shopper(), bs.shopper()
	guest.do("POST", "/baskets/basket/", map[string]any{"product": bs.ids["DRESS"], "quantity": 1}).must(t, 200)
	kept.do("POST", "/baskets/basket/", map[string]any{"product": bs.ids["DRESS"], "quantity": 1}).must(t, 200)
	customer.register("lin@example.com", "correct horse battery")
	customer.do("POST", "/baskets/basket/", map[string]any{"product": bs.ids["DRESS"], "quantity": 1}).must(t, 200)
	bs.exec("UPDATE baskets SET updated_at = $1", time.Now().UTC().Add(-2*time.Hour))
	bs.exec("DELETE FROM sessions WHERE id = $1", guest.cookie("osessionid"))
	bs.exec("DELETE FROM sessions WHERE customer_id IS NOT NULL")

	n, err := basket.PurgeAbandoned(context.Background(), bs.db)
	if err != nil || n != 1 {
		t.Fatalf("purged %d, %v; want the one guest basket without a session", n, err)
	}
	if got := basketOf(t, kept.do("GET", "/baskets/basket/", nil).must(t, 200)).quantities(); got["DRESS"] != 1 {
		t.Fatalf("a live guest basket was purged: %v", got)
	}
	var customers int
	if err := bs.db.QueryRow("SELECT COUNT(*) FROM baskets WHERE customer_id IS NOT NULL").Scan(&customers); err != nil || customers != 1 {
		t.Fatalf("%d customer baskets left, %v", customers, err)
	}
}

// The guest's voucher follows the lines into the customer's basket when
// the customer had none.
func TestBasketMergeKeepsVoucher(t *testing.T) {
	bs := newBasketStore(t, allPromotions)
	customer := bs.shopper()
	customer.register("kim@example.com", "correct horse battery")
	customer.do("POST", "/users/logout/", url.Values{"csrfmiddlewaretoken": {customer.cookie("csrftoken")}}).must(t, 200)

	customer.do("POST", "/baskets/basket/", map[string]any{"product": bs.ids["DRESS"], "quantity": 1}).must(t, 200)
	customer.do("PATCH", "/baskets/basket/", map[string]any{"voucher_code": "TENPCT"}).must(t, 200)
	customer.login("kim@example.com", "correct horse battery")
	b := basketOf(t, customer.do("GET", "/baskets/basket/", nil).must(t, 200))
	// 1000.00 − 15 % offer (150.00) − 10.5 % voucher on 850.00 (89.25)
	if b.VoucherCode == nil || *b.VoucherCode != "TENPCT" || b.Total != "760.75" {
		t.Fatalf("merged basket: %+v", b)
	}
}

// A basket prices with the offers it last read only while no offer
// changed: any change to offers, their categories or thresholds, even by
// hand in SQL, shows on the next request.
func TestBasketFollowsOfferChanges(t *testing.T) {
	bs := newBasketStore(t, map[string]any{"offers": []any{
		map[string]any{"slug": "10-off-women", "label": "Women", "kind": "percent", "value": "10", "categories": []string{"women"}},
		map[string]any{"slug": "free-shipping", "kind": "free_shipping", "min_basket": map[string]any{"TRY": "1300.00"}},
	}})
	sh := bs.shopper()
	sh.do("POST", "/baskets/basket/", map[string]any{"product": bs.ids["DRESS"], "quantity": 1}).must(t, 200)
	total := func(want string) {
		t.Helper()
		if b := basketOf(t, sh.do("GET", "/baskets/basket/", nil).must(t, 200)); b.Total != want {
			t.Fatalf("total %s, want %s (%+v)", b.Total, want, b.Discounts)
		}
	}
	if b := basketOf(t, sh.do("POST", "/baskets/basket/", map[string]any{"product": bs.ids["TEE-A"], "quantity": 1}).must(t, 200)); b.Total != "1200.00" {
		t.Fatalf("10 %% off the dress: total %s", b.Total)
	}
	bs.exec("UPDATE offers SET active = FALSE WHERE slug = '10-off-women'")
	total("1300.00")
	bs.exec("UPDATE offers SET active = TRUE WHERE slug = '10-off-women'")
	total("1200.00")
	// Without its category the offer is store-wide: the t-shirt too.
	bs.exec("DELETE FROM offer_categories")
	total("1170.00")
	if b := basketOf(t, sh.do("GET", "/baskets/basket/", nil).must(t, 200)); len(b.UpsellMessages) == 0 {
		t.Fatalf("no upsell for free shipping: %+v", b)
	}
	bs.exec("DELETE FROM offer_thresholds")
	if b := basketOf(t, sh.do("GET", "/baskets/basket/", nil).must(t, 200)); len(b.UpsellMessages) != 0 {
		t.Fatalf("upsell after the threshold went: %v", b.UpsellMessages)
	}
}
