package storeimport

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/promotion"
)

func init() { Register("promotions", loadPromotions) }

// loadPromotions reads {"vouchers": [...], "offers": [...]} (vouchers keyed
// by code, offers by slug; "replace": true deactivates the ones the file
// does not list). Records are checked as they are read and written after
// the whole document, so categories may come later in the file.
func loadPromotions(ctx context.Context, imp *Import) error {
	r, err := imp.Object()
	if err != nil || r == nil {
		return err
	}
	replace := r.Bool("replace", false)
	type voucherRecord struct {
		v     promotion.Voucher
		cats  []string
		hash  string
		r     *Record
		valid bool
	}
	type offerRecord struct {
		o     promotion.Offer
		cats  []string
		hash  string
		r     *Record
		valid bool
	}
	var vouchers []voucherRecord
	for _, vr := range r.Objects("vouchers") {
		v, cats := readVoucher(vr)
		vouchers = append(vouchers, voucherRecord{v: v, cats: cats, hash: vr.Hash(), r: vr, valid: vr.Done()})
	}
	var offers []offerRecord
	for i, or := range r.Objects("offers") {
		o, cats := readOffer(or, int64(i))
		offers = append(offers, offerRecord{o: o, cats: cats, hash: or.Hash(), r: or, valid: or.Done()})
	}
	r.Done()
	promos := promotion.NewService(imp.DB())
	imp.After(func() error {
		imp.current = imp.sectionSummary("promotions")
		codes := map[string]bool{}
		for i := range vouchers {
			rec := &vouchers[i]
			if !rec.valid {
				continue
			}
			if codes[rec.v.Code] {
				rec.r.Fail("code", "given twice")
				continue
			}
			codes[rec.v.Code] = true
			ids, ok, err := promotionCategories(ctx, imp, rec.r, rec.cats)
			if err != nil || !ok {
				return err
			}
			rec.v.Categories = ids
			if err := savePromotion(ctx, imp, "vouchers", "code", rec.v.Code, rec.hash, func() error {
				_, err := promos.SaveVoucher(ctx, imp.Tx(), &rec.v)
				return err
			}); err != nil {
				return err
			}
		}
		slugs := map[string]bool{}
		for i := range offers {
			rec := &offers[i]
			if !rec.valid {
				continue
			}
			if slugs[rec.o.Slug] {
				rec.r.Fail("slug", "given twice")
				continue
			}
			slugs[rec.o.Slug] = true
			ids, ok, err := promotionCategories(ctx, imp, rec.r, rec.cats)
			if err != nil || !ok {
				return err
			}
			rec.o.Categories = ids
			if err := savePromotion(ctx, imp, "offers", "slug", rec.o.Slug, rec.hash, func() error {
				_, err := promos.SaveOffer(ctx, imp.Tx(), &rec.o)
				return err
			}); err != nil {
				return err
			}
		}
		if !replace || !imp.Ok() {
			return nil
		}
		if err := deactivateRest(ctx, imp, "vouchers", "code", codes); err != nil {
			return err
		}
		return deactivateRest(ctx, imp, "offers", "slug", slugs)
	})
	return nil
}

func readVoucher(r *Record) (promotion.Voucher, []string) {
	v := promotion.Voucher{Code: promotion.NormalizeCode(r.String("code")), Active: r.Bool("active", true)}
	v.Kind = r.OneOf("type", "", promotion.Percent, promotion.Amount)
	v.Currency = r.OptString("currency", "")
	if v.Currency != "" && !IsCurrency(v.Currency) {
		r.Fail("currency", "not an ISO 4217 currency code in upper case")
	}
	switch v.Kind {
	case promotion.Percent:
		v.Value = percent(r, "value")
	case promotion.Amount:
		v.Value = int64(r.Money("value"))
		if v.Value <= 0 && r.Has("value") {
			r.Fail("value", "must be more than zero")
		}
	}
	v.MinBasket, _ = r.OptMoney("min_basket")
	v.MaxDiscount, _ = r.OptMoney("max_discount")
	if v.Currency == "" && (v.Kind == promotion.Amount || v.MinBasket > 0 || v.MaxDiscount > 0) {
		r.Fail("currency", "required for an amount voucher and for min_basket or max_discount")
	}
	if t := r.Time("starts"); !t.IsZero() {
		v.Starts = &t
	}
	if t := r.Time("ends"); !t.IsZero() {
		v.Ends = &t
	}
	if v.Starts != nil && v.Ends != nil && !v.Ends.After(*v.Starts) {
		r.Fail("ends", "must be after starts")
	}
	v.UsageLimit = r.Int("usage_limit", 0, 0, 1<<31-1)
	v.PerCustomerLimit = r.Int("per_customer_limit", 0, 0, 1<<31-1)
	return v, r.Strings("categories")
}

