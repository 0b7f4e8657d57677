package main

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// register makes the shopper a logged-in customer with one address, once
// before the load: a customer has one basket on every device, so shoppers
// must not share one.
func (s *shopper) register() error {
	if err := s.send("GET", "/csrf_token/", nil, nil); err != nil {
		return err
	}
	email := fmt.Sprintf("writeload-%d-%d@example.com", time.Now().UnixNano(), s.id)
	if err := s.send("POST", "/users/registration/", map[string]any{
		"email": email, "password": "writeload-Secret-1", "first_name": "Load", "last_name": "Driver",
	}, nil); err != nil {
		return err
	}
	return s.send("POST", "/address/", map[string]any{
		"title": "Home", "first_name": "Load", "last_name": "Driver", "phone_number": "05551112233",
		"country": s.store.country, "city": s.store.city, "line": "Moda Cad. 1",
	}, nil)
}

// checkoutState is the part of a checkout answer the driver walks by.
type checkoutState struct {
	ContextList []struct {
		PageName    string         `json:"page_name"`
		PageContext map[string]any `json:"page_context"`
	} `json:"context_list"`
	Errors any `json:"errors"`
}

// checkout adds a product and walks every page the server asks for with
// the first choice offered, paying by funds transfer.
func checkout(s *shopper, _ int) error {
	if err := s.send("POST", "/baskets/basket/", map[string]any{"product": s.product(), "quantity": 1}, nil); err != nil {
		return err
	}
	var st checkoutState
	if err := s.send("GET", "/orders/checkout/", nil, &st); err != nil {
		return err
	}
	for range 15 {
		if len(st.ContextList) == 0 {
			return errors.New("checkout answered no page")
		}
		page := st.ContextList[len(st.ContextList)-1]
		if page.PageName == "ThankYouPage" {
			return nil
		}
		form, err := choose(page.PageName, page.PageContext)
		if err != nil {
			return err
		}
		st = checkoutState{}
		if err := s.send("POST", "/orders/checkout/?page="+page.PageName, form, &st); err != nil {
			return err
		}
		if m, ok := st.Errors.(map[string]any); ok && len(m) > 0 {
			return fmt.Errorf("%s: %v", page.PageName, m)
		}
	}
	return errors.New("checkout did not end in 15 pages")
}

// choose answers one checkout page with its first offered choice.
func choose(page string, ctx map[string]any) (url.Values, error) {
	first := func(key string, want func(map[string]any) bool) (string, error) {
		list, _ := ctx[key].([]any)
		for _, item := range list {
			m, _ := item.(map[string]any)
			if m != nil && (want == nil || want(m)) {
				return fmt.Sprint(m["pk"]), nil
			}
		}
		return "", fmt.Errorf("%s offers no %s", page, key)
	}
	notStore := func(m map[string]any) bool { return m["delivery_option_type"] != "retail_store" }
	transfer := func(m map[string]any) bool { return m["payment_type"] == "funds_transfer" }
	var key, pk string
	var err error
	switch page {
	case "DeliveryOptionSelectionPage":
		key = "delivery_option"
		pk, err = first("delivery_options", notStore)
	case "AddressSelectionPage":
		pk, err = first("addresses", nil)
		return url.Values{"shipping_address": {pk}, "billing_address": {pk}}, err
	case "ShippingOptionSelectionPage":
		key = "shipping_option"
		pk, err = first("shipping_options", nil)
	case "PaymentOptionSelectionPage":
		key = "payment_option"
		pk, err = first("payment_options", transfer)
	case "FundsTransferChoicePage":
		key = "bank_account"
		pk, err = first("bank_accounts", nil)
	case "FundsTransferPage":
		return url.Values{"agreement": {"true"}}, nil
	default:
		return nil, fmt.Errorf("no way through %s", page)
	}
	if _, convErr := strconv.ParseFloat(pk, 64); err == nil && convErr != nil {
		err = fmt.Errorf("%s: pk %q", page, pk)
	}
	return url.Values{key: {pk}}, err
}
