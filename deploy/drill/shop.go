package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"
)

const password = "Drill-shopper-2024"

// store is what the shoppers share: product ids and registered customers,
// each lent to one visit at a time so that no two visits share a basket.
type store struct {
	products  []int64
	customers chan string
}

// shopper is one visit's client: its own cookie jar, the CSRF token sent
// back as the storefront does.
type shopper struct {
	base string
	http *http.Client
	rec  *recorder
}

func newShopper(base string, rec *recorder) *shopper {
	jar, _ := cookiejar.New(nil)
	return &shopper{base: base, rec: rec, http: &http.Client{Jar: jar, Timeout: 90 * time.Second}}
}

// do sends a request and records it; a 5xx or no answer is a failure.
// want is the status that means success.
func (s *shopper) do(method, path string, form url.Values, want int) (map[string]any, bool) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, s.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if method != http.MethodGet {
		u, _ := url.Parse(s.base)
		for _, c := range s.http.Jar.Cookies(u) {
			if c.Name == "csrftoken" {
				req.Header.Set("X-CSRFToken", c.Value)
			}
		}
		req.Header.Set("Referer", s.base+"/")
	}
	start := time.Now()
	res, err := s.http.Do(req)
	status := 0
	var raw []byte
	if err == nil {
		raw, err = io.ReadAll(res.Body)
		res.Body.Close()
		status = res.StatusCode
	}
	ok := err == nil && status == want
	s.rec.add(method+" "+strings.SplitN(path, "?", 2)[0], start, time.Since(start), status, err)
	if !ok {
		return nil, false
	}
	var answer map[string]any
	json.Unmarshal(raw, &answer)
	return answer, true
}

// visit is one shopper's path: browse, put a product in the basket, and
// every other visit log in and check out, paying each of the three ways
// in turn.
func visit(base string, st *store, rec *recorder, n int) {
	s := newShopper(base, rec)
	if _, ok := s.do("GET", "/csrf_token/", nil, 200); !ok {
		return
	}
	s.do("GET", fmt.Sprintf("/list/?page=%d", 1+rand.IntN(5)), nil, 200)
	product := st.products[rand.IntN(len(st.products))]
	s.do("GET", fmt.Sprintf("/product/%d/", product), nil, 200)
	if n%2 == 1 {
		if _, ok := s.do("POST", "/baskets/basket/", url.Values{"product": {fmt.Sprint(product)}, "quantity": {"1"}}, 200); ok {
			s.do("GET", "/baskets/basket/", nil, 200)
		}
		return
	}
	email := <-st.customers
	defer func() { st.customers <- email }()
	if _, ok := s.do("POST", "/users/login/", url.Values{"email": {email}, "password": {password}}, 200); !ok {
		return
	}
	if _, ok := s.do("POST", "/baskets/basket/", url.Values{"product": {fmt.Sprint(product)}, "quantity": {"1"}}, 200); !ok {
		return
	}
	payment := []string{"credit_card", "funds_transfer", "pay_on_delivery"}[(n/2)%3]
	s.checkout(payment)
}

// checkout walks the pages the server asks for with the first choice on
// each, paying by payment, until the thank-you page, whose order the
// invariants look for.
func (s *shopper) checkout(payment string) {
	state, ok := s.do("GET", "/orders/checkout/", nil, 200)
	for step := 0; ok && step < 15; step++ {
		page, ctx := lastPage(state)
		if page == "ThankYouPage" {
			s.rec.thanked(fmt.Sprint(ctx["token"]), payment)
			return
		}
		form := pageForm(page, ctx, payment)
		if form == nil {
			s.rec.add("checkout: no way through "+page, time.Now(), 0, 0, fmt.Errorf("%v", ctx))
			return
		}
		state, ok = s.do("POST", "/orders/checkout/?page="+page, form, 200)
		if ok && state["errors"] != nil {
			s.rec.add("checkout: "+page+" refused", time.Now(), 0, 400, fmt.Errorf("%v", state["errors"]))
			return
		}
	}
}

func lastPage(state map[string]any) (string, map[string]any) {
	list, _ := state["context_list"].([]any)
	if len(list) == 0 {
		return "", nil
	}
	c, _ := list[len(list)-1].(map[string]any)
	ctx, _ := c["page_context"].(map[string]any)
	name, _ := c["page_name"].(string)
	return name, ctx
}

func firstPK(ctx map[string]any, key string, keep func(map[string]any) bool) string {
	list, _ := ctx[key].([]any)
	for _, item := range list {
		m, _ := item.(map[string]any)
		if m != nil && (keep == nil || keep(m)) {
			return fmt.Sprint(m["pk"])
		}
	}
	return ""
}

