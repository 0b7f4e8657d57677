package checkout

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/address"
	"github.com/vitrin/vitrin/internal/basket"
	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/mail"
	"github.com/vitrin/vitrin/internal/order"
	"github.com/vitrin/vitrin/internal/payment"
	"github.com/vitrin/vitrin/internal/promotion"
	"github.com/vitrin/vitrin/internal/session"
	"github.com/vitrin/vitrin/internal/storeimport"
	"github.com/vitrin/vitrin/internal/testdb"
	"github.com/vitrin/vitrin/internal/token"
)

// store is a checkout Service over a fresh database holding a small
// store: two products, home delivery and store pickup, standard shipping
// to Türkiye, card (sandbox), transfer and pay on delivery.
type store struct {
	t        *testing.T
	db       *database.DB
	svc      *Service
	sessions *session.Store
	baskets  *basket.Service
	gateway  *gatewayProbe
	pk       map[string]int64 // "sku:TEE", "payment:card", "city:İstanbul", ...
}

// gatewayProbe is the sandbox with a hook run after each charge (a test
// cancels the shopper's request there) and failures a test may set: an
// answer lost after the charge, a gateway that cannot look payments up.
type gatewayProbe struct {
	*payment.Sandbox
	afterCharge func()
	lostAnswer  error
	lookupErr   error
}

func (g *gatewayProbe) Charge(ctx context.Context, c payment.Charge) (payment.Payment, error) {
	p, err := g.Sandbox.Charge(ctx, c)
	if err == nil && g.afterCharge != nil {
		g.afterCharge()
	}
	if err == nil && g.lostAnswer != nil {
		return payment.Payment{}, g.lostAnswer
	}
	return p, err
}

func (g *gatewayProbe) Lookup(ctx context.Context, key string) (payment.Payment, bool, error) {
	if g.lookupErr != nil {
		return payment.Payment{}, false, g.lookupErr
	}
	return g.Sandbox.Lookup(ctx, key)
}

func storeFixture() map[string]any {
	product := func(sku, price string, stock int) map[string]any {
		return map[string]any{"sku": sku, "base_code": sku, "name": "Product " + sku, "slug": strings.ToLower(sku),
			"active": true, "categories": []string{"men"}, "tax_rate": "20", "stock": stock, "created": "2026-01-05T10:00:00Z",
			"prices": map[string]any{"TRY": map[string]any{"price": price, "retail_price": price}}}
	}
	return map[string]any{
		"format": "vitrin.store/1",
		"store": map[string]any{"name": "Test", "default_currency": "TRY", "currencies": []string{"TRY"},
			"default_language": "tr-tr", "languages": []string{"tr-tr"}, "country": "tr"},
		"categories": []any{map[string]any{"code": "men", "parent": nil, "slug": "men", "name": "Men"}},
		"products":   []any{product("TEE", "300.00", 100), product("LAST", "100.00", 1)},
		"promotions": map[string]any{"vouchers": []any{map[string]any{"code": "ONCE20", "type": "amount",
			"value": "20.00", "currency": "TRY", "usage_limit": 1}}},
		"geography": map[string]any{"countries": []any{
			map[string]any{"code": "tr", "name": "Türkiye", "cities": []any{map[string]any{"name": "İstanbul"}}},
			map[string]any{"code": "de", "name": "Germany", "cities": []any{map[string]any{"name": "Berlin"}}}}},
		"retail_stores": []any{map[string]any{"code": "moda", "name": "Moda Store", "address": "Moda Cad. 10",
			"country": "tr", "city": "İstanbul", "store_hours": []any{}}},
		"delivery_options": []any{
			map[string]any{"slug": "home", "name": "Home", "type": "customer", "sort_order": 1},
			map[string]any{"slug": "store", "name": "Store pickup", "type": "retail_store", "sort_order": 2}},
		"shipping_options": []any{map[string]any{"slug": "standard", "name": "Standard", "countries": []string{"tr"},
			"prices": map[string]string{"TRY": "49.90"}}},
		"payment_options": []any{
			map[string]any{"slug": "card", "name": "Card", "type": "credit_card", "gateway": "sandbox",
				"installments": []any{map[string]any{"count": 1, "interest_rate": "0"}, map[string]any{"count": 3, "interest_rate": "4.5"}}},
			map[string]any{"slug": "transfer", "name": "Transfer", "type": "funds_transfer"},
			map[string]any{"slug": "pod", "name": "Pay on delivery", "type": "pay_on_delivery",
				"pay_on_delivery_fee": map[string]string{"TRY": "15.00"}}},
		"bank_accounts": []any{map[string]any{"iban": "TR330006100519786457841326", "bank": "Example Bank", "holder_name": "Vitrin"}},
	}
}

func newStore(t *testing.T) *store {
	t.Helper()
	return newStoreOf(t, storeFixture())
}

