package api

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/vitrin/vitrin/internal/csrf"
)

// FuzzNoServerErrorOnBadInput sends whatever the fuzzer makes up, in any
// content type, to the endpoints that read input, as a logged-in customer
// with a basket and an address: no answer may be a 5xx. `go test` runs the
// seeds; `go test -run '^$' -fuzz FuzzNoServerErrorOnBadInput ./internal/api`
// searches further.
func FuzzNoServerErrorOnBadInput(f *testing.F) {
	cs := checkoutStoreOn(f, newTestStore(f))
	sh := cs.shopper()
	sh.register("fuzz@example.com", "correct horse 1")
	sh.do("POST", "/baskets/basket/", map[string]any{"product": cs.ids["TEE-A"], "quantity": 1}).must(f, 200)
	addr := sh.do("POST", "/address/", map[string]any{"title": "Home", "first_name": "Ada", "last_name": "Lovelace",
		"phone_number": "05551112233", "country": cs.id("country:tr"), "city": cs.id("city:İstanbul"),
		"township": cs.id("township:Kadıköy"), "district": cs.id("district:Moda"), "line": "Moda Cad. 1"}).must(f, 201).json()["pk"]

	targets := []struct{ method, path string }{
		{"POST", "/baskets/basket/"}, {"PUT", "/baskets/basket/"}, {"PATCH", "/baskets/basket/"},
		{"POST", "/address/"}, {"PATCH", fmt.Sprintf("/address/%v/", addr)}, {"PUT", fmt.Sprintf("/address/%v/", addr)},
		{"PATCH", "/users/profile/"}, {"PUT", "/users/profile/"}, {"POST", "/users/password/change/"},
		{"POST", "/users/contact-us"}, {"POST", "/wishlists/favourite-products/"}, {"POST", "/wishlists/product-alerts/"},
		{"POST", "/email-subscription/"}, {"POST", "/users/orders/anonymous"}, {"POST", "/users/orders/bulk_cancellation_requests/"},
		{"POST", "/users/activate-currency/"}, {"POST", "/i18n/setlang"}, {"POST", "/users/password/reset/"},
		{"GET", "/list/?"}, {"GET", "/autocomplete/?search_text="}, {"GET", "/users/orders/?"}, {"GET", "/address/city/?"},
	}
	for _, page := range []string{"IndexPage", "DeliveryOptionSelectionPage", "AddressSelectionPage", "RetailStoreSelectionPage",
		"ShippingOptionSelectionPage", "PaymentOptionSelectionPage", "BinNumberPage", "InstallmentSelectionPage",
		"CreditCardConfirmationPage", "FundsTransferChoicePage", "PayOnDeliveryPaymentChoicePage", "CouponSelectionPage", "OrderNotePage"} {
		targets = append(targets, struct{ method, path string }{"POST", "/orders/checkout/?page=" + page})
	}
	contentTypes := []string{"application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=XyZ", "text/plain", ""}

	seeds := []string{
		`{"product": 1, "quantity": 2, "attributes": {}}`,
		`{"quantity": -1, "product": "x"}`,
		`{"quantity": 1e400, "product": 99999999999999999999}`,
		`{"voucher_code": ["a"], "remove_voucher_code": "yes"}`,
		`{"country": {}, "city": null, "line": "` + strings.Repeat("x", 3000) + `"}`,
		`{"cancel_order_items": [{"order_item": -1, "reason": "a"}], "orders": 5}`,
		`[1, 2, 3]`, `null`, `{"a":`, "\x00\xff",
		"product=1&quantity=2", "quantity=9223372036854775808&product=-0", "shipping_address=1&billing_address=%zz",
		"card_number=4242424242424242&card_month=13&card_year=1&card_cvv=1&agreement=1",
		"bin_number=42424&installment=0", "--XyZ\r\nContent-Disposition: form-data; name=\"product\"\r\n\r\n1\r\n--XyZ--\r\n",
		"page=-1&page_size=0&sorter=??&price=1-&search_text=%00", "created_date__gte=yesterday&limit=1e9",
	}
	// NUL characters, which PostgreSQL cannot store in text: in the fields
	// the bodies reach and in a key, sent in every content type.
	nulSeeds := []string{
		`{"email":"a\u0000@x.y","password":"x","number":"1\u0000","voucher_code":"A\u0000","first_name":"A\u0000B",` +
			`"line":"\u0000","title":"x","subject":"\u0000","message":"\u0000","agreement":"\u0000","notes":"\u0000"}`,
		`{"product\u0000": 1, "attributes": {"\u0000": ["\u0000"]}}`,
		"email=a%00%40x.y&first_name=A%00B&voucher_code=%00&line=%00&number=1%00&search_text=a%00&city=%00",
		"--XyZ\r\nContent-Disposition: form-data; name=\"first_name\"\r\n\r\nA\x00B\r\n--XyZ--\r\n",
	}
	for i := range targets {
		for j, body := range seeds {
			f.Add(uint8(i), uint8(j), body)
		}
		for ct := range contentTypes {
			for _, body := range nulSeeds {
				f.Add(uint8(i), uint8(ct), body)
			}
		}
	}

	f.Fuzz(func(t *testing.T, target, contentType uint8, body string) {
		tg := targets[int(target)%len(targets)]
		path, reader := tg.path, io.Reader(strings.NewReader(body))
		if tg.method == http.MethodGet {
			path, reader = path+body, nil
		}
		req, err := http.NewRequest(tg.method, cs.srv.URL+path, reader)
		if err != nil {
			return // not a request a client could send
		}
		if ct := contentTypes[int(contentType)%len(contentTypes)]; ct != "" && reader != nil {
			req.Header.Set("Content-Type", ct)
		}
		req.Header.Set("X-CSRFToken", sh.cookie(csrf.CookieName))
		resp, err := sh.http.Do(req)
		if err != nil {
			return
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s (%s) %q: %d %s", tg.method, path, req.Header.Get("Content-Type"), body, resp.StatusCode, answer)
		}
	})
}
