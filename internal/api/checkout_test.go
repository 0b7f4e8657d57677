package api

import (
	"fmt"
	"mime/multipart"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/vitrin/vitrin/internal/config"
)

// checkoutStore is the basket fixture plus geography and the checkout
// sections of the import: home delivery and store pickup, standard
// shipping to Türkiye (49.90, free above 750), express, international to
// Germany, card with installments, funds transfer, pay on delivery (15.00).
type checkoutStore struct {
	*basketStore
	pk map[string]int64 // "shipping:standard", "payment:card", "city:İstanbul", ...
}

// checkoutFixture is the import document of checkoutStore.
func checkoutFixture() map[string]any {
	doc := basketFixture(map[string]any{"vouchers": []any{
		map[string]any{"code": "ONCE20", "type": "amount", "value": "20.00", "currency": "TRY", "usage_limit": 1},
		map[string]any{"code": "EACH10", "type": "amount", "value": "10.00", "currency": "TRY", "per_customer_limit": 1}}})
	doc["geography"] = map[string]any{"countries": []any{
		map[string]any{"code": "tr", "name": "Türkiye", "cities": []any{
			map[string]any{"name": "İstanbul", "townships": []any{map[string]any{"name": "Kadıköy", "districts": []any{map[string]any{"name": "Moda"}}}}},
			map[string]any{"name": "Ankara", "townships": []any{map[string]any{"name": "Çankaya"}}},
		}},
		map[string]any{"code": "de", "name": "Germany", "cities": []any{map[string]any{"name": "Berlin"}}},
	}}
	doc["retail_stores"] = []any{map[string]any{"code": "moda", "name": "Moda Store", "address": "Moda Cad. 10",
		"country": "tr", "city": "İstanbul", "township": "Kadıköy", "store_hours": []any{}}}
	doc["delivery_options"] = []any{
		map[string]any{"slug": "home", "name": "Home", "type": "customer", "sort_order": 1},
		map[string]any{"slug": "store", "name": "Store pickup", "type": "retail_store", "sort_order": 2}}
	doc["shipping_options"] = []any{
		map[string]any{"slug": "standard", "name": "Standard", "countries": []string{"tr"}, "prices": map[string]string{"TRY": "49.90"}, "free_above": map[string]string{"TRY": "750.00"}},
		map[string]any{"slug": "express", "name": "Express", "countries": []string{"tr"}, "prices": map[string]string{"TRY": "99.90"}},
		map[string]any{"slug": "international", "name": "International", "countries": []string{"de"}, "prices": map[string]string{"TRY": "599.90"}}}
	doc["payment_options"] = []any{
		map[string]any{"slug": "card", "name": "Card", "type": "credit_card", "gateway": "sandbox",
			"installments": []any{map[string]any{"count": 1, "interest_rate": "0"}, map[string]any{"count": 3, "interest_rate": "4.5"}}},
		map[string]any{"slug": "transfer", "name": "Transfer", "type": "funds_transfer"},
		map[string]any{"slug": "pod", "name": "Pay on delivery", "type": "pay_on_delivery", "pay_on_delivery_fee": map[string]string{"TRY": "15.00"}},
		map[string]any{"slug": "hosted", "name": "Pay on the sandbox's page", "type": "redirection", "gateway": "sandbox"}}
	doc["bank_accounts"] = []any{map[string]any{"iban": "TR330006100519786457841326", "bank": "Example Bank", "holder_name": "Vitrin"}}
	doc["cancellation_reasons"] = []any{map[string]any{"code": "changed-mind", "subject": "I changed my mind", "cancellation_type": "cancel"}}
	return doc
}

func newCheckoutStore(t *testing.T, configure ...func(*config.Config)) *checkoutStore {
	t.Helper()
	return checkoutStoreOn(t, newTestStore(t, configure...))
}

// checkoutStoreOn imports the checkout fixture into ts.
func checkoutStoreOn(t testing.TB, ts *testStore) *checkoutStore {
	t.Helper()
	return checkoutStoreOf(t, ts, checkoutFixture())
}

