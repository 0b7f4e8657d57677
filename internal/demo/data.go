package demo

import "strings"

type text struct{ tr, en string }

// kind is what the products of a leaf category are like.
type kind struct {
	prefix             string
	sizes              []string
	materials          []text
	minPrice, maxPrice int // TRY, whole lira
	taxRate            string
	careTR, careEN     string
}

var (
	apparel  = []text{{"Pamuk", "Cotton"}, {"Keten", "Linen"}, {"İpek", "Silk"}, {"Viskon", "Viscose"}, {"Organik Pamuk", "Organic Cotton"}}
	tops     = kind{"TOP", []string{"XS", "S", "M", "L", "XL"}, apparel, 299, 1499, "10", "30 derecede yıkanabilir.", "Machine wash at 30°C."}
	dresses  = kind{"DRS", []string{"XS", "S", "M", "L", "XL"}, apparel, 799, 2999, "10", "30 derecede yıkanabilir.", "Machine wash at 30°C."}
	trousers = kind{"TRS", []string{"36", "38", "40", "42", "44"}, []text{{"Denim", "Denim"}, {"Keten", "Linen"}, {"Gabardin", "Gabardine"}}, 599, 1999, "10", "Tersten ütüleyiniz.", "Iron inside out."}
	jackets  = kind{"JKT", []string{"S", "M", "L", "XL"}, []text{{"Yün", "Wool"}, {"Denim", "Denim"}, {"Deri", "Leather"}}, 1499, 5999, "10", "Kuru temizleme önerilir.", "Dry clean recommended."}
	wShoes   = kind{"SHW", []string{"36", "37", "38", "39", "40", "41"}, []text{{"Deri", "Leather"}, {"Süet", "Suede"}, {"Kanvas", "Canvas"}}, 999, 4999, "20", "Nemli bezle silerek temizleyiniz.", "Wipe clean with a damp cloth."}
	mShoes   = kind{"SHM", []string{"40", "41", "42", "43", "44", "45"}, []text{{"Deri", "Leather"}, {"Süet", "Suede"}, {"Kanvas", "Canvas"}}, 999, 4999, "20", "Nemli bezle silerek temizleyiniz.", "Wipe clean with a damp cloth."}
	bedding  = kind{"BED", []string{"Tek Kişilik", "Çift Kişilik"}, []text{{"Pamuk Saten", "Cotton Sateen"}, {"Ranforce", "Ranforce"}, {"Keten", "Linen"}}, 699, 2499, "20", "60 derecede yıkanabilir.", "Machine wash at 60°C."}
	towels   = kind{"TWL", []string{"50x90", "70x140"}, []text{{"Pamuk", "Cotton"}, {"Bambu", "Bamboo"}, {"Peştemal", "Peshtemal"}}, 149, 699, "20", "Yumuşatıcı kullanmayınız.", "Do not use fabric softener."}
	cushions = kind{"CSH", []string{"45x45", "50x50"}, []text{{"Kadife", "Velvet"}, {"Keten", "Linen"}, {"Pamuk", "Cotton"}}, 199, 799, "20", "Kılıfı çıkarılıp yıkanabilir.", "Removable, washable cover."}
	vases    = kind{"VAS", []string{"Tek Ebat"}, []text{{"Seramik", "Ceramic"}, {"Cam", "Glass"}, {"Taş", "Stone"}}, 249, 1299, "20", "Elde yıkayınız.", "Hand wash only."}
)

// node is a category; leaves carry the kind of their products and the
// singular noun used in product names.
type node struct {
	code     string
	name     text
	noun     text
	kind     *kind
	children []node
}

