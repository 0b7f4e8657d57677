package api

import "net/http"

// productInstallments is the installment table of a product page
// (GET /payments/cards/product/<pk>/): per card family, the installments
// the checkout offers for the product's price in the shopper's currency.
// A product with no price in that currency has none.
func (s *Server) productInstallments(w http.ResponseWriter, r *http.Request) {
	_, p, ok := s.productFromPath(w, r)
	if !ok {
		return
	}
	price, priced := p.Prices.Get(s.currency(r))
	if !priced {
		writeJSON(w, http.StatusOK, []any{})
		return
	}
	tables, err := s.shop.checkout.ProductInstallments(r.Context(), price.Price)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, tables)
}