func readOffer(r *Record, position int64) (promotion.Offer, []string) {
	o := promotion.Offer{Slug: code(r, "slug"), Label: r.OptString("label", ""), Active: r.Bool("active", true)}
	for lang, label := range offerLabels(r) {
		if o.Labels == nil {
			o.Labels = map[string]string{}
		}
		o.Labels[lang] = label
	}
	o.SortOrder = r.Int("sort_order", position, -1<<31, 1<<31-1)
	o.Kind = r.OneOf("kind", "", promotion.Percent, promotion.BuyXPayY, promotion.FreeShipping)
	switch o.Kind {
	case promotion.Percent:
		o.Value = percent(r, "value")
	case promotion.BuyXPayY:
		o.Buy = r.Int("buy", 0, 2, 1000)
		o.Pay = r.Int("pay", 0, 1, 999)
		if !r.Has("buy") || !r.Has("pay") {
			r.Fail("buy", "buy and pay are required")
		} else if o.Pay >= o.Buy {
			r.Fail("pay", "must be less than buy")
		}
	case promotion.FreeShipping:
		o.MinBasket = r.MoneyMap("min_basket")
		if !r.Has("min_basket") {
			r.Fail("min_basket", `required: the amount per currency, such as {"TRY": "750.00"}`)
		}
	}
	if t := r.Time("starts"); !t.IsZero() {
		o.Starts = &t
	}
	if t := r.Time("ends"); !t.IsZero() {
		o.Ends = &t
	}
	return o, r.Strings("categories")
}

// offerLabels reads "translations": {"en-us": {"label": "..."}}.
func offerLabels(r *Record) map[string]string {
	var t map[string]map[string]any
	if err := json.Unmarshal([]byte(r.Translations()), &t); err != nil {
		return nil
	}
	labels := map[string]string{}
	for lang, fields := range t {
		if label, ok := fields["label"].(string); ok && label != "" {
			labels[lang] = label
		}
	}
	return labels
}

// percent reads a percentage ("10", "12.5") as basis points.
func percent(r *Record, key string) int64 {
	s := r.Decimal(key, "")
	if s == "" {
		if !r.Has(key) {
			r.Fail(key, "required")
		}
		return 0
	}
	bp, err := money.Parse(s)
	if err != nil || bp <= 0 || bp > 10000 {
		r.Fail(key, "must be a percentage above 0 and at most 100, with at most 2 fraction digits")
		return 0
	}
	return int64(bp)
}

func promotionCategories(ctx context.Context, imp *Import, r *Record, codes []string) ([]int64, bool, error) {
	ids, missing, err := promotion.CategoryIDs(ctx, imp.Tx(), codes)
	if err != nil {
		return nil, false, err
	}
	if len(missing) > 0 {
		r.Fail("categories", "unknown categories: "+strings.Join(missing, ", "))
		return nil, false, nil
	}
	return ids, true, nil
}

// savePromotion writes one promotion unless its stored digest shows it
// unchanged (and active), and counts the outcome.
func savePromotion(ctx context.Context, imp *Import, table, keyCol, key, hash string, save func() error) error {
	var stored string
	var active bool
	err := imp.Tx().QueryRowContext(ctx, "SELECT import_hash, active FROM "+table+" WHERE "+keyCol+" = $1", key).Scan(&stored, &active)
	outcome := Updated
	switch {
	case errors.Is(err, sql.ErrNoRows):
		outcome = Created
	case err != nil:
		return err
	case stored == hash && active:
		imp.Count(Unchanged)
		return nil
	}
	if err := save(); err != nil {
		return err
	}
	if _, err := imp.Tx().ExecContext(ctx, "UPDATE "+table+" SET import_hash = $1 WHERE "+keyCol+" = $2", hash, key); err != nil {
		return err
	}
	imp.Count(outcome)
	return nil
}

func deactivateRest(ctx context.Context, imp *Import, table, keyCol string, keep map[string]bool) error {
	rows, err := imp.Tx().QueryContext(ctx, "SELECT "+keyCol+" FROM "+table+" WHERE active")
	if err != nil {
		return err
	}
	var drop []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return err
		}
		if !keep[k] {
			drop = append(drop, k)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, k := range drop {
		if _, err := imp.Tx().ExecContext(ctx, "UPDATE "+table+" SET active = FALSE, import_hash = '' WHERE "+keyCol+" = $1", k); err != nil {
			return err
		}
		imp.Count(Removed)
	}
	return nil
}
