package api

import (
	"fmt"
	"strings"
	"testing"
)

// Every bad input of the checkout gets a 4xx in the contract's shape and
// changes nothing: the checkout still asks for the same page.
func TestCheckoutBadInput(t *testing.T) {
	cs := newCheckoutStore(t)
	eve := cs.shopper()
	eve.register("eve@example.com", "correct horse 2")
	evesAddress := eve.do("POST", "/address/", map[string]any{"title": "Eve", "first_name": "Eve", "last_name": "X",
		"phone_number": "05550000000", "country": cs.id("country:tr"), "city": cs.id("city:Ankara"), "line": "Kızılay"}).must(t, 201).json()["pk"]

	sh := cs.buyer(t, false, "ada@example.com", "TEE-B", 1)
	at := func(page string) {
		t.Helper()
		nextPage(t, sh.do("GET", "/orders/checkout/", nil).must(t, 200), page)
	}
	cases := []struct {
		name, page string
		fields     []string
		field      string
	}{
		{"unknown page", "NoSuchPage", nil, "page"},
		{"another customer's address", "AddressSelectionPage", []string{"shipping_address", fmt.Sprint(evesAddress), "billing_address", fmt.Sprint(evesAddress)}, "shipping_address"},
		{"address pk not a number", "AddressSelectionPage", []string{"shipping_address", "x", "billing_address", "1.5"}, "shipping_address"},
		{"missing addresses", "AddressSelectionPage", nil, "billing_address"},
		{"shipping not offered to Türkiye", "ShippingOptionSelectionPage", []string{"shipping_option", cs.id("shipping:international")}, "shipping_option"},
		{"unknown payment option", "PaymentOptionSelectionPage", []string{"payment_option", "999999"}, "payment_option"},
		{"missing payment option", "PaymentOptionSelectionPage", nil, "payment_option"},
		{"out of order: bin before payment", "BinNumberPage", []string{"bin_number", "424242"}, "non_field_errors"},
		{"out of order: card page", "CreditCardConfirmationPage", []string{"agreement", "1", "card_holder", "A", "card_number", "4242424242424242", "card_month", "12", "card_year", "2040", "card_cvv", "123"}, "non_field_errors"},
		{"note too long", "OrderNotePage", []string{"notes", strings.Repeat("x", 1001)}, "notes"},
		{"unknown coupon", "CouponSelectionPage", []string{"coupon", "NOPE"}, "coupon"},
	}
	for _, c := range cases {
		res := step(sh, c.page, c.fields...)
		if res.StatusCode != 400 {
			t.Errorf("%s: status %d %s", c.name, res.StatusCode, res.body)
			continue
		}
		co := checkoutOf(t, res)
		if co.Errors[c.field] == nil {
			t.Errorf("%s: errors %v, want one on %s", c.name, co.Errors, c.field)
		}
		at("PaymentOptionSelectionPage")
	}
	// The card: bad bin, then each bad card field.
	nextPage(t, step(sh, "PaymentOptionSelectionPage", "payment_option", cs.id("payment:card")).must(t, 200), "BinNumberPage")
	for _, bin := range []string{"42424", "424242424", "42a424", ""} {
		if co := checkoutOf(t, step(sh, "BinNumberPage", "bin_number", bin).must(t, 400)); co.Errors["bin_number"] == nil {
			t.Errorf("bin %q: %v", bin, co.Errors)
		}
	}
	at("BinNumberPage")
	step(sh, "BinNumberPage", "bin_number", "42424242").must(t, 200)
	step(sh, "InstallmentSelectionPage", "installment", "7").must(t, 400)
	step(sh, "InstallmentSelectionPage", "installment", "3").must(t, 200)
	card := map[string]string{"agreement": "1", "card_holder": "Ada", "card_number": "4242424242424242", "card_month": "12", "card_year": "2040", "card_cvv": "123"}
	for _, c := range []struct{ field, value, errField string }{
		{"card_number", "4242424242424241", "card_number"}, // Luhn
		{"card_year", "2020", "card_year"},                 // expired
		{"card_month", "13", "card_month"},
		{"card_cvv", "", "card_cvv"},
		{"agreement", "", "agreement"},
	} {
		fields := []string{}
		for k, v := range card {
			if k == c.field {
				v = c.value
			}
			fields = append(fields, k, v)
		}
		if co := checkoutOf(t, step(sh, "CreditCardConfirmationPage", fields...).must(t, 400)); co.Errors[c.errField] == nil {
			t.Errorf("%s=%q: %v", c.field, c.value, co.Errors)
		}
	}
	at("CreditCardConfirmationPage")
	// Basket quantities that are not whole positive numbers.
	for _, q := range []any{-1, 1.5, "abc"} {
		if res := sh.do("POST", "/baskets/basket/", map[string]any{"product": cs.ids["TEE-B"], "quantity": q}); res.StatusCode != 400 {
			t.Errorf("quantity %v: %d", q, res.StatusCode)
		}
	}
	if cs.count("SELECT COUNT(*) FROM orders") != 0 || cs.count("SELECT COUNT(*) FROM sandbox_charges") != 0 {
		t.Fatal("bad input placed an order or charged")
	}
}

