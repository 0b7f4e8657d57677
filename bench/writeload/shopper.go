package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
)

// store is what the driver learns from the catalog before the load starts.
type store struct {
	buyable []int64 // products with stock to spare
	country int64
	city    int64
}

// locale is the currency and language every request names (-currency,
// -language).
var locale struct{ currency, language string }

// transport is shared by every shopper: one pool of keep-alive
// connections, as a storefront server keeps.
var transport = &http.Transport{MaxIdleConnsPerHost: 1024}

type shopper struct {
	base   *url.URL
	client *http.Client
	store  *store
	rnd    *rand.Rand
	id     int
}

func newShopper(base string, st *store, id int) (*shopper, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	s := &shopper{base: u, store: st, id: id, rnd: rand.New(rand.NewPCG(uint64(id), 7))}
	s.reset()
	return s, nil
}

// reset makes the shopper a new visitor with an empty cookie jar.
func (s *shopper) reset() {
	jar, _ := cookiejar.New(nil)
	s.client = &http.Client{Jar: jar, Transport: transport}
}

// send makes one request and decodes a 2xx JSON answer into out (when not
// nil). form bodies are url.Values; anything else is sent as JSON.
func (s *shopper) send(method, path string, body any, out any) error {
	var rd io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, contentType = bytes.NewBufferString(b.Encode()), "application/x-www-form-urlencoded"
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return err
		}
		rd, contentType = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequest(method, s.base.String()+path, rd)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	// What a storefront built on @akinon/next sends with every request.
	if locale.currency != "" {
		req.Header.Set("X-Currency", locale.currency)
	}
	if locale.language != "" {
		req.Header.Set("Accept-Language", locale.language)
	}
	for _, c := range s.client.Jar.Cookies(s.base) {
		if c.Name == "csrftoken" {
			req.Header.Set("X-CSRFToken", c.Value)
		}
	}
	res, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %.300s", method, path, res.StatusCode, raw)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

func (s *shopper) product() int64 { return s.store.buyable[s.rnd.IntN(len(s.store.buyable))] }

// discover reads buyable products and a country and city for addresses.
func discover(base string) (*store, error) {
	s, err := newShopper(base, nil, -1)
	if err != nil {
		return nil, err
	}
	st := &store{}
	for page := 1; page <= 20 && len(st.buyable) < 2000; page++ {
		var list struct {
			Products []struct {
				PK      int64 `json:"pk"`
				InStock bool  `json:"in_stock"`
				Stock   int64 `json:"stock"`
			} `json:"products"`
		}
		if err := s.send("GET", "/list/?page_size=100&page="+strconv.Itoa(page), nil, &list); err != nil {
			return nil, err
		}
		for _, p := range list.Products {
			if p.InStock {
				st.buyable = append(st.buyable, p.PK)
			}
		}
	}
	if len(st.buyable) == 0 {
		return nil, errors.New("no product with stock: is a store imported?")
	}
	type page struct {
		Results []struct {
			PK int64 `json:"pk"`
		} `json:"results"`
	}
	var countries, cities page
	if err := s.send("GET", "/address/country/", nil, &countries); err != nil || len(countries.Results) == 0 {
		return nil, fmt.Errorf("no country to ship to: %v", err)
	}
	st.country = countries.Results[0].PK
	if err := s.send("GET", "/address/city/?country="+strconv.FormatInt(st.country, 10), nil, &cities); err != nil || len(cities.Results) == 0 {
		return nil, fmt.Errorf("no city to ship to: %v", err)
	}
	st.city = cities.Results[0].PK
	return st, nil
}

// newGuest makes the shopper a new guest with a CSRF token before every
// adds-th add (untimed: a storefront has the token from the first page).
func (s *shopper) newGuest(n, adds int) error {
	if n%adds != 0 {
		return nil
	}
	s.reset()
	return s.send("GET", "/csrf_token/", nil, nil)
}

// addToBasket adds one unit of a product to the shopper's basket.
func addToBasket(s *shopper, _ int) error {
	return s.send("POST", "/baskets/basket/", map[string]any{"product": s.product(), "quantity": 1}, nil)
}
