// Package demo writes the demo store: a deterministic, realistic apparel
// and home catalog in the import format (Turkish base texts with English
// translations, colour and size variants, prices in TRY and USD, stock,
// retail stores, geography, content and two customers). `vitrin serve
// --demo` loads it into an empty database; `vitrin demo --products N`
// writes large files for benchmarks.
//
// Demo logins: demo@vitrin.dev / vitrin-demo and elif@vitrin.dev / vitrin-demo.
package demo

import (
	"bufio"
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/storeimport"
)

// DefaultProducts is the size of the store `serve --demo` loads.
const DefaultProducts = 1000

// Password is the password of the demo customers.
const Password = "vitrin-demo"

// Options choose the size of the store and its random seed.
type Options struct {
	Products int
	Seed     int64
}

// LoadIfEmpty imports a demo store of n products into db unless the
// database already has products. It reports whether it loaded one.
func LoadIfEmpty(ctx context.Context, db *database.DB, n int) (bool, error) {
	var any int
	err := db.QueryRowContext(ctx, "SELECT 1 FROM products LIMIT 1").Scan(&any)
	if err == nil {
		return false, nil
	}
	if err != sql.ErrNoRows {
		return false, err
	}
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriter(pw)
		err := Write(bw, Options{Products: n, Seed: 1})
		if err == nil {
			err = bw.Flush()
		}
		pw.CloseWithError(err)
	}()
	_, err = storeimport.Run(ctx, db, pr, storeimport.Options{})
	pr.Close()
	return err == nil, err
}

// writer emits the document section by section.
type writer struct {
	w     io.Writer
	err   error
	first bool
}

func (w *writer) raw(s string) {
	if w.err == nil {
		_, w.err = io.WriteString(w.w, s)
	}
}

func (w *writer) value(v any) {
	if w.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		w.err = err
		return
	}
	_, w.err = w.w.Write(b)
}

// key starts a top-level key.
func (w *writer) key(name string) {
	if !w.first {
		w.raw(",\n")
	}
	w.first = false
	w.raw(`"` + name + `": `)
}

// section writes a top-level section if this build imports it.
func (w *writer) section(name string, v any) {
	if storeimport.Supported(name) {
		w.key(name)
		w.value(v)
	}
}

// list streams a list section: items calls emit for each record.
func (w *writer) list(name string, items func(emit func(v any))) {
	if !storeimport.Supported(name) {
		return
	}
	w.key(name)
	w.raw("[")
	n := 0
	items(func(v any) {
		if n > 0 {
			w.raw(",")
		}
		w.raw("\n")
		w.value(v)
		n++
	})
	w.raw("\n]")
}

// Write writes a demo store with opts.Products products to out.
func Write(out io.Writer, opts Options) error {
	g := &generator{rnd: rand.New(rand.NewSource(opts.Seed)), epoch: time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)}
	w := &writer{w: out, first: true}
	w.raw("{\n")
	w.key("format")
	w.value(storeimport.Format)
	w.section("store", map[string]any{"name": "Vitrin Demo", "default_currency": "TRY", "currencies": []string{"TRY", "USD"},
		"default_language": "tr-tr", "languages": []string{"tr-tr", "en-us"}, "country": "tr"})
	w.list("attributes", func(emit func(any)) {
		for _, a := range attributeRecords() {
			emit(a)
		}
	})
	w.list("categories", func(emit func(any)) {
		for _, c := range categoryRecords() {
			emit(c)
		}
	})
	w.section("geography", map[string]any{"countries": geography})
	w.list("products", func(emit func(any)) { g.products(opts.Products, emit) })
	w.list("retail_stores", func(emit func(any)) { g.retailStores(emit) })
	w.list("pages", func(emit func(any)) { g.pages(emit) })
	w.list("widgets", func(emit func(any)) { g.widgets(emit) })
	w.list("redirects", func(emit func(any)) { g.redirects(emit) })
	w.list("customers", func(emit func(any)) { customers(emit) })
	writeCommerce(w)
	w.raw("\n}\n")
	return w.err
}

type generator struct {
	rnd   *rand.Rand
	epoch time.Time
	// skus remembers some generated products for the sections that point
	// at products (stores, pages, widgets, redirects).
	skus   []string
	slugs  []string
	dress  string // slug of the first dress, for the demo redirect
	nextID int
}

type productRecord struct {
	SKU          string                       `json:"sku"`
	BaseCode     string                       `json:"base_code"`
	Name         string                       `json:"name"`
	Description  string                       `json:"description"`
	Slug         string                       `json:"slug"`
	Attributes   map[string]string            `json:"attributes"`
	Categories   []string                     `json:"categories"`
	Images       []string                     `json:"images"`
	TaxRate      string                       `json:"tax_rate"`
	Prices       map[string]map[string]string `json:"prices"`
	Stock        int                          `json:"stock"`
	Created      string                       `json:"created"`
	Translations map[string]map[string]string `json:"translations"`
}

