package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"

	"github.com/vitrin/vitrin/internal/demo"
	"github.com/vitrin/vitrin/internal/testdb"
)

// BenchmarkCatalogHTTP measures whole requests through the handler stack
// (middleware, version check, cache, encoding) on a demo store of 20,000
// products (VITRIN_BENCH_PRODUCTS), without a network in between. Cached
// answers are what storefronts mostly get; wrk against `vitrin serve`
// measures the same with real connections.
func BenchmarkCatalogHTTP(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("VITRIN_BENCH_PRODUCTS")); err == nil && v > 0 {
		n = v
	}
	// Access logs would dominate what is measured.
	defer slog.SetLogLoggerLevel(slog.SetLogLoggerLevel(slog.LevelWarn))
	db := testdb.Open(b)
	if _, err := demo.LoadIfEmpty(context.Background(), db, n); err != nil {
		b.Fatal(err)
	}
	s := newTestServer(b, db)
	for _, path := range []string{
		"/list/",
		"/category/3/",
		"/list/?attributes_color=Siyah&attributes_size=38",
		"/list/?search_text=elbise",
		"/product/" + strconv.Itoa(n/2) + "/",
		"/autocomplete/?search_text=elb",
	} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					w := httptest.NewRecorder()
					s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
					if w.Code != http.StatusOK {
						b.Fatalf("%s: %d %s", path, w.Code, w.Body)
					}
					io.Copy(io.Discard, w.Body)
				}
			})
		})
	}
}
