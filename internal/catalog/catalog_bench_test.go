package catalog_test

import (
	"context"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"testing"

	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/demo"
	"github.com/vitrin/vitrin/internal/testdb"
)

// benchModel builds the read model of a demo store (20,000 products, or
// VITRIN_BENCH_PRODUCTS). These benchmarks measure the uncached work of
// each answer; HTTP throughput is measured with wrk against `vitrin serve`.
func benchModel(b *testing.B) (*catalog.Service, *catalog.Model) {
	b.Helper()
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("VITRIN_BENCH_PRODUCTS")); err == nil && v > 0 {
		n = v
	}
	db := testdb.Open(b)
	ctx := context.Background()
	if _, err := demo.LoadIfEmpty(ctx, db, n); err != nil {
		b.Fatal(err)
	}
	svc := catalog.New(db)
	m, err := svc.Current(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(m.Len()), "products")
	return svc, m
}

func BenchmarkBuildModel(b *testing.B) {
	svc, _ := benchModel(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := svc.Rebuild(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkModelMemory reports the heap one model holds per product
// (live bytes after a collection, nothing shared with the serving model).
func BenchmarkModelMemory(b *testing.B) {
	svc, m := benchModel(b)
	var before, after runtime.MemStats
	for i := 0; i < b.N; i++ {
		runtime.GC()
		runtime.ReadMemStats(&before)
		fresh := svc.BuildDetached(b)
		runtime.GC()
		runtime.ReadMemStats(&after)
		writeHeapProfile(b)
		runtime.KeepAlive(fresh)
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(m.Len()), "heapB/product")
	b.ReportMetric(float64(after.HeapObjects-before.HeapObjects)/float64(m.Len()), "objects/product")
}

// writeHeapProfile writes the heap profile to VITRIN_BENCH_HEAPPROFILE,
// if set: what the models hold, by the code that allocated it.
func writeHeapProfile(b *testing.B) {
	path := os.Getenv("VITRIN_BENCH_HEAPPROFILE")
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.WriteHeapProfile(f)
		f.Close()
	}
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkApplyPriceChange: what a node does for an ERP's price change
// of one product: read the change log, reload the product, swap in a copy
// of the model with it (the price order and facet of its currency redone).
func BenchmarkApplyPriceChange(b *testing.B) {
	svc, m := benchModel(b)
	ctx := context.Background()
	id := m.ProductIDs()[m.Len()/2]
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		svc.ChangePrice(b, id, int64(10000+i%5000*100))
		b.StartTimer()
		if _, err := svc.Sync(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if svc.Builds() != 1 {
		b.Fatalf("%d builds: the changes were not applied in place", svc.Builds())
	}
}

func BenchmarkListWithFacets(b *testing.B) {
	_, m := benchModel(b)
	cases := map[string]url.Values{
		"all":        {},
		"two-facets": {"attributes_color": {"Siyah", "Black", "Kırmızı"}, "attributes_size": {"M"}},
		"search":     {"search_text": {"elbise"}},
		"price-sort": {"sorter": {"-price"}, "page": {"3"}},
	}
	for name, params := range cases {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := m.List(catalog.ListRequest{Params: params, Currency: "TRY", Language: "tr-tr"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkProductPage(b *testing.B) {
	svc, m := benchModel(b)
	p, _ := m.Product(m.ProductIDs()[m.Len()/2])
	var group []int64
	for _, q := range m.Group(p) {
		group = append(group, q.ID)
	}
	params := url.Values{"size": {"M"}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		stock, err := svc.Stock(context.Background(), group)
		if err != nil {
			b.Fatal(err)
		}
		m.ProductPage(p, params, stock, "TRY")
	}
}

func BenchmarkAutocomplete(b *testing.B) {
	_, m := benchModel(b)
	queries := []string{"e", "el", "elb", "elbi", "elbis", "elbise", "ELBİSE", "gömlek siyah"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Autocomplete(queries[i%len(queries)], 8)
	}
}