func pageForm(page string, ctx map[string]any, payment string) url.Values {
	one := func(key, value string) url.Values {
		if value == "" || value == "<nil>" {
			return nil
		}
		return url.Values{key: {value}}
	}
	switch page {
	case "DeliveryOptionSelectionPage":
		return one("delivery_option", firstPK(ctx, "delivery_options", func(m map[string]any) bool {
			return m["delivery_option_type"] != "retail_store"
		}))
	case "AddressSelectionPage":
		pk := firstPK(ctx, "addresses", nil)
		return url.Values{"shipping_address": {pk}, "billing_address": {pk}}
	case "ShippingOptionSelectionPage":
		return one("shipping_option", firstPK(ctx, "shipping_options", nil))
	case "PaymentOptionSelectionPage":
		return one("payment_option", firstPK(ctx, "payment_options", func(m map[string]any) bool { return m["payment_type"] == payment }))
	case "BinNumberPage":
		return one("bin_number", "424242")
	case "InstallmentSelectionPage":
		return one("installment", firstPK(ctx, "installments", nil))
	case "CreditCardConfirmationPage":
		return url.Values{"agreement": {"1"}, "card_holder": {"Drill Shopper"}, "card_number": {"4242424242424242"},
			"card_month": {"12"}, "card_year": {"2040"}, "card_cvv": {"123"}}
	case "FundsTransferChoicePage":
		return one("bank_account", firstPK(ctx, "bank_accounts", nil))
	case "FundsTransferPage":
		return url.Values{"agreement": {"true"}}
	case "PayOnDeliveryPaymentChoicePage":
		choices, _ := ctx["payment_choices"].([]any)
		if len(choices) == 0 {
			return nil
		}
		c, _ := choices[0].(map[string]any)
		v := c["value"]
		if v == nil {
			v = c["pk"]
		}
		return one("payment_choice", fmt.Sprint(v))
	case "PayOnDeliveryPage":
		return url.Values{"agreement": {"true"}, "paymentType": {"pay_on_delivery"}}
	}
	return nil
}

// learnStore finds products in stock and registers the customers, each
// with an address.
func learnStore(o options) (*store, error) {
	st := &store{customers: make(chan string, o.shoppersInStore)}
	s := newShopper(o.base, &recorder{})
	for page := 1; page <= 20; page++ {
		answer, ok := s.do("GET", fmt.Sprintf("/list/?page=%d", page), nil, 200)
		if !ok && page == 1 {
			return nil, fmt.Errorf("GET /list/ failed")
		}
		products, _ := answer["products"].([]any)
		if len(products) == 0 {
			break
		}
		for _, p := range products {
			m, _ := p.(map[string]any)
			if stock, _ := m["stock"].(float64); m["in_stock"] == true && stock >= 20 {
				pk, _ := m["pk"].(float64)
				st.products = append(st.products, int64(pk))
			}
		}
	}
	if len(st.products) == 0 {
		return nil, fmt.Errorf("no product with 20 in stock")
	}
	place := map[string]string{}
	parent := ""
	for _, level := range []string{"country", "city", "township", "district"} {
		path := "/address/" + level + "/"
		if parent != "" {
			path += "?" + parent
		}
		answer, ok := s.do("GET", path, nil, 200)
		results, _ := answer["results"].([]any)
		if !ok || len(results) == 0 {
			return nil, fmt.Errorf("no %s to make addresses with", level)
		}
		pk := fmt.Sprint(results[0].(map[string]any)["pk"])
		place[level], parent = pk, level+"="+pk
	}
	stamp := time.Now().Unix()
	for i := range o.shoppersInStore {
		c := newShopper(o.base, &recorder{})
		email := fmt.Sprintf("drill%d.%d@example.com", i, stamp)
		c.do("GET", "/csrf_token/", nil, 200)
		if _, ok := c.do("POST", "/users/registration/", url.Values{"email": {email}, "password": {password},
			"first_name": {"Drill"}, "last_name": {"Shopper"}, "confirm": {"true"}, "kvkk_confirm": {"true"}}, 200); !ok {
			return nil, fmt.Errorf("register %s failed", email)
		}
		addr := url.Values{"title": {"Ev"}, "first_name": {"Drill"}, "last_name": {"Shopper"}, "phone_number": {"05321234567"},
			"line": {"Bağdat Caddesi 1"}, "postcode": {"34710"}, "email": {email}}
		for level, pk := range place {
			addr.Set(level, pk)
		}
		if _, ok := c.do("POST", "/address/", addr, 201); !ok {
			return nil, fmt.Errorf("address for %s failed", email)
		}
		st.customers <- email
	}
	return st, nil
}
