package storeimport

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/vitrin/vitrin/internal/money"
)

// The checkout sections (issue 6). Orders point at these rows, so a
// replace import deactivates the ones it does not list.
func init() {
	Register("delivery_options", loadDeliveryOptions)
	Register("shipping_options", loadShippingOptions)
	Register("payment_options", loadPaymentOptions)
	Register("bank_accounts", loadBankAccounts)
	Register("cancellation_reasons", loadCancellationReasons)
}

// PaymentTypes are the payment option types the format knows.
var PaymentTypes = []string{"credit_card", "funds_transfer", "pay_on_delivery", "redirection", "loyalty_money"}

// moneyJSON stores a currency → amount map as {"TRY": 4990} (minor units).
func moneyJSON(m map[string]money.Amount) string {
	if m == nil {
		return "{}"
	}
	// money.Amount marshals as "49.90"; the column keeps minor units.
	units := make(map[string]int64, len(m))
	for c, a := range m {
		units[c] = int64(a)
	}
	raw, _ := json.Marshal(units)
	return string(raw)
}

// upsertSimple is the shape every checkout section shares: upsert by one
// natural key, deactivate the rest on replace.
func upsertSimple(imp *Import, table, keyCol string, read func(r *Record) (key string, cols []string, vals []any)) error {
	var keep idSet
	replace, err := imp.Items(func(r *Record) error {
		key, cols, vals := read(r)
		if !r.Done() || !imp.Ok() {
			return nil
		}
		id, _, err := imp.upsert(row{table: table, keyCols: []string{keyCol}, keyVals: []any{key},
			hash: r.Hash(), cols: cols, vals: vals, activeCol: "is_active"})
		if keep.has(id) {
			r.Fail(keyCol, "given twice")
		}
		keep.add(id)
		return err
	})
	if err != nil || !replace || !imp.Ok() {
		return err
	}
	return imp.removeRest(table, &keep, "is_active")
}

func loadDeliveryOptions(ctx context.Context, imp *Import) error {
	return upsertSimple(imp, "delivery_options", "slug", func(r *Record) (string, []string, []any) {
		return code(r, "slug"), []string{"name", "type", "sort_order"},
			[]any{r.String("name"), r.OneOf("type", "customer", "customer", "retail_store"), r.Int("sort_order", 0, 0, 1<<31-1)}
	})
}

func loadShippingOptions(ctx context.Context, imp *Import) error {
	return upsertSimple(imp, "shipping_options", "slug", func(r *Record) (string, []string, []any) {
		countries := r.Strings("countries")
		for i, c := range countries {
			countries[i] = strings.ToLower(c)
		}
		if countries == nil {
			countries = []string{}
		}
		rawCountries, _ := json.Marshal(countries)
		prices := r.MoneyMap("prices")
		if len(prices) == 0 && !r.Has("prices") {
			r.Fail("prices", "required: the price per currency")
		}
		return code(r, "slug"), []string{"name", "description", "countries", "prices", "free_above", "sort_order"},
			[]any{r.String("name"), r.OptString("description", ""), string(rawCountries), moneyJSON(prices),
				moneyJSON(r.MoneyMap("free_above")), r.Int("sort_order", 0, 0, 1<<31-1)}
	})
}

type installmentJSON struct {
	Count        int64  `json:"count"`
	InterestRate string `json:"interest_rate"`
}

func loadPaymentOptions(ctx context.Context, imp *Import) error {
	return upsertSimple(imp, "payment_options", "slug", func(r *Record) (string, []string, []any) {
		installments := []installmentJSON{}
		for _, o := range r.Objects("installments") {
			installments = append(installments, installmentJSON{Count: o.Int("count", 1, 1, 48), InterestRate: o.Decimal("interest_rate", "0")})
		}
		rawInstallments, _ := json.Marshal(installments)
		return code(r, "slug"), []string{"name", "type", "gateway", "installments", "pay_on_delivery_fee", "sort_order"},
			[]any{r.String("name"), r.OneOf("type", "credit_card", PaymentTypes...), r.OneOf("gateway", "sandbox", "sandbox", "stripe"),
				string(rawInstallments), moneyJSON(r.MoneyMap("pay_on_delivery_fee")), r.Int("sort_order", 0, 0, 1<<31-1)}
	})
}

func loadBankAccounts(ctx context.Context, imp *Import) error {
	return upsertSimple(imp, "bank_accounts", "iban", func(r *Record) (string, []string, []any) {
		iban := strings.ToUpper(strings.ReplaceAll(r.String("iban"), " ", ""))
		return iban, []string{"bank", "holder_name", "description", "sort_order"},
			[]any{r.String("bank"), r.OptString("holder_name", ""), r.OptString("description", ""), r.Int("sort_order", 0, 0, 1<<31-1)}
	})
}

func loadCancellationReasons(ctx context.Context, imp *Import) error {
	return upsertSimple(imp, "cancellation_reasons", "code", func(r *Record) (string, []string, []any) {
		return code(r, "code"), []string{"subject", "cancellation_type", "extra_information_needed"},
			[]any{r.String("subject"), r.OneOf("cancellation_type", "cancel", "cancel", "refund"), r.Bool("extra_information_needed", false)}
	})
}
