package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/csrf"
	"github.com/vitrin/vitrin/internal/storeimport"
	"github.com/vitrin/vitrin/internal/testdb"
)

// benchCheckoutStore serves the checkout fixture over HTTP with stock that
// does not run out, and returns the pks a client needs.
func benchCheckoutStore(b *testing.B) (string, map[string]string) {
	db := testdb.Open(b)
	raw, _ := json.Marshal(checkoutFixture())
	if _, err := storeimport.Run(context.Background(), db, bytes.NewReader(raw), storeimport.Options{}); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec("UPDATE products SET stock = 1000000000"); err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(newTestServer(b, db))
	b.Cleanup(hs.Close)
	pk := map[string]string{}
	for key, query := range map[string]string{
		"product": "SELECT id FROM products WHERE sku = 'TEE-B'", "home": "SELECT id FROM delivery_options WHERE slug = 'home'",
		"standard": "SELECT id FROM shipping_options WHERE slug = 'standard'", "card": "SELECT id FROM payment_options WHERE slug = 'card'",
		"tr": "SELECT id FROM countries WHERE code = 'tr'", "istanbul": "SELECT id FROM cities WHERE name = 'İstanbul'",
	} {
		var id int64
		if err := db.QueryRow(query).Scan(&id); err != nil {
			b.Fatal(err)
		}
		pk[key] = fmt.Sprint(id)
	}
	return hs.URL, pk
}

// benchCheckout is one guest's complete checkout by card, request by
// request as the storefront sends them.
func benchCheckout(base string, pk map[string]string, n int) error {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	u, _ := url.Parse(base)
	send := func(method, path, ct, body string) ([]byte, error) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		for _, c := range jar.Cookies(u) {
			if c.Name == csrf.CookieName {
				req.Header.Set("X-CSRFToken", c.Value)
			}
		}
		res, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 300 {
			return nil, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, out)
		}
		return out, nil
	}
	page := func(name string, fields ...string) error {
		form := url.Values{}
		for i := 0; i+1 < len(fields); i += 2 {
			form.Set(fields[i], fields[i+1])
		}
		_, err := send("POST", "/orders/checkout/?page="+name, "application/x-www-form-urlencoded", form.Encode())
		return err
	}
	if _, err := send("GET", "/csrf_token/", "", ""); err != nil {
		return err
	}
	if _, err := send("POST", "/baskets/basket/", "application/json", `{"product": `+pk["product"]+`, "quantity": 1}`); err != nil {
		return err
	}
	if err := page("IndexPage", "user_email", fmt.Sprintf("bench%d@example.com", n), "phone_number", "05551112233"); err != nil {
		return err
	}
	if err := page("DeliveryOptionSelectionPage", "delivery_option", pk["home"]); err != nil {
		return err
	}
	addr, err := send("POST", "/address/", "application/json", `{"title": "Home", "first_name": "A", "last_name": "B", "phone_number": "0555",
		"country": `+pk["tr"]+`, "city": `+pk["istanbul"]+`, "line": "Moda Cad. 1"}`)
	if err != nil {
		return err
	}
	var a struct{ PK int64 }
	_ = json.Unmarshal(addr, &a)
	steps := [][]string{
		{"AddressSelectionPage", "shipping_address", fmt.Sprint(a.PK), "billing_address", fmt.Sprint(a.PK)},
		{"ShippingOptionSelectionPage", "shipping_option", pk["standard"]},
		{"PaymentOptionSelectionPage", "payment_option", pk["card"]},
		{"BinNumberPage", "bin_number", "424242"},
		{"InstallmentSelectionPage", "installment", "3"},
		{"CreditCardConfirmationPage", "agreement", "1", "card_holder", "A B", "card_number", "4242424242424242",
			"card_month", "12", "card_year", "2040", "card_cvv", "123"},
	}
	for _, s := range steps {
		if err := page(s[0], s[1:]...); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkCheckout measures complete guest checkouts by card (13
// requests each, over HTTP): one at a time for the time per checkout
// (p50 reported), and from parallel buyers for checkouts per second.
func BenchmarkCheckout(b *testing.B) {
	base, pk := benchCheckoutStore(b)
	b.Run("sequential", func(b *testing.B) {
		took := make([]time.Duration, 0, b.N)
		for i := 0; i < b.N; i++ {
			start := time.Now()
			if err := benchCheckout(base, pk, i); err != nil {
				b.Fatal(err)
			}
			took = append(took, time.Since(start))
		}
		slices.Sort(took)
		b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	})
	b.Run("parallel", func(b *testing.B) {
		var mu sync.Mutex
		n := 0
		start := time.Now()
		b.RunParallel(func(p *testing.PB) {
			for p.Next() {
				mu.Lock()
				n++
				id := 1_000_000 + n
				mu.Unlock()
				if err := benchCheckout(base, pk, id); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "checkouts/s")
	})
}