// newStoreOf is newStore importing doc, the fixture changed.
func newStoreOf(t *testing.T, doc map[string]any) *store {
	t.Helper()
	db := testdb.Open(t)
	raw, _ := json.Marshal(doc)
	if _, err := storeimport.Run(context.Background(), db, strings.NewReader(string(raw)), storeimport.Options{}); err != nil {
		t.Fatalf("import: %v", err)
	}
	s := &store{t: t, db: db, sessions: session.NewStore(db, "secret", time.Hour), pk: map[string]int64{},
		gateway: &gatewayProbe{Sandbox: payment.NewSandbox(db)}}
	s.baskets = basket.New(db, s.sessions, promotion.NewService(db))
	gateways := map[string]payment.Gateway{"sandbox": s.gateway}
	s.svc = New(db, s.sessions, s.baskets, address.New(db), catalog.New(db), gateways,
		mail.NewMailer(db, mail.Settings{}), order.NewRefunder(db, gateways), nil)
	for prefix, query := range map[string]string{
		"sku:":      "SELECT id, sku FROM products",
		"delivery:": "SELECT id, slug FROM delivery_options",
		"shipping:": "SELECT id, slug FROM shipping_options",
		"payment:":  "SELECT id, slug FROM payment_options",
		"bank:":     "SELECT id, iban FROM bank_accounts",
		"country:":  "SELECT id, code FROM countries",
		"city:":     "SELECT id, name FROM cities",
		"store:":    "SELECT id, code FROM retail_stores",
	} {
		rows, err := db.Query(query)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				t.Fatal(err)
			}
			s.pk[prefix+name] = id
		}
		rows.Close()
	}
	return s
}

// id is a fixture row's pk as a form value.
func (s *store) id(key string) string {
	id, ok := s.pk[key]
	if !ok {
		s.t.Fatalf("fixture has no %s", key)
	}
	return strconv.FormatInt(id, 10)
}

// form is a submitted page: field, value, field, value, ...
type form map[string]string

func (f form) Get(key string) string { return f[key] }
func (f form) Has(key string) bool   { _, ok := f[key]; return ok }

func fields(kv ...string) form {
	f := form{}
	for i := 0; i+1 < len(kv); i += 2 {
		f[kv[i]] = kv[i+1]
	}
	return f
}

// guest is a guest shopper with quantity of sku in the basket and, when
// withAddress, a home address in İstanbul.
func (s *store) guest(sku string, quantity int64, withAddress bool) (Shopper, int64) {
	s.t.Helper()
	ctx := context.Background()
	sh := Shopper{Sess: s.sessions.New(), Owner: address.Owner{GuestKey: token.New(16)}, Currency: "TRY", Language: "tr-tr",
		RemoteAddr: "127.0.0.1"}
	if err := s.sessions.Save(ctx, s.db, sh.Sess); err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.baskets.Add(ctx, sh.Sess, "TRY", basket.Change{ProductID: s.pk["sku:"+sku], Quantity: quantity}); err != nil {
		s.t.Fatal(err)
	}
	if !withAddress {
		return sh, 0
	}
	a, err := s.svc.addresses.Create(ctx, sh.Owner, address.Fields{Title: "Home", FirstName: "Ada", LastName: "Lovelace",
		Phone: "05551112233", Country: s.pk["country:tr"], City: s.pk["city:İstanbul"], Line: "Moda Cad. 1"})
	if err != nil {
		s.t.Fatal(err)
	}
	return sh, a.ID
}

// submit posts one page and returns the answer.
func (s *store) submit(sh Shopper, page string, kv ...string) *Result {
	s.t.Helper()
	res, err := s.svc.Handle(context.Background(), sh, page, true, fields(kv...))
	if err != nil {
		s.t.Fatalf("%s: %v", page, err)
	}
	return res
}

// shown is the page an answer shows.
func shown(res *Result) string { return res.Contexts[len(res.Contexts)-1].PageName }

// expect submits a page and checks the status and the page shown next.
func (s *store) expect(sh Shopper, status int, next, page string, kv ...string) *Result {
	s.t.Helper()
	res := s.submit(sh, page, kv...)
	if res.Status != status || shown(res) != next {
		s.t.Fatalf("%s: %d %s, want %d %s; errors %v", page, res.Status, shown(res), status, next, res.Errors)
	}
	return res
}

// toPayment walks a guest through identity, delivery, address and
// shipping up to the payment page.
func (s *store) toPayment(sh Shopper, addr int64) {
	s.t.Helper()
	a := strconv.FormatInt(addr, 10)
	s.expect(sh, 200, DeliveryPage, IndexPage, "user_email", "ada@example.com", "phone_number", "05551112233")
	s.expect(sh, 200, AddressPage, DeliveryPage, "delivery_option", s.id("delivery:home"))
	s.expect(sh, 200, ShippingPage, AddressPage, "shipping_address", a, "billing_address", a)
	s.expect(sh, 200, PaymentPage, ShippingPage, "shipping_option", s.id("shipping:standard"))
}

// toCard goes on from the payment page to the card page.
func (s *store) toCard(sh Shopper) {
	s.t.Helper()
	s.expect(sh, 200, BinPage, PaymentPage, "payment_option", s.id("payment:card"))
	s.expect(sh, 200, InstallmentPage, BinPage, "bin_number", "424242")
	s.expect(sh, 200, CardPage, InstallmentPage, "installment", "1")
}

// card is the card page's form with number.
func card(number string, threeD bool) []string {
	use := "0"
	if threeD {
		use = "1"
	}
	return []string{"agreement", "1", "use_three_d", use, "card_holder", "Ada Lovelace", "card_number", number,
		"card_month", "12", "card_year", "2040", "card_cvv", "123"}
}

// count runs a COUNT query.
func (s *store) count(query string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.db.QueryRow(query, args...).Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}

func (s *store) exec(query string, args ...any) {
	s.t.Helper()
	if _, err := s.db.Exec(query, args...); err != nil {
		s.t.Fatal(err)
	}
}

// state is the shopper's stored checkout.
func (s *store) state(sh Shopper) *State {
	s.t.Helper()
	st, err := s.svc.load(context.Background(), s.db, sh.Sess.Get(SessionKey), "")
	if err != nil {
		s.t.Fatal(err)
	}
	return st
}
