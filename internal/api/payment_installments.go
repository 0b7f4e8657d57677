package api

import "net/http"

// productInstallments is the installment table of a product page
// (GET /payments/cards/product/<pk>/): per card family, the installments
// the checkout offers for the product's price in the shopper's currency.
// A product with no price in that currency has none.
func (s *Server) productInstallments(w http.ResponseWriter, r *http.Request) error {
	_, p, err := s.productFromPath(r)
	if err != nil {
		return err
	}
	price, priced := p.Prices.Get(s.currency(r))
	if !priced {
		return writeJSON(w, http.StatusOK, []any{})
	}
	tables, err := s.checkout.ProductInstallments(r.Context(), price.Price)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, tables)
}