// products emits n products: base products in every leaf category, each
// with colour × size variants sharing a base_code.
func (g *generator) products(n int, emit func(any)) {
	leaves := leafCategories()
	for made := 0; made < n; {
		g.nextID++
		leaf := leaves[g.rnd.Intn(len(leaves))]
		k := leaf.kind
		adj := adjectives[g.rnd.Intn(len(adjectives))]
		brand := brands[g.rnd.Intn(len(brands))]
		material := k.materials[g.rnd.Intn(len(k.materials))]
		base := fmt.Sprintf("%s-%06d", k.prefix, g.nextID)
		nameTR := adj.tr + " " + material.tr + " " + leaf.tr
		nameEN := adj.en + " " + material.en + " " + leaf.en
		colorCount := 1 + g.rnd.Intn(3)
		colorStart := g.rnd.Intn(len(colors))
		priceTRY := k.minPrice + g.rnd.Intn(k.maxPrice-k.minPrice+1)
		priceTRY = priceTRY/10*10 + 9 // 1299 → shown as 1299.90
		discounted := g.rnd.Intn(10) < 4
		for c := 0; c < colorCount && made < n; c++ {
			color := colors[(colorStart+c)%len(colors)]
			for _, size := range k.sizes {
				if made == n {
					break
				}
				sku := base + "-" + color.code + "-" + strings.ToUpper(slugify(size))
				slug := slugify(nameEN) + "-" + strings.ToLower(base) + "-" + color.code + "-" + slugify(size)
				stock := 1 + g.rnd.Intn(40)
				if g.rnd.Intn(10) == 0 {
					stock = 0
				}
				p := productRecord{
					SKU: sku, BaseCode: base, Name: nameTR + ", " + color.tr, Slug: slug,
					Description: fmt.Sprintf("%s markasından %s %s. %s", brand, strings.ToLower(material.tr), strings.ToLower(leaf.tr), k.careTR),
					Attributes:  map[string]string{"color": color.tr, "size": size, "brand": brand, "material": material.tr},
					Categories:  []string{leaf.code},
					Images: []string{
						fmt.Sprintf("https://picsum.photos/seed/%s-%s-1/800/1200", strings.ToLower(base), color.code),
						fmt.Sprintf("https://picsum.photos/seed/%s-%s-2/800/1200", strings.ToLower(base), color.code),
					},
					TaxRate: k.taxRate,
					Prices:  prices(priceTRY, discounted),
					Stock:   stock,
					Created: g.epoch.Add(-time.Duration(g.nextID) * time.Hour).Format(time.RFC3339),
					Translations: map[string]map[string]string{"en-us": {
						"name":        nameEN + ", " + color.en,
						"description": fmt.Sprintf("%s %s %s by %s. %s", adj.en, strings.ToLower(material.en), strings.ToLower(leaf.en), brand, k.careEN),
					}},
				}
				emit(p)
				made++
				if len(g.skus) < 48 {
					g.skus = append(g.skus, sku)
					g.slugs = append(g.slugs, slug)
				}
				if g.dress == "" && leaf.code == "women-dresses" {
					g.dress = slug
				}
			}
		}
	}
}

// prices gives a TRY price ending in .90 and a USD price at about 35 TRY
// to the dollar; discounted products carry a higher retail price.
func prices(try int, discounted bool) map[string]map[string]string {
	usd := try/35 + 1
	entry := func(p int) map[string]string {
		s := fmt.Sprintf("%d.90", p)
		r := s
		if discounted {
			r = fmt.Sprintf("%d.90", p*5/4)
		}
		return map[string]string{"price": s, "retail_price": r}
	}
	return map[string]map[string]string{"TRY": entry(try), "USD": entry(usd)}
}

func (g *generator) retailStores(emit func(any)) {
	for i, s := range retailStores {
		stock := map[string]int{}
		for j, sku := range g.skus {
			if (j+i)%3 != 0 {
				stock[sku] = (j*7 + i*3) % 9
			}
		}
		rec := map[string]any{}
		for k, v := range s {
			rec[k] = v
		}
		rec["stock"] = stock
		emit(rec)
	}
}

