package api

import (
	"github.com/vitrin/vitrin/internal/address"
)

// shop holds the services of addresses, checkout, payments and orders.
type shop struct {
	addresses *address.Service
}

// registerCheckout adds the routes of addresses, checkout, payments and orders (issue 6).
func registerCheckout(s *Server) error {
	s.shop = &shop{}
	registerAddresses(s)
	return nil
}