// checkoutStoreOf imports doc, the checkout fixture changed, into ts.
func checkoutStoreOf(t testing.TB, ts *testStore, doc map[string]any) *checkoutStore {
	t.Helper()
	ts.importStore(doc)
	bs := &basketStore{testStore: ts, ids: map[string]int64{}}
	cs := &checkoutStore{basketStore: bs, pk: map[string]int64{}}
	for _, q := range []struct{ prefix, query string }{
		{"sku:", "SELECT id, sku FROM products"},
		{"delivery:", "SELECT id, slug FROM delivery_options"},
		{"shipping:", "SELECT id, slug FROM shipping_options"},
		{"payment:", "SELECT id, slug FROM payment_options"},
		{"bank:", "SELECT id, iban FROM bank_accounts"},
		{"reason:", "SELECT id, code FROM cancellation_reasons"},
		{"country:", "SELECT id, code FROM countries"},
		{"city:", "SELECT id, name FROM cities"},
		{"township:", "SELECT id, name FROM townships"},
		{"district:", "SELECT id, name FROM districts"},
		{"store:", "SELECT id, code FROM retail_stores"},
	} {
		rows, err := ts.db.Query(q.query)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				t.Fatal(err)
			}
			cs.pk[q.prefix+name] = id
			if q.prefix == "sku:" {
				bs.ids[name] = id
			}
		}
		rows.Close()
	}
	return cs
}

func (cs *checkoutStore) id(key string) string {
	id, ok := cs.pk[key]
	if !ok {
		cs.t.Fatalf("fixture has no %s", key)
	}
	return fmt.Sprint(id)
}

// step posts one checkout page as the real client does: a FormData body
// (multipart/form-data) in which, like its proxy, empty fields are left out.
func step(sh *shopper, page string, fields ...string) *response {
	sh.t.Helper()
	var body strings.Builder
	form := multipart.NewWriter(&body)
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i+1] == "" {
			continue
		}
		if err := form.WriteField(fields[i], fields[i+1]); err != nil {
			sh.t.Fatal(err)
		}
	}
	if err := form.Close(); err != nil {
		sh.t.Fatal(err)
	}
	return sh.do("POST", "/orders/checkout/?page="+page, body.String(), "Content-Type", form.FormDataContentType())
}

type checkoutJSON struct {
	PreOrder    map[string]any `json:"pre_order"`
	ContextList []struct {
		PageName    string         `json:"page_name"`
		PageContext map[string]any `json:"page_context"`
	} `json:"context_list"`
	Errors       map[string]any `json:"errors"`
	TemplateName string         `json:"template_name"`
	RedirectURL  *string        `json:"redirect_url"`
}

func checkoutOf(t *testing.T, r *response) checkoutJSON {
	t.Helper()
	var c checkoutJSON
	r.decode(t, &c)
	if len(c.ContextList) == 0 || c.TemplateName != "orders/checkout.html" || c.PreOrder == nil {
		t.Fatalf("not a checkout answer: %s", r.body)
	}
	return c
}

// nextPage asserts the page the answer sends the client to.
func nextPage(t *testing.T, r *response, want string) checkoutJSON {
	t.Helper()
	c := checkoutOf(t, r)
	if got := c.ContextList[len(c.ContextList)-1].PageName; got != want {
		t.Fatalf("%s: next page %s, want %s; errors %v", r.Request.URL, got, want, c.Errors)
	}
	return c
}

// buyer is a shopper with a basket, at the payment step with a home
// address in Kadıköy and standard shipping.
func (cs *checkoutStore) buyer(t *testing.T, guest bool, email, sku string, quantity int) *shopper {
	t.Helper()
	sh := cs.shopper()
	if guest {
		sh.do("GET", "/csrf_token/", nil).must(t, 200)
	} else {
		sh.register(email, "correct horse 1")
	}
	sh.do("POST", "/baskets/basket/", map[string]any{"product": cs.ids[sku], "quantity": quantity}).must(t, 200)
	first := nextPage(t, sh.do("GET", "/orders/checkout/", nil).must(t, 200), map[bool]string{true: "IndexPage", false: "DeliveryOptionSelectionPage"}[guest])
	_ = first
	if guest {
		nextPage(t, step(sh, "IndexPage", "user_email", email, "phone_number", "05551112233").must(t, 200), "DeliveryOptionSelectionPage")
	}
	c := nextPage(t, step(sh, "DeliveryOptionSelectionPage", "delivery_option", cs.id("delivery:home")).must(t, 200), "AddressSelectionPage")
	if addrs := c.ContextList[0].PageContext["addresses"].([]any); len(addrs) != 0 {
		t.Fatalf("a new shopper has addresses: %v", addrs)
	}
	addr := sh.do("POST", "/address/", map[string]any{"title": "Home", "first_name": "Ada", "last_name": "Lovelace",
		"phone_number": "05551112233", "country": cs.id("country:tr"), "city": cs.id("city:İstanbul"),
		"township": cs.id("township:Kadıköy"), "district": cs.id("district:Moda"), "line": "Moda Cad. 1"}).must(t, 201).json()
	pk := fmt.Sprint(addr["pk"])
	c = nextPage(t, step(sh, "AddressSelectionPage", "shipping_address", pk, "billing_address", pk).must(t, 200), "ShippingOptionSelectionPage")
	offered := c.ContextList[0].PageContext["shipping_options"].([]any)
	if len(offered) != 2 {
		t.Fatalf("shipping options for Türkiye: %v", offered)
	}
	nextPage(t, step(sh, "ShippingOptionSelectionPage", "shipping_option", cs.id("shipping:standard")).must(t, 200), "PaymentOptionSelectionPage")
	return sh
}

