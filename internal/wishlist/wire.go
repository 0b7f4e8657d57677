package wishlist

import "github.com/vitrin/vitrin/internal/catalog"

// ItemJSON is a favourite or alert in a list: the product as listings show it.
type ItemJSON struct {
	PK      int64               `json:"pk"`
	Product catalog.ProductJSON `json:"product"`
}

// Wire renders it with the product card of model m (a bare pk and stock
// while the model does not have the product yet).
func (it Item) Wire(m *catalog.Model, currency, language string, offers catalog.Offers) ItemJSON {
	if product, ok := m.Product(it.ProductID); ok {
		return ItemJSON{PK: it.ID, Product: product.Wire(currency, language, it.Stock, offers)}
	}
	return ItemJSON{PK: it.ID, Product: catalog.ProductJSON{PK: it.ProductID, Stock: it.Stock}}
}

// CreatedJSON answers an add: the client's types have the product's pk.
type CreatedJSON struct {
	PK      int64 `json:"pk"`
	Product int64 `json:"product"`
}

// Created renders it as the answer to its add.
func (it Item) Created() CreatedJSON { return CreatedJSON{PK: it.ID, Product: it.ProductID} }