// A step whose inputs no longer hold sends the shopper back.
func TestCheckoutStaleSteps(t *testing.T) {
	cs := newCheckoutStore(t)
	sh := cs.buyer(t, false, "ada@example.com", "TEE-B", 1)
	pay := cs.readyToPay(t, sh, false)

	// The basket changed after the shopper saw the amounts: the final
	// step is refused once, with the new amounts shown.
	sh.do("PUT", "/baskets/basket/", map[string]any{"product": cs.ids["TEE-B"], "quantity": 2}).must(t, 200)
	co := checkoutOf(t, pay().must(t, 400))
	if co.Errors["non_field_errors"] == nil {
		t.Fatalf("basket change: %v", co.Errors)
	}
	nextPage(t, sh.do("GET", "/orders/checkout/", nil).must(t, 200), "PayOnDeliveryPage")

	// Stock gone: refused, nothing placed, and the client is sent back to
	// the basket (through the page context, which is what it follows).
	cs.exec("UPDATE products SET stock = 1 WHERE id = $1", cs.ids["TEE-B"])
	toBasket := func(r *response) {
		t.Helper()
		co := checkoutOf(t, r)
		if co.RedirectURL == nil || *co.RedirectURL != "/baskets/basket/" || co.ContextList[0].PageContext["redirect_url"] != "/baskets/basket/" ||
			(len(co.PreOrder["basket"].(map[string]any)["basketitem_set"].([]any)) > 0 && co.Errors["non_field_errors"] == nil) {
			t.Fatalf("not sent back to the basket: %s", r.body)
		}
	}
	toBasket(pay().must(t, 400))
	toBasket(sh.do("GET", "/orders/checkout/", nil).must(t, 200))
	if cs.count("SELECT COUNT(*) FROM orders") != 0 {
		t.Fatal("ordered more than the stock")
	}
	cs.exec("UPDATE products SET stock = 100 WHERE id = $1", cs.ids["TEE-B"])
	if co := checkoutOf(t, sh.do("GET", "/orders/checkout/", nil).must(t, 200)); co.RedirectURL != nil || co.ContextList[0].PageContext["redirect_url"] != nil {
		t.Fatalf("sent to the basket with stock back: %v", co.ContextList[0].PageContext)
	}

	// The shipping address is deleted: back to the address page.
	addr := checkoutOf(t, sh.do("GET", "/orders/checkout/", nil).must(t, 200)).PreOrder["shipping_address"].(map[string]any)["pk"]
	sh.do("DELETE", fmt.Sprintf("/address/%v/", addr), nil).must(t, 204)
	co = nextPage(t, sh.do("GET", "/orders/checkout/", nil).must(t, 200), "AddressSelectionPage")
	if co.Errors["shipping_address"] == nil {
		t.Fatalf("deleted address: %v", co.Errors)
	}
	pay().must(t, 400)
	if cs.count("SELECT COUNT(*) FROM orders") != 0 {
		t.Fatal("placed an order without an address")
	}

	// An emptied basket: back to the basket as well.
	sh.do("DELETE", "/baskets/basket/", nil).must(t, 200)
	toBasket(sh.do("GET", "/orders/checkout/", nil).must(t, 200))
}

// Every page of the flow answers GET and an empty POST in the checkout's
// shape, never with a 5xx: a page not reached yet is shown as the page
// that is next, and an empty submission is a 400 that changes nothing.
func TestCheckoutEveryPageAnswers(t *testing.T) {
	cs := newCheckoutStore(t)
	pages := []string{"IndexPage", "DeliveryOptionSelectionPage", "AddressSelectionPage", "RetailStoreSelectionPage",
		"ShippingOptionSelectionPage", "PaymentOptionSelectionPage", "BinNumberPage", "InstallmentSelectionPage",
		"CreditCardConfirmationPage", "CreditCardThreeDSecurePage", "FundsTransferChoicePage", "FundsTransferPage",
		"PayOnDeliveryPaymentChoicePage", "PayOnDeliveryPage", "CouponSelectionPage", "OrderNotePage"}
	guest := cs.shopper()
	guest.do("GET", "/csrf_token/", nil).must(t, 200)
	guest.do("POST", "/baskets/basket/", map[string]any{"product": cs.ids["TEE-B"], "quantity": 1}).must(t, 200)
	customer := cs.buyer(t, false, "ada@example.com", "TEE-B", 1)
	for _, who := range []struct {
		name string
		sh   *shopper
		at   string
	}{{"guest at the start", guest, "IndexPage"}, {"customer at payment", customer, "PaymentOptionSelectionPage"}} {
		for _, page := range pages {
			got := checkoutOf(t, who.sh.do("GET", "/orders/checkout/?page="+page, nil).must(t, 200))
			shown := got.ContextList[len(got.ContextList)-1].PageName
			if page != "CouponSelectionPage" && page != "OrderNotePage" && shown != page && shown != who.at {
				t.Errorf("%s: GET %s shows %s", who.name, page, shown)
			}
			res := step(who.sh, page)
			if page == "OrderNotePage" { // an empty note clears it
				res.must(t, 200)
				continue
			}
			if res.StatusCode != 400 {
				t.Errorf("%s: empty POST %s answered %d %s", who.name, page, res.StatusCode, res.body)
				continue
			}
			if co := checkoutOf(t, res); len(co.Errors) == 0 {
				t.Errorf("%s: empty POST %s without errors", who.name, page)
			}
			nextPage(t, who.sh.do("GET", "/orders/checkout/", nil).must(t, 200), who.at)
		}
	}
	if cs.count("SELECT COUNT(*) FROM orders") != 0 || cs.count("SELECT COUNT(*) FROM sandbox_charges") != 0 {
		t.Fatal("an empty submission placed an order")
	}
}