var completedURL = regexp.MustCompile(`^/orders/completed/(\w+)/$`)

// placed asserts a ThankYouPage answer and returns the order's token.
func placed(t *testing.T, r *response) (orderID int64, token string) {
	t.Helper()
	c := nextPage(t, r.must(t, 200), "ThankYouPage")
	ctx := c.ContextList[0].PageContext
	m := completedURL.FindStringSubmatch(fmt.Sprint(ctx["redirect_url"]))
	if m == nil || m[1] != ctx["token"] {
		t.Fatalf("thank-you context: %v", ctx)
	}
	return int64(ctx["order_id"].(float64)), m[1]
}

// payByCard goes through bin, installments and the card page.
func payByCard(t *testing.T, cs *checkoutStore, sh *shopper, number string, installments int, threeD bool) *response {
	t.Helper()
	nextPage(t, step(sh, "PaymentOptionSelectionPage", "payment_option", cs.id("payment:card")).must(t, 200), "BinNumberPage")
	c := nextPage(t, step(sh, "BinNumberPage", "bin_number", strings.ReplaceAll(number, " ", "")[:6]).must(t, 200), "InstallmentSelectionPage")
	if n := len(c.ContextList[0].PageContext["installments"].([]any)); n != 2 {
		t.Fatalf("installments: %v", c.ContextList[0].PageContext)
	}
	nextPage(t, step(sh, "InstallmentSelectionPage", "installment", fmt.Sprint(installments)).must(t, 200), "CreditCardConfirmationPage")
	use3D := "0"
	if threeD {
		use3D = "1"
	}
	return step(sh, "CreditCardConfirmationPage", "agreement", "1", "use_three_d", use3D, "card_holder", "Ada Lovelace",
		"card_number", number, "card_month", "12", "card_year", "2040", "card_cvv", "123")
}

var formField = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
var formAction = regexp.MustCompile(`action="([^"]*)"`)

func htmlForm(t *testing.T, body []byte) (string, url.Values) {
	t.Helper()
	m := formAction.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no form in %s", body)
	}
	fields := url.Values{}
	for _, f := range formField.FindAllSubmatch(body, -1) {
		fields.Set(string(f[1]), string(f[2]))
	}
	return strings.ReplaceAll(string(m[1]), "&amp;", "&"), fields
}

// threeD walks the 3-D Secure round trip: Vitrin's redirect page, the
// sandbox bank, and the storefront forwarding the bank's post with the
// session cookie only.
func threeD(t *testing.T, sh *shopper, confirm *response, outcome string) *response {
	t.Helper()
	c := nextPage(t, confirm.must(t, 200), "CreditCardThreeDSecurePage")
	if c.ContextList[0].PageContext["redirect_url"] != "/orders/redirect-three-d/" {
		t.Fatalf("3-D context: %v", c.ContextList[0].PageContext)
	}
	redirect := sh.do("GET", "/orders/redirect-three-d/", nil).must(t, 200)
	bankURL, fields := htmlForm(t, redirect.body)
	bankPath, ok := strings.CutPrefix(bankURL, sh.store.srv.URL)
	if !ok {
		t.Fatalf("the redirect form goes to %s, not to Vitrin at %s", bankURL, sh.store.srv.URL)
	}
	// The redirect form's post shows the bank page, whose own form posts
	// to the same address with the button the shopper clicks.
	bank := sh.do("POST", bankPath, fields).must(t, 200)
	action, fields := htmlForm(t, bank.body)
	button := `<button type="submit" name="outcome" value="` + outcome + `">`
	if action != "" || !strings.Contains(string(bank.body), button) {
		t.Fatalf("bank page: %s", bank.body)
	}
	fields.Set("outcome", outcome)
	back := sh.do("POST", bankPath, fields).must(t, 200)
	returnURL, posted := htmlForm(t, back.body)
	storefrontPage, err := url.Parse(returnURL)
	if err != nil || storefrontPage.RequestURI() != "/orders/checkout/?page=CreditCardThreeDSecurePage" {
		t.Fatalf("bank returns to %s", returnURL)
	}
	sh.noCSRF = true
	defer func() { sh.noCSRF = false }()
	return sh.do("POST", storefrontPage.RequestURI(), posted)
}