var categoryTree = []node{
	{code: "women", name: text{"Kadın", "Women"}, children: []node{
		{code: "women-clothing", name: text{"Giyim", "Clothing"}, children: []node{
			{code: "women-dresses", name: text{"Elbise", "Dresses"}, noun: text{"Elbise", "Dress"}, kind: &dresses},
			{code: "women-shirts", name: text{"Gömlek", "Shirts"}, noun: text{"Gömlek", "Shirt"}, kind: &tops},
			{code: "women-tshirts", name: text{"Tişört", "T-shirts"}, noun: text{"Tişört", "T-shirt"}, kind: &tops},
			{code: "women-trousers", name: text{"Pantolon", "Trousers"}, noun: text{"Pantolon", "Trousers"}, kind: &trousers},
		}},
		{code: "women-shoes", name: text{"Ayakkabı", "Shoes"}, children: []node{
			{code: "women-sneakers", name: text{"Spor Ayakkabı", "Sneakers"}, noun: text{"Spor Ayakkabı", "Sneakers"}, kind: &wShoes},
			{code: "women-boots", name: text{"Bot", "Boots"}, noun: text{"Bot", "Boots"}, kind: &wShoes},
		}},
	}},
	{code: "men", name: text{"Erkek", "Men"}, children: []node{
		{code: "men-clothing", name: text{"Giyim", "Clothing"}, children: []node{
			{code: "men-tshirts", name: text{"Tişört", "T-shirts"}, noun: text{"Tişört", "T-shirt"}, kind: &tops},
			{code: "men-shirts", name: text{"Gömlek", "Shirts"}, noun: text{"Gömlek", "Shirt"}, kind: &tops},
			{code: "men-trousers", name: text{"Pantolon", "Trousers"}, noun: text{"Pantolon", "Trousers"}, kind: &trousers},
			{code: "men-jackets", name: text{"Ceket", "Jackets"}, noun: text{"Ceket", "Jacket"}, kind: &jackets},
		}},
		{code: "men-shoes", name: text{"Ayakkabı", "Shoes"}, children: []node{
			{code: "men-sneakers", name: text{"Spor Ayakkabı", "Sneakers"}, noun: text{"Spor Ayakkabı", "Sneakers"}, kind: &mShoes},
			{code: "men-boots", name: text{"Bot", "Boots"}, noun: text{"Bot", "Boots"}, kind: &mShoes},
		}},
	}},
	{code: "home", name: text{"Ev", "Home"}, children: []node{
		{code: "home-textiles", name: text{"Ev Tekstili", "Home Textiles"}, children: []node{
			{code: "home-bedding", name: text{"Nevresim Takımı", "Bedding Sets"}, noun: text{"Nevresim Takımı", "Bedding Set"}, kind: &bedding},
			{code: "home-towels", name: text{"Havlu", "Towels"}, noun: text{"Havlu", "Towel"}, kind: &towels},
		}},
		{code: "home-decor", name: text{"Dekorasyon", "Decoration"}, children: []node{
			{code: "home-cushions", name: text{"Kırlent", "Cushions"}, noun: text{"Kırlent", "Cushion"}, kind: &cushions},
			{code: "home-vases", name: text{"Vazo", "Vases"}, noun: text{"Vazo", "Vase"}, kind: &vases},
		}},
	}},
}

// categoryRecords flattens the tree into import records, parents first.
func categoryRecords() []map[string]any {
	var out []map[string]any
	var walk func(n node, parent any, slugPrefix string, order int)
	walk = func(n node, parent any, slugPrefix string, order int) {
		slug := slugPrefix + slugify(n.name.tr)
		out = append(out, map[string]any{"code": n.code, "name": n.name.tr, "parent": parent, "slug": slug,
			"sort_order": order, "translations": map[string]any{"en-us": map[string]string{"name": n.name.en}}})
		for i, c := range n.children {
			walk(c, n.code, slug+"/", i+1)
		}
	}
	for i, n := range categoryTree {
		walk(n, nil, "", i+1)
	}
	return out
}

// leaf is a leaf category with what its products are made of.
type leaf struct {
	code   string
	tr, en string
	kind   *kind
}

func leafCategories() []leaf {
	var out []leaf
	var walk func(n node)
	walk = func(n node) {
		if n.kind != nil {
			out = append(out, leaf{code: n.code, tr: n.noun.tr, en: n.noun.en, kind: n.kind})
		}
		for _, c := range n.children {
			walk(c)
		}
	}
	for _, n := range categoryTree {
		walk(n)
	}
	return out
}

