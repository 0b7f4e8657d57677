package catalog

import (
	"strconv"
	"strings"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/money"
)

// PriceFacetKey is the key and query parameter of the price facet. Its
// values are ranges in major units, "500-1000" (500 inclusive, 1000
// exclusive) or "5000-" (5000 and up); several are OR, like any facet.
const PriceFacetKey = "price"

// maxPriceBuckets is how many ranges the price facet offers at most.
const maxPriceBuckets = 6

// priceBucket is one range of the price facet in one currency.
type priceBucket struct {
	low, high int64  // minor units; high 0: no upper bound
	value     string // "500-1000"
	label     string // "500 - 1000 TRY"
	products  bitset // listable products priced in the range
}

// buildPriceBuckets splits the listable products' prices in one currency
// into ranges of about equal size with round bounds. The bounds are the
// same on every listing, so a range picked on one page means the same on
// the next; ranges without products on a listing are not shown there.
// ascending holds every product's position in ascending price order
// (unpriced last), prices each position's price (-1: unpriced) in cur.
func buildPriceBuckets(ascending []int32, prices []int64, listable bitset, cur string) []priceBucket {
	var bounds []int64
	for _, price := range quantiles(ascending, prices, listable) {
		b := roundDown(price)
		if b > 0 && (len(bounds) == 0 || b > bounds[len(bounds)-1]) {
			bounds = append(bounds, b)
		}
	}
	if len(bounds) == 0 {
		return nil // one range would filter nothing
	}
	buckets := make([]priceBucket, len(bounds)+1)
	low := int64(0)
	for i := range buckets {
		high := int64(0)
		if i < len(bounds) {
			high = bounds[i]
		}
		buckets[i] = priceBucket{low: low, high: high, value: priceRangeValue(low, high), label: priceRangeLabel(low, high, cur), products: newBitset(len(prices))}
		low = high
	}
	listable.each(func(pos int32) bool {
		if price := prices[pos]; price >= 0 {
			buckets[bucketOf(bounds, price)].products.set(pos)
		}
		return true
	})
	return buckets
}

// quantiles returns the listable products' prices at ranks k·n/6 (k = 1…5)
// of the n that are priced, in two passes over ascending rather than a
// copy of every price: it runs on every applied price change.
func quantiles(ascending []int32, prices []int64, listable bitset) []int64 {
	priced := func(pos int32) bool { return prices[pos] >= 0 && listable.has(pos) }
	n := 0
	for _, pos := range ascending {
		if priced(pos) {
			n++
		}
	}
	var out []int64
	rank, k := 0, 1
	for _, pos := range ascending {
		if n == 0 || k == maxPriceBuckets {
			break
		}
		if !priced(pos) {
			continue
		}
		for k < maxPriceBuckets && rank == k*n/maxPriceBuckets {
			out = append(out, prices[pos])
			k++
		}
		rank++
	}
	return out
}

// bucketOf is the index of the range that holds price.
func bucketOf(bounds []int64, price int64) int {
	i := 0
	for i < len(bounds) && price >= bounds[i] {
		i++
	}
	return i
}

// roundDown rounds an amount in minor units down to a bound shoppers read
// at a glance: one significant digit, or 1.2, 1.5 or 2.5, times a power
// of ten (150, 1200, 2500, 7000), in whole major units. Amounts under one
// major unit give 0.
func roundDown(amount int64) int64 {
	major := amount / 100
	if major < 1 {
		return 0
	}
	pow := int64(1)
	for pow*10 <= major {
		pow *= 10
	}
	best := pow
	for _, tenths := range []int64{12, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90} {
		// Below 10, 1.2, 1.5 and 2.5 are not whole major units.
		if c := pow * tenths / 10; pow*tenths%10 == 0 && c <= major {
			best = c
		}
	}
	return best * 100
}

func priceRangeValue(low, high int64) string {
	v := strconv.FormatInt(low/100, 10) + "-"
	if high > 0 {
		v += strconv.FormatInt(high/100, 10)
	}
	return v
}

// priceRangeLabel reads "500 - 1000 TRY", or "5000+ TRY" for the top range.
func priceRangeLabel(low, high int64, cur string) string {
	if high == 0 {
		return strconv.FormatInt(low/100, 10) + "+ " + cur
	}
	return strconv.FormatInt(low/100, 10) + " - " + strconv.FormatInt(high/100, 10) + " " + cur
}

func priceFacetName(lang string) string {
	if strings.HasPrefix(lang, "tr") {
		return "Fiyat"
	}
	return "Price"
}

// priceRangeFilter returns the products priced in cur within any of the
// ranges in values, nil when values is empty. A value that is one of the
// facet's ranges uses its precomputed set; any other well-formed range
// ("120.50-300") is computed; a malformed one is a 400.
func (m *Model) priceRangeFilter(values []string, cur string) (bitset, map[string]bool, error) {
	if len(values) == 0 {
		return nil, nil, nil
	}
	buckets := m.priceBuckets[cur]
	prices := m.prices[cur]
	out := newBitset(len(m.Products))
	selected := map[string]bool{}
	for _, raw := range firstValues(values) {
		v := strings.TrimSpace(raw)
		low, high, ok := parsePriceRange(v)
		if !ok {
			return nil, nil, apperror.Field(PriceFacetKey, "Enter a price range such as 500-1000 or 5000-.")
		}
		selected[v] = true
		matched := false
		for _, b := range buckets {
			if b.value == v {
				out.or(b.products)
				matched = true
			}
		}
		if matched || prices == nil {
			continue
		}
		for pos, price := range prices {
			if price >= low && (high == 0 || price < high) {
				out.set(int32(pos))
			}
		}
	}
	return out, selected, nil
}

// parsePriceRange reads "low-high" or "low-" as decimal major units.
func parsePriceRange(v string) (low, high int64, ok bool) {
	lo, hi, found := strings.Cut(v, "-")
	if !found {
		return 0, 0, false
	}
	l, err := money.Parse(lo)
	if err != nil || l < 0 {
		return 0, 0, false
	}
	if hi == "" {
		return int64(l), 0, true
	}
	h, err := money.Parse(hi)
	if err != nil || h <= l {
		return 0, 0, false
	}
	return int64(l), int64(h), true
}