func (g *generator) pages(emit func(any)) {
	emit(map[string]any{"url": "/about/", "kind": "flat", "title": "Hakkımızda", "template": "flat_page.html",
		"content": "<p>Vitrin Demo, Vitrin'in örnek mağazasıdır: giyim ve ev ürünleri, iki para birimi ve iki dil.</p>",
		"translations": map[string]any{"en-us": map[string]string{"title": "About us",
			"content": "<p>Vitrin Demo is Vitrin's example store: apparel and home goods, two currencies and two languages.</p>"}}})
	emit(map[string]any{"url": "/yeni-sezon/", "kind": "landing", "title": "Yeni Sezon", "template": "landing_page.html",
		"content": "<h1>Yeni sezon geldi</h1><p>Keten, pamuk ve ipek: yazın en hafif parçaları.</p>",
		"translations": map[string]any{"en-us": map[string]string{"title": "New season",
			"content": "<h1>The new season is here</h1><p>Linen, cotton and silk: the lightest pieces of summer.</p>"}}})
	emit(map[string]any{"url": "/yaz-indirimi/", "kind": "special", "title": "Yaz İndirimi", "template": "special_page.html",
		"content": "Seçili ürünlerde yaz indirimi.", "products": g.skus[:min(12, len(g.skus))],
		"translations": map[string]any{"en-us": map[string]string{"title": "Summer sale", "content": "Summer sale on selected products."}}})
}

func (g *generator) widgets(emit func(any)) {
	emit(map[string]any{"slug": "home-hero", "name": "Ana sayfa manşet", "template": "hero.html",
		"attributes": map[string]any{"slides": []map[string]string{
			{"title": "Yeni Sezon", "title_en": "New Season", "image": "https://picsum.photos/seed/vitrin-hero-1/1600/600", "url": "/yeni-sezon/"},
			{"title": "Yaz İndirimi", "title_en": "Summer Sale", "image": "https://picsum.photos/seed/vitrin-hero-2/1600/600", "url": "/yaz-indirimi/"},
		}},
		"products": g.skus[:min(8, len(g.skus))]})
	emit(map[string]any{"slug": "home-featured", "name": "Öne çıkanlar", "template": "product_carousel.html",
		"attributes": map[string]any{"title": "Öne çıkanlar", "title_en": "Featured"},
		"products":   g.skus[min(8, len(g.skus)):min(24, len(g.skus))]})
}

func (g *generator) redirects(emit func(any)) {
	if g.dress != "" {
		emit(map[string]string{"old_path": "/eski-elbise/", "new_path": "/" + g.dress + "/"})
	}
	emit(map[string]string{"old_path": "/hakkimizda/", "new_path": "/about/"})
}

// customers are the demo logins, with Django pbkdf2_sha256 hashes as a
// migrated store would bring them (Vitrin upgrades them at first login).
func customers(emit func(any)) {
	emit(map[string]any{"email": "demo@vitrin.dev", "first_name": "Deniz", "last_name": "Yılmaz", "phone": "+905551112233",
		"gender": "none", "email_allowed": true, "sms_allowed": false,
		"password_hash": djangoPBKDF2(Password, "vitrindemosalt01"), "date_joined": "2025-06-01T09:00:00Z",
		"addresses": []map[string]any{
			{"title": "Ev", "first_name": "Deniz", "last_name": "Yılmaz", "phone_number": "+905551112233", "country": "tr",
				"city": "İstanbul", "township": "Kadıköy", "district": "Moda", "line": "Moda Cad. No: 21 D: 4", "postcode": "34710", "is_primary": true},
			{"title": "İş", "first_name": "Deniz", "last_name": "Yılmaz", "phone_number": "+905551112233", "country": "tr",
				"city": "Ankara", "township": "Çankaya", "district": "Kızılay", "line": "Atatürk Blv. No: 5", "postcode": "06420",
				"is_corporate": true, "company_name": "Örnek Ltd. Şti.", "tax_no": "1234567890", "tax_office": "Çankaya"},
		}})
	emit(map[string]any{"email": "elif@vitrin.dev", "first_name": "Elif", "last_name": "Kaya", "date_of_birth": "1992-04-23",
		"gender": "female", "email_allowed": false, "sms_allowed": true,
		"password_hash": djangoPBKDF2(Password, "vitrindemosalt02"), "date_joined": "2025-09-15T14:30:00Z"})
}

// djangoPBKDF2 encodes password as Django's PBKDF2PasswordHasher does; a
// fixed salt keeps the demo file deterministic.
func djangoPBKDF2(password, salt string) string {
	const iterations = 100000
	key, err := pbkdf2.Key(sha256.New, password, []byte(salt), iterations, sha256.Size)
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("pbkdf2_sha256$%d$%s$%s", iterations, salt, base64.StdEncoding.EncodeToString(key))
}

// slugify lower-cases s, folds Turkish letters and joins words with '-'.
func slugify(s string) string {
	r := strings.NewReplacer("ı", "i", "İ", "i", "ş", "s", "Ş", "s", "ğ", "g", "Ğ", "g", "ü", "u", "Ü", "u",
		"ö", "o", "Ö", "o", "ç", "c", "Ç", "c")
	s = strings.ToLower(r.Replace(s))
	var b strings.Builder
	dash := false
	for _, c := range s {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			b.WriteRune(c)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimRight(b.String(), "-")
}