type color struct{ code, tr, en string }

var colors = []color{
	{"red", "Kırmızı", "Red"}, {"black", "Siyah", "Black"}, {"white", "Beyaz", "White"}, {"navy", "Lacivert", "Navy"},
	{"beige", "Bej", "Beige"}, {"green", "Yeşil", "Green"}, {"blue", "Mavi", "Blue"}, {"pink", "Pembe", "Pink"},
	{"grey", "Gri", "Grey"}, {"ecru", "Ekru", "Ecru"},
}

var adjectives = []text{
	{"Klasik", "Classic"}, {"Oversize", "Oversized"}, {"Slim Fit", "Slim Fit"}, {"Çizgili", "Striped"},
	{"Desenli", "Patterned"}, {"Yazlık", "Summer"}, {"Günlük", "Everyday"}, {"Şık", "Elegant"}, {"Basic", "Basic"},
}

var brands = []string{"Nova", "Lale", "Mavera", "Atlas", "Pera", "Kuzey", "Ege Home", "Modalin"}

// attributeRecords are the demo's attributes, with the English labels of
// the Turkish values that shoppers filter and choose by.
func attributeRecords() []map[string]any {
	var colorValues, sizeValues, materialValues []text
	for _, c := range colors {
		colorValues = append(colorValues, text{c.tr, c.en})
	}
	sizeValues = []text{{"Tek Kişilik", "Single"}, {"Çift Kişilik", "Double"}, {"Tek Ebat", "One Size"}}
	var walk func([]node)
	walk = func(nodes []node) {
		for _, n := range nodes {
			if n.kind != nil {
				materialValues = append(materialValues, n.kind.materials...)
			}
			walk(n.children)
		}
	}
	walk(categoryTree)
	return []map[string]any{
		{"key": "color", "name": "Renk", "type": "text", "facet": true, "variant": true, "sort_order": 1,
			"translations": map[string]any{"en-us": map[string]string{"name": "Color"}}, "values": englishValues(colorValues)},
		{"key": "size", "name": "Beden", "type": "text", "facet": true, "variant": true, "sort_order": 2,
			"translations": map[string]any{"en-us": map[string]string{"name": "Size"}}, "values": englishValues(sizeValues)},
		{"key": "brand", "name": "Marka", "type": "text", "facet": true, "variant": false, "sort_order": 3,
			"translations": map[string]any{"en-us": map[string]string{"name": "Brand"}}},
		{"key": "material", "name": "Materyal", "type": "text", "facet": true, "variant": false, "sort_order": 4,
			"translations": map[string]any{"en-us": map[string]string{"name": "Material"}}, "values": englishValues(materialValues)},
	}
}

// englishValues is the "values" list of an attribute: each Turkish value
// that reads differently in English, once.
func englishValues(values []text) []any {
	seen := map[string]bool{}
	out := []any{}
	for _, v := range values {
		if v.tr == v.en || seen[v.tr] {
			continue
		}
		seen[v.tr] = true
		out = append(out, map[string]any{"value": v.tr, "translations": map[string]any{"en-us": map[string]string{"name": v.en}}})
	}
	return out
}

type place = map[string]any

func districts(postcode string, names ...string) []place {
	out := make([]place, len(names))
	for i, n := range names {
		out[i] = place{"name": n, "postcode": postcode}
	}
	return out
}