func (cs *checkoutStore) stock(sku string) int64 {
	var n int64
	if err := cs.db.QueryRow("SELECT stock FROM products WHERE id = $1", cs.ids[sku]).Scan(&n); err != nil {
		cs.t.Fatal(err)
	}
	return n
}

func (cs *checkoutStore) count(query string, args ...any) int {
	var n int
	if err := cs.db.QueryRow(query, args...).Scan(&n); err != nil {
		cs.t.Fatal(err)
	}
	return n
}

func TestCheckoutEveryPaymentType(t *testing.T) {
	cs := newCheckoutStore(t)
	cases := []struct {
		name     string
		pay      func(t *testing.T, sh *shopper) *response
		amount   string
		status   string
		declined bool
	}{
		{"card", func(t *testing.T, sh *shopper) *response {
			return payByCard(t, cs, sh, "4242 4242 4242 4242", 3, false)
		}, "261.15", "approved", false}, // 200.00 + 49.90 shipping + 4.5 % interest 11.25
		{"card with 3-D Secure", func(t *testing.T, sh *shopper) *response {
			return threeD(t, sh, payByCard(t, cs, sh, "4000 0000 0000 3220", 1, true), "approve")
		}, "249.90", "approved", false},
		{"3-D Secure declined at the bank", func(t *testing.T, sh *shopper) *response {
			return threeD(t, sh, payByCard(t, cs, sh, "4242 4242 4242 4242", 1, true), "decline")
		}, "", "", true},
		{"declined card", func(t *testing.T, sh *shopper) *response {
			return payByCard(t, cs, sh, "4000 0000 0000 0002", 1, false)
		}, "", "", true},
		{"3-D-only card without 3-D Secure", func(t *testing.T, sh *shopper) *response {
			return payByCard(t, cs, sh, "4000 0000 0000 3220", 1, false)
		}, "", "", true},
		{"gateway error", func(t *testing.T, sh *shopper) *response {
			return payByCard(t, cs, sh, "4000 0000 0000 0119", 1, false)
		}, "", "", true},
		{"funds transfer", func(t *testing.T, sh *shopper) *response {
			nextPage(t, step(sh, "PaymentOptionSelectionPage", "payment_option", cs.id("payment:transfer")).must(t, 200), "FundsTransferChoicePage")
			nextPage(t, step(sh, "FundsTransferChoicePage", "bank_account", cs.id("bank:TR330006100519786457841326")).must(t, 200), "FundsTransferPage")
			return step(sh, "FundsTransferPage", "agreement", "1")
		}, "249.90", "waiting_payment", false},
		{"pay on delivery", func(t *testing.T, sh *shopper) *response {
			nextPage(t, step(sh, "PaymentOptionSelectionPage", "payment_option", cs.id("payment:pod")).must(t, 200), "PayOnDeliveryPaymentChoicePage")
			nextPage(t, step(sh, "PayOnDeliveryPaymentChoicePage", "payment_choice", "cash").must(t, 200), "PayOnDeliveryPage")
			return step(sh, "PayOnDeliveryPage", "agreement", "1", "paymentType", "cash")
		}, "264.90", "approved", false},
	}
	for i, c := range cases {
		for _, guest := range []bool{true, false} {
			name := fmt.Sprintf("%s/guest=%v", c.name, guest)
			t.Run(name, func(t *testing.T) {
				email := fmt.Sprintf("buyer%d-%v@example.com", i, guest)
				stockBefore := cs.stock("TEE-B")
				ordersBefore := cs.count("SELECT COUNT(*) FROM orders")
				sh := cs.buyer(t, guest, email, "TEE-B", 1)
				res := c.pay(t, sh)
				if c.declined {
					co := checkoutOf(t, res)
					if res.StatusCode != 400 || co.Errors == nil {
						t.Fatalf("declined payment answered %d %s", res.StatusCode, res.body)
					}
					if cs.stock("TEE-B") != stockBefore || cs.count("SELECT COUNT(*) FROM orders") != ordersBefore {
						t.Fatal("a declined payment changed stock or orders")
					}
					b := basketOf(t, sh.do("GET", "/baskets/basket/", nil).must(t, 200))
					if b.Quantity != 1 {
						t.Fatalf("basket after decline: %+v", b)
					}
					return
				}
				id, token := placed(t, res)
				if cs.stock("TEE-B") != stockBefore-1 {
					t.Fatalf("stock %d, want %d", cs.stock("TEE-B"), stockBefore-1)
				}
				if b := basketOf(t, sh.do("GET", "/baskets/basket/", nil).must(t, 200)); len(b.Items) != 0 {
					t.Fatalf("basket not emptied: %+v", b)
				}
				var done struct {
					Order map[string]any `json:"order"`
				}
				sh.do("GET", "/orders/completed/"+token+"/?format=json", nil).must(t, 200).decode(t, &done)
				o := done.Order
				if o["amount"] != c.amount || o["status"].(map[string]any)["value"] != c.status || o["user_email"] != email ||
					len(o["orderitem_set"].([]any)) != 1 || o["number"] == "" {
					t.Fatalf("order: %v", o)
				}
				if strings.Contains(string(sh.do("GET", "/orders/completed/"+token+"/", nil).body), "4242424242424242") {
					t.Fatal("card number in the order")
				}
				if guest {
					tracked := sh.do("POST", "/users/orders/anonymous", url.Values{"email": {strings.ToUpper(email)}, "number": {o["number"].(string)}}).must(t, 200).json()
					if tracked["id"] != o["id"] {
						t.Fatalf("tracking: %v", tracked)
					}
					sh.do("POST", "/users/orders/anonymous", url.Values{"email": {"other@example.com"}, "number": {o["number"].(string)}}).must(t, 404)
					return
				}
				// The customer lists, opens and cancels the order.
				var list struct {
					Count   int              `json:"count"`
					Results []map[string]any `json:"results"`
				}
				sh.do("GET", "/users/orders/?page=1%20&limit=12%20&created_date__gte=2020-01-01%20", nil).must(t, 200).decode(t, &list)
				if list.Count != 1 || list.Results[0]["id"] != float64(id) {
					t.Fatalf("orders: %+v", list)
				}
				detail := sh.do("GET", fmt.Sprintf("/users/orders/%d/", id), nil).must(t, 200).json()
				if detail["is_cancellable"] != true || detail["shipping_address"].(map[string]any)["line"] != "Moda Cad. 1" {
					t.Fatalf("detail: %v", detail)
				}
				item := detail["orderitem_set"].([]any)[0].(map[string]any)
				cancelled := sh.do("POST", fmt.Sprintf("/orders/%d/cancel/", id), map[string]any{"cancel_order_items": []any{
					map[string]any{"order_item": item["id"], "reason": cs.pk["reason:changed-mind"], "cancellation_type": "cancel", "description": ""}},
				}).must(t, 200).json()
				if cancelled["status"].(map[string]any)["value"] != "cancelled" || cs.stock("TEE-B") != stockBefore {
					t.Fatalf("after cancel: %v, stock %d", cancelled["status"], cs.stock("TEE-B"))
				}
				wantRefund := c.amount
				if c.status == "waiting_payment" || c.name == "pay on delivery" {
					wantRefund = "0.00" // nothing was charged
				}
				if cancelled["refund_amount"] != wantRefund {
					t.Fatalf("refund %v, want %s", cancelled["refund_amount"], wantRefund)
				}
				sh.do("POST", fmt.Sprintf("/orders/%d/cancel/", id), map[string]any{}).must(t, 400)
				// Another customer sees none of it.
				eve := cs.shopper()
				eve.register("eve-"+email, "correct horse 2")
				eve.do("GET", fmt.Sprintf("/users/orders/%d/", id), nil).must(t, 404)
				eve.do("POST", fmt.Sprintf("/orders/%d/cancel/", id), map[string]any{}).must(t, 404)
			})
		}
	}
	if n := cs.count("SELECT COUNT(*) FROM sandbox_charges WHERE refunded > 0"); n != 2 {
		t.Errorf("%d card charges refunded, want 2 (the customers' card orders)", n)
	}
}
