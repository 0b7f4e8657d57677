package inventory

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/money"
)

// price is one checked price row.
type price struct {
	sku, currency string
	id            int64
	price, retail money.Amount
}

// SetPrices sets the price and retail price of each row's product in its
// currency, all or nothing. A currency the product had no price in gets one.
func (s *Service) SetPrices(ctx context.Context, rows []PriceRow) (*Result, error) {
	if err := checkCount(len(rows)); err != nil {
		return nil, err
	}
	res := &Result{Rows: len(rows)}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		store, err := catalog.LoadStoreSettings(ctx, tx)
		if err != nil {
			return err
		}
		prices, bad := checkPrices(rows, store)
		skus := make([]string, len(prices))
		for i, p := range prices {
			skus[i] = p.sku
		}
		ids, err := lookup(ctx, tx, skus)
		if err != nil {
			return err
		}
		if err := apperror.Merge(bad, unknown(skus, ids)); err != nil {
			return err
		}
		for i := range prices {
			prices[i].id = ids[prices[i].sku]
		}
		changed, err := writePrices(ctx, tx, prices)
		if err != nil {
			return err
		}
		res.Changed = len(changed)
		if err := touch(ctx, tx, changed, time.Now().UTC()); err != nil {
			return err
		}
		return s.finish(ctx, tx, changed, nil)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// checkPrices reads the rows and names every bad one but for unknown
// SKUs, which take a query.
func checkPrices(rows []PriceRow, store catalog.StoreSettings) ([]price, error) {
	bad := rowErrors{}
	out := make([]price, len(rows))
	first := map[string]int{}
	for i, r := range rows {
		cur := store.Currency(r.Currency)
		if cur == "" {
			bad.add(i, "currency", r.SKU, "The store does not sell in "+strconv.Quote(r.Currency)+"; it sells in "+strings.Join(store.Currencies, ", ")+".")
		}
		bad.checkSKU(i, r.SKU, r.SKU+"\x00"+cmp.Or(cur, r.Currency), first)
		p := price{sku: r.SKU, currency: cur}
		var problem string
		if p.price, problem = parsePrice(r.Price); problem != "" {
			bad.add(i, "price", r.SKU, problem)
		}
		p.retail = p.price
		if len(r.RetailPrice) > 0 {
			if p.retail, problem = parsePrice(r.RetailPrice); problem != "" {
				bad.add(i, "retail_price", r.SKU, problem)
			}
		}
		out[i] = p
	}
	return out, bad.orNil()
}

// writePrices upserts the prices in (product, currency) order, so that
// updates of the same products never deadlock, and returns the products
// of the rows whose prices moved, one per row: a price already at its
// value is not written.
func writePrices(ctx context.Context, tx *sql.Tx, prices []price) ([]int64, error) {
	slices.SortFunc(prices, func(a, b price) int {
		return cmp.Or(cmp.Compare(a.id, b.id), cmp.Compare(a.currency, b.currency))
	})
	var changed []int64
	err := chunks(len(prices), func(from, to int) error {
		args := make([]any, 0, 4*(to-from))
		for _, p := range prices[from:to] {
			args = append(args, p.id, p.currency, int64(p.price), int64(p.retail))
		}
		values := make([]string, to-from)
		for i := range values {
			values[i] = "(" + marks(4*i+1, 4) + ")"
		}
		return scan(ctx, tx, `INSERT INTO product_prices (product_id, currency, price, retail_price) VALUES `+strings.Join(values, ", ")+`
			ON CONFLICT (product_id, currency) DO UPDATE SET price = excluded.price, retail_price = excluded.retail_price
			WHERE product_prices.price <> excluded.price OR product_prices.retail_price <> excluded.retail_price
			RETURNING product_id`, args, func(rows *sql.Rows) error {
			var id int64
			err := rows.Scan(&id)
			changed = append(changed, id)
			return err
		})
	})
	return changed, err
}
