// Command changes is the "changes while shoppers browse" load of the
// bench: it changes the price and stock of one product at a time, at a
// steady rate, the way an ERP feed does (through the management API's
// bulk updates with -admin, else an import of that product alone), and
// measures how long each change takes to commit and how long until every
// node serves the new price on the product's page.
//
//	changes -database URL -store store.json -nodes http://a,http://b -rate 100 -seconds 30 \
//		[-admin http://127.0.0.1:8001 -token TOKEN]
//
// The products changed are the store file's first ones (-products of them).
// One change a second is followed on every node: its page is asked for
// every 10 ms until it shows the new price. It prints one summary line of
// JSON: the rate reached, commit times and times until visible per node.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/storeimport"
)

func main() {
	dbURL := flag.String("database", "", "the store's database URL")
	storeFile := flag.String("store", "", "the imported store file, whose first products are changed")
	nodes := flag.String("nodes", "", "comma-separated base URLs of the nodes to watch")
	rate := flag.Int("rate", 100, "changes per second")
	seconds := flag.Int("seconds", 30, "how long to run")
	count := flag.Int("products", 200, "how many products to change, in turn")
	admin := flag.String("admin", "", "the management API's base URL: changes go through its bulk updates (else through an import)")
	token := flag.String("token", "", "a management API token with the catalog scope (with -admin)")
	flag.Parse()
	ctx := context.Background()
	db, err := database.Open(ctx, *dbURL)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	products, err := firstProducts(*storeFile, *count)
	if err != nil {
		log.Fatal(err)
	}
	ids, err := productIDs(ctx, db, products)
	if err != nil {
		log.Fatal(err)
	}
	r := &run{db: db, admin: *admin, token: *token, nodes: strings.Split(*nodes, ","), visible: map[string][]time.Duration{}}
	tick := time.NewTicker(time.Second / time.Duration(*rate))
	defer tick.Stop()
	end := time.Now().Add(time.Duration(*seconds) * time.Second)
	for i := 0; time.Now().Before(end); i++ {
		<-tick.C
		p := products[i%len(products)]
		price := fmt.Sprintf("%d.%02d", 100+i%900, i%100)
		p["prices"].(map[string]any)["TRY"] = map[string]any{"price": price, "retail_price": price}
		p["stock"] = 1 + i%50
		committed, err := r.change(ctx, p)
		if err != nil {
			log.Fatal(err)
		}
		if i%*rate == 0 && *nodes != "" { // one change a second is followed
			r.wg.Add(1)
			go r.follow(ids[p["sku"].(string)], price, committed)
		}
	}
	r.wg.Wait()
	r.report(float64(len(r.commits)) / float64(*seconds))
}

type run struct {
	db      *database.DB
	admin   string // the management API, or "" to import
	token   string
	nodes   []string
	commits []time.Duration
	mu      sync.Mutex
	visible map[string][]time.Duration // by node
	wg      sync.WaitGroup
}

// change writes one product's new price and stock and returns when it was
// committed.
func (r *run) change(ctx context.Context, product map[string]any) (time.Time, error) {
	start := time.Now()
	var err error
	if r.admin != "" {
		err = r.update(ctx, product)
	} else {
		err = r.importOne(ctx, product)
	}
	if err != nil {
		return time.Time{}, err
	}
	now := time.Now()
	r.commits = append(r.commits, now.Sub(start))
	return now, nil
}

// importOne imports the product record alone.
func (r *run) importOne(ctx context.Context, product map[string]any) error {
	doc, err := json.Marshal(map[string]any{"format": storeimport.Format, "products": []any{product}})
	if err != nil {
		return err
	}
	_, err = storeimport.Run(ctx, r.db, bytes.NewReader(doc), storeimport.Options{})
	return err
}

// update sends the product's TRY price and its stock to the management
// API's bulk updates, as an ERP feed does.
func (r *run) update(ctx context.Context, product map[string]any) error {
	sku := product["sku"]
	price := product["prices"].(map[string]any)["TRY"].(map[string]any)
	if err := r.post(ctx, "/v1/catalog/prices", map[string]any{"sku": sku, "currency": "TRY",
		"price": price["price"], "retail_price": price["retail_price"]}); err != nil {
		return err
	}
	return r.post(ctx, "/v1/catalog/stock", map[string]any{"sku": sku, "stock": product["stock"]})
}

func (r *run) post(ctx context.Context, path string, item map[string]any) error {
	body, err := json.Marshal(map[string]any{"items": []any{item}})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", r.admin+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %d %s", path, resp.StatusCode, answer)
	}
	return nil
}

// follow asks every node for the product's page until it shows price.
func (r *run) follow(id int64, price string, committed time.Time) {
	defer r.wg.Done()
	var wg sync.WaitGroup
	for _, node := range r.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			url := fmt.Sprintf("%s/product/%d/", node, id)
			for time.Since(committed) < time.Minute {
				if shown(url) == price {
					r.mu.Lock()
					r.visible[node] = append(r.visible[node], time.Since(committed))
					r.mu.Unlock()
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
}

// shown is the price a product page shows ("" on any failure).
func shown(url string) string {
	resp, err := http.Get(url)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var page struct {
		Product struct {
			Price string `json:"price"`
		} `json:"product"`
	}
	body, _ := io.ReadAll(resp.Body)
	if json.Unmarshal(body, &page) != nil {
		return ""
	}
	return page.Product.Price
}

func (r *run) report(rate float64) {
	out := map[string]any{"rate": rate, "changes": len(r.commits), "commit_ms": percentiles(r.commits)}
	visible := map[string]any{}
	for node, ds := range r.visible {
		visible[node] = percentiles(ds)
	}
	out["visible_ms"] = visible
	json.NewEncoder(os.Stdout).Encode(out)
}

// percentiles are p50, p99 and max in milliseconds, with the count.
func percentiles(ds []time.Duration) map[string]float64 {
	if len(ds) == 0 {
		return map[string]float64{"n": 0}
	}
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return map[string]float64{"n": float64(len(ds)), "p50": ms(ds[len(ds)/2]), "p99": ms(ds[len(ds)*99/100]), "max": ms(ds[len(ds)-1])}
}

// firstProducts reads the first n records of the store file's products
// section without reading the rest.
func firstProducts(file string, n int) ([]map[string]any, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	if _, err := dec.Token(); err != nil { // {
		return nil, err
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, err
		}
		if key != "products" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, err
			}
			continue
		}
		if _, err := dec.Token(); err != nil { // [
			return nil, err
		}
		var out []map[string]any
		for dec.More() && len(out) < n {
			var p map[string]any
			if err := dec.Decode(&p); err != nil {
				return nil, err
			}
			out = append(out, p)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: no products section", file)
}

// productIDs maps the products' SKUs to their ids.
func productIDs(ctx context.Context, db *database.DB, products []map[string]any) (map[string]int64, error) {
	ids := map[string]int64{}
	for _, p := range products {
		sku, _ := p["sku"].(string)
		var id int64
		if err := db.QueryRowContext(ctx, "SELECT id FROM products WHERE sku = $1", sku).Scan(&id); err != nil {
			return nil, fmt.Errorf("product %q: %w", sku, err)
		}
		ids[sku] = id
	}
	return ids, nil
}
