package catalog

import (
	"context"
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"testing"
)

// ProductIDs lists the model's products' ids.
func (m *Model) ProductIDs() []int64 {
	return slices.Clone(m.ids)
}

// ChangePrice sets the TRY price of product id as an ERP's update does:
// the row and the change log in one transaction.
func (s *Service) ChangePrice(tb testing.TB, id, price int64) {
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "UPDATE product_prices SET price = $1 WHERE product_id = $2 AND currency = 'TRY'", price, id); err != nil {
		tb.Fatal(err)
	}
	if _, err := RecordChanges(ctx, tx, []int64{id}); err != nil {
		tb.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// CompareWithRebuild fails t when the model s serves answers anything
// differently from a model built afresh from the database.
func CompareWithRebuild(t *testing.T, s *Service, name string) {
	t.Helper()
	got := s.model.Load()
	want, err := load(context.Background(), s.db, s.promos, got.Version, nil)
	if err != nil {
		t.Fatal(err)
	}
	compareModels(t, name, got, want)
}

// compareModels fails when two models answer anything differently.
func compareModels(t *testing.T, name string, got, want *Model) {
	t.Helper()
	if got.size() != want.size() {
		t.Fatalf("%s: %d products, want %d", name, got.size(), want.size())
	}
	for i := range want.size() {
		g, p := got.at(int32(i)), want.at(int32(i))
		if g.ID != p.ID || g.Stock != p.Stock || !samePrices(g.Prices, p.Prices) || !sameIndexing(g, p) {
			t.Fatalf("%s: product %d is %+v, want %+v", name, p.ID, g, p)
		}
	}
	for _, cur := range want.Store.Currencies {
		if !slices.Equal(got.byPrice[cur].flat(), want.byPrice[cur].flat()) || !slices.Equal(flat(got.prices[cur]), flat(want.prices[cur])) {
			t.Fatalf("%s: the %s price order differs", name, cur)
		}
		if !reflect.DeepEqual(got.priceBuckets[cur], want.priceBuckets[cur]) {
			t.Fatalf("%s: the %s price facet differs", name, cur)
		}
	}
	for _, params := range []url.Values{
		{},
		{"sorter": {"price"}},
		{"sorter": {"-price"}, "page": {"2"}},
		{"sorter": {"newcomers"}, "price": {"0-100"}},
		{"price__gte": {"100"}, "price__lte": {"800"}},
		{"search_text": {"elb"}, "sorter": {"price"}},
	} {
		for _, cur := range want.Store.Currencies {
			req := ListRequest{Params: params, Currency: cur, Language: "tr-tr"}
			g, err1 := got.List(req)
			w, err2 := want.List(req)
			if err1 != nil || err2 != nil {
				t.Fatalf("%s: list %v: %v, %v", name, params, err1, err2)
			}
			gf, _ := json.Marshal(g.Facets)
			wf, _ := json.Marshal(w.Facets)
			if !slices.Equal(listingIDs(g), listingIDs(w)) || string(gf) != string(wf) || g.Total != w.Total {
				t.Fatalf("%s: listing %v in %s differs: %v, want %v\nfacets %s\nwant %s", name, params, cur, listingIDs(g), listingIDs(w), gf, wf)
			}
		}
	}
}

func listingIDs(l *Listing) []int64 {
	var ids []int64
	for _, p := range l.Products {
		ids = append(ids, p.ID)
	}
	return ids
}

// BuildDetached builds a model of the database as it is now, sharing
// nothing with the model s serves: what one model holds on its own.
func (s *Service) BuildDetached(tb testing.TB) *Model {
	m, err := load(context.Background(), s.db, s.promos, 0, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func flat[T any](c chunked[T]) []T {
	out := make([]T, 0, c.len())
	c.each(func(_ int32, v T) { out = append(out, v) })
	return out
}

// Len is how many products the model holds.
func (m *Model) Len() int { return m.size() }