var geography = []place{
	{"code": "tr", "name": "Türkiye", "translations": map[string]any{"en-us": map[string]string{"name": "Türkiye"}}, "cities": []place{
		{"name": "İstanbul", "postcode": "34000", "townships": []place{
			{"name": "Kadıköy", "postcode": "34710", "districts": districts("34710", "Moda", "Caferağa", "Fenerbahçe")},
			{"name": "Beşiktaş", "postcode": "34330", "districts": districts("34330", "Levent", "Bebek", "Etiler")},
			{"name": "Şişli", "postcode": "34365", "districts": districts("34365", "Nişantaşı", "Mecidiyeköy")},
		}},
		{"name": "Ankara", "postcode": "06000", "townships": []place{
			{"name": "Çankaya", "postcode": "06420", "districts": districts("06420", "Kızılay", "Bahçelievler")},
			{"name": "Keçiören", "postcode": "06280", "districts": districts("06280", "Etlik")},
		}},
		{"name": "İzmir", "postcode": "35000", "townships": []place{
			{"name": "Konak", "postcode": "35220", "districts": districts("35220", "Alsancak", "Göztepe")},
			{"name": "Karşıyaka", "postcode": "35540", "districts": districts("35540", "Bostanlı")},
		}},
	}},
	{"code": "de", "name": "Almanya", "translations": map[string]any{"en-us": map[string]string{"name": "Germany"}}, "cities": []place{
		{"name": "Berlin", "postcode": "10115", "townships": []place{
			{"name": "Mitte", "postcode": "10115", "districts": districts("10115", "Mitte", "Moabit")},
			{"name": "Kreuzberg", "postcode": "10961", "districts": districts("10961", "Kreuzberg")},
		}},
	}},
}

// storeHours are a store's opening and closing times per weekday, Monday
// first: the shape the storefront's find-in-store list reads.
var storeHours = [][]string{
	{"10:00:00", "22:00:00"}, {"10:00:00", "22:00:00"}, {"10:00:00", "22:00:00"}, {"10:00:00", "22:00:00"},
	{"10:00:00", "22:00:00"}, {"10:00:00", "22:00:00"}, {"11:00:00", "20:00:00"},
}

var retailStores = []map[string]any{
	{"code": "IST-MODA", "name": "Vitrin Moda", "address": "Moda Cad. No: 12", "country": "tr", "city": "İstanbul",
		"township": "Kadıköy", "district": "Moda", "latitude": "40.987420", "longitude": "29.026080", "phone": "+902165550101", "store_hours": storeHours},
	{"code": "IST-NISANTASI", "name": "Vitrin Nişantaşı", "address": "Abdi İpekçi Cad. No: 40", "country": "tr", "city": "İstanbul",
		"township": "Şişli", "district": "Nişantaşı", "latitude": "41.051330", "longitude": "28.993640", "phone": "+902125550102", "store_hours": storeHours},
	{"code": "ANK-KIZILAY", "name": "Vitrin Kızılay", "address": "Atatürk Blv. No: 101", "country": "tr", "city": "Ankara",
		"township": "Çankaya", "district": "Kızılay", "latitude": "39.920770", "longitude": "32.854110", "phone": "+903125550103", "store_hours": storeHours},
	{"code": "IZM-ALSANCAK", "name": "Vitrin Alsancak", "address": "Kıbrıs Şehitleri Cad. No: 7", "country": "tr", "city": "İzmir",
		"township": "Konak", "district": "Alsancak", "latitude": "38.437490", "longitude": "27.143330", "phone": "+902325550104", "store_hours": storeHours},
}

