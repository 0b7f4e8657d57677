// Package inventory applies catalog deltas by SKU without a whole import:
// the stock and the prices a merchant's ERP or warehouse sends, up to
// MaxRows rows a request, in one transaction, all or nothing. Every bad
// row is named in the refusal (items[i].field), so the sender fixes them
// all at once. Only rows whose numbers actually move count as changed:
// they are logged with catalog.RecordChanges, so every node serves them
// within the freshness bound, and products that come back from zero stock
// fire their stock alerts.
package inventory

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/money"
)

// MaxRows is the most rows one update takes.
const MaxRows = 10_000

// maxStock is the largest stock the products table holds (a 32-bit INTEGER).
const maxStock = 1<<31 - 1

// StockRow sets the stock of the product with SKU. Stock is the raw JSON
// token, read by the rules below so that a bad one is named with its row.
type StockRow struct {
	SKU   string          `json:"sku"`
	Stock json.RawMessage `json:"stock"`
}

// PriceRow sets the price of the product with SKU in Currency. Price and
// RetailPrice are decimal strings ("199.90") kept as raw JSON tokens; a
// missing retail price is the price.
type PriceRow struct {
	SKU         string          `json:"sku"`
	Currency    string          `json:"currency"`
	Price       json.RawMessage `json:"price"`
	RetailPrice json.RawMessage `json:"retail_price"`
}

// Result is what an update did.
type Result struct {
	Rows      int `json:"rows"`      // rows received
	Changed   int `json:"changed"`   // rows whose numbers moved
	Restocked int `json:"restocked"` // products back from zero stock
}

// Restocked is told, in the update's transaction, of the products whose
// stock went from zero to more (see app.Services.Restocked).
type Restocked func(ctx context.Context, tx *sql.Tx, productIDs []int64) error

// Service applies the updates.
type Service struct {
	db        *database.DB
	restocked Restocked
}

// New returns the service over db; restocked may be nil.
func New(db *database.DB, restocked Restocked) *Service {
	return &Service{db: db, restocked: restocked}
}

// rowErrors collects the refusals of an update, keyed by row.
type rowErrors apperror.Fields

func (e rowErrors) add(i int, field, sku, message string) {
	key := "items[" + strconv.Itoa(i) + "]." + field
	if sku != "" {
		message = fmt.Sprintf("%s (sku %q)", message, sku)
	}
	apperror.Fields(e).Add(key, message)
}

func (e rowErrors) orNil() error { return apperror.Fields(e).OrNil() }

// checkCount refuses an empty or an oversized update.
func checkCount(n int) error {
	if n == 0 {
		return apperror.Field("items", "Send at least one row.")
	}
	if n > MaxRows {
		return apperror.Field("items", "Send at most "+strconv.Itoa(MaxRows)+" rows a request; this one has "+strconv.Itoa(n)+".")
	}
	return nil
}

// parseStock reads a stock token: a whole JSON number from 0 to maxStock.
func parseStock(raw json.RawMessage) (int64, string) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, "This field is required."
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	switch {
	case err != nil && raw[0] != '-':
		return 0, "Enter a whole number."
	case err != nil || n < 0:
		return 0, "Stock cannot be negative."
	case n > maxStock:
		return 0, "Enter a stock of at most " + strconv.Itoa(maxStock) + "."
	}
	return n, ""
}

// parsePrice reads a price token: a JSON string holding a decimal of at
// most two fraction digits, zero or more. A number is refused: it would
// go through a float somewhere on its way.
func parsePrice(raw json.RawMessage) (money.Amount, string) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, "This field is required."
	}
	var s string
	if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return 0, `Enter the price as a decimal string, such as "199.90".`
	}
	a, err := money.Parse(s)
	switch {
	case err != nil:
		return 0, "Enter a decimal with at most two decimals."
	case a < 0:
		return 0, "A price cannot be negative."
	}
	return a, ""
}

// checkSKU refuses a row without a SKU and a row whose key (its SKU, or
// SKU and currency) an earlier row of the update already has; first
// remembers the row of each key.
func (e rowErrors) checkSKU(i int, sku, key string, first map[string]int) {
	if sku == "" {
		e.add(i, "sku", "", "This field is required.")
		return
	}
	if j, seen := first[key]; seen {
		e.add(i, "sku", sku, "Row "+strconv.Itoa(j)+" already updates it; send each once.")
		return
	}
	first[key] = i
}

// unknown names every row whose SKU is no product.
func unknown(skus []string, ids map[string]int64) error {
	bad := rowErrors{}
	for i, sku := range skus {
		if _, ok := ids[sku]; !ok && sku != "" {
			bad.add(i, "sku", sku, "No product has this SKU.")
		}
	}
	return bad.orNil()
}
