package admin

import (
	"net/http"

	"github.com/vitrin/vitrin/internal/inventory"
)

// setStock sets the stock of products by SKU, all rows or none.
func (s *Server) setStock(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Items []inventory.StockRow `json:"items"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.inventory.SetStock(r.Context(), in.Items)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

// setPrices sets the prices of products by SKU and currency, all rows or
// none.
func (s *Server) setPrices(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Items []inventory.PriceRow `json:"items"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.inventory.SetPrices(r.Context(), in.Items)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}