// writeCommerce writes the promotion, delivery, shipping, payment and
// support sections, each only once this build's importer supports it, so
// the demo file always imports.
func writeCommerce(w *writer) {
	w.section("promotions", map[string]any{
		"vouchers": []map[string]any{{"code": "WELCOME10", "type": "percent", "value": "10", "currency": "TRY",
			"min_basket": "500.00", "max_discount": "250.00", "starts": "2026-01-01T00:00:00Z", "ends": "2027-01-01T00:00:00Z",
			"usage_limit": 1000, "per_customer_limit": 1, "categories": []string{"women"}}},
		"offers": []map[string]any{
			{"slug": "3for2-tshirts", "label": "Tişörtlerde 3 al 2 öde", "kind": "buy_x_pay_y", "buy": 3, "pay": 2,
				"categories": []string{"men-tshirts", "women-tshirts"}},
			{"slug": "free-shipping-750", "label": "750 TL üzeri kargo bedava", "kind": "free_shipping", "min_basket": map[string]string{"TRY": "750.00"}},
			{"slug": "10-off-dresses", "label": "Elbiselerde %10 indirim", "kind": "percent", "value": "10", "categories": []string{"women-dresses"}},
		},
	})
	w.list("delivery_options", func(emit func(any)) {
		emit(map[string]any{"slug": "home", "name": "Adresime teslim", "type": "customer", "sort_order": 1})
		emit(map[string]any{"slug": "store", "name": "Mağazadan teslim al", "type": "retail_store", "sort_order": 2})
	})
	w.list("shipping_options", func(emit func(any)) {
		emit(map[string]any{"slug": "standard", "name": "Standart Kargo", "description": "2-4 iş günü", "countries": []string{"tr"},
			"prices": map[string]string{"TRY": "49.90", "USD": "4.90"}, "free_above": map[string]string{"TRY": "750.00"}, "sort_order": 1})
		emit(map[string]any{"slug": "express", "name": "Hızlı Kargo", "description": "Ertesi iş günü", "countries": []string{"tr"},
			"prices": map[string]string{"TRY": "99.90", "USD": "9.90"}, "sort_order": 2})
		emit(map[string]any{"slug": "international", "name": "Yurt Dışı Kargo", "description": "5-10 iş günü", "countries": []string{"de"},
			"prices": map[string]string{"TRY": "599.90", "USD": "19.90"}, "sort_order": 3})
	})
	w.list("payment_options", func(emit func(any)) {
		emit(map[string]any{"slug": "card", "name": "Kredi Kartı", "type": "credit_card", "gateway": "sandbox", "sort_order": 1,
			"installments": []map[string]any{{"count": 1, "interest_rate": "0"}, {"count": 3, "interest_rate": "4.5"},
				{"count": 6, "interest_rate": "9.0"}, {"count": 9, "interest_rate": "13.5"}}})
		emit(map[string]any{"slug": "funds-transfer", "name": "Havale / EFT", "type": "funds_transfer", "sort_order": 2})
		emit(map[string]any{"slug": "pay-on-delivery", "name": "Kapıda Ödeme", "type": "pay_on_delivery", "sort_order": 3,
			"pay_on_delivery_fee": map[string]string{"TRY": "15.00"}})
		emit(map[string]any{"slug": "hosted", "name": "Ödeme sayfası (sandbox)", "type": "redirection", "gateway": "sandbox", "sort_order": 4})
	})
	w.list("bank_accounts", func(emit func(any)) {
		emit(map[string]any{"iban": "TR330006100519786457841326", "bank": "Örnek Bankası", "holder_name": "Vitrin Demo A.Ş.",
			"description": "Açıklamaya sipariş numaranızı yazınız.", "sort_order": 1})
		emit(map[string]any{"iban": "TR320010009999901234567890", "bank": "Deneme Bank", "holder_name": "Vitrin Demo A.Ş.",
			"description": "Açıklamaya sipariş numaranızı yazınız.", "sort_order": 2})
	})
	w.list("contact_subjects", func(emit func(any)) {
		for _, s := range []struct {
			code, text string
			order      bool
		}{{"order", "Siparişim", true}, {"return", "İade ve değişim", true}, {"product", "Ürün bilgisi", false}, {"other", "Diğer", false}} {
			emit(map[string]any{"code": s.code, "text": s.text, "is_order_needed": s.order})
		}
	})
	w.list("cancellation_reasons", func(emit func(any)) {
		for _, c := range []struct{ code, subject, kind string }{
			{"changed-mind", "Fikrimi değiştirdim", "cancel"}, {"wrong-size", "Beden uymadı", "refund"},
			{"damaged", "Ürün hasarlı geldi", "refund"}, {"late", "Teslimat gecikti", "cancel"},
		} {
			emit(map[string]any{"code": c.code, "subject": c.subject, "cancellation_type": c.kind,
				"extra_information_needed": strings.HasPrefix(c.code, "damaged")})
		}
	})
}
