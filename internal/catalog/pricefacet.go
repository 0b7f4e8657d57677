package catalog

import (
	"slices"
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
func buildPriceBuckets(ascending sortedChunks, prices chunked[int64], listable bitset, cur string) []priceBucket {
	bounds := priceBounds(ascending, prices, listable)
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
		buckets[i] = priceBucket{low: low, high: high, value: priceRangeValue(low, high), label: priceRangeLabel(low, high, cur), products: newBitset(prices.len())}
		low = high
	}
	listable.each(func(pos int32) bool {
		if price := prices.at(pos); price >= 0 {
			buckets[bucketOf(bounds, price)].products.set(pos)
		}
		return true
	})
	return buckets
}

// priceBounds are the round bounds between the price facet's ranges.
func priceBounds(ascending sortedChunks, prices chunked[int64], listable bitset) []int64 {
	var bounds []int64
	for _, price := range quantiles(ascending, prices, listable) {
		b := roundDown(price)
		if b > 0 && (len(bounds) == 0 || b > bounds[len(bounds)-1]) {
			bounds = append(bounds, b)
		}
	}
	return bounds
}

// repricedBuckets is buildPriceBuckets after the products in repriced
// moved from the prices before to the prices after: while the bounds
// stay, only those products move between ranges, and only the ranges
// they leave or enter are copied.
func repricedBuckets(buckets []priceBucket, ascending sortedChunks, before, after chunked[int64], repriced []int32, listable bitset, cur string) []priceBucket {
	bounds := priceBounds(ascending, after, listable)
	if !sameBounds(buckets, bounds) {
		return buildPriceBuckets(ascending, after, listable, cur)
	}
	out := slices.Clone(buckets)
	copied := make([]bool, len(out))
	bucket := func(i int) bitset {
		if !copied[i] {
			out[i].products = out[i].products.clone()
			copied[i] = true
		}
		return out[i].products
	}
	for _, pos := range repriced {
		if !listable.has(pos) {
			continue
		}
		if price := before.at(pos); price >= 0 {
			bucket(bucketOf(bounds, price)).clear(pos)
		}
		if price := after.at(pos); price >= 0 {
			bucket(bucketOf(bounds, price)).set(pos)
		}
	}
	return out
}

// sameBounds reports whether buckets are the ranges between bounds.
func sameBounds(buckets []priceBucket, bounds []int64) bool {
	if len(bounds) == 0 || len(buckets) != len(bounds)+1 {
		return len(bounds) == 0 && len(buckets) == 0
	}
	for i, b := range bounds {
		if buckets[i].high != b {
			return false
		}
	}
	return true
}

// quantiles returns the listable products' prices at ranks k·n/6 (k = 1…5)
// of the n that are priced, found by the counts of the order's chunks:
// it runs on every applied price change.
func quantiles(ascending sortedChunks, prices chunked[int64], listable bitset) []int64 {
	counted := pricedAndListable(prices, listable)
	n := ascending.counted()
	if n == 0 {
		return nil
	}
	out := make([]int64, 0, maxPriceBuckets-1)
	for k := 1; k < maxPriceBuckets; k++ {
		out = append(out, prices.at(ascending.nth(k*n/maxPriceBuckets, counted)))
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
	prices, known := m.prices[cur]
	out := newBitset(m.size())
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
		if matched || !known {
			continue
		}
		prices.each(func(pos int32, price int64) {
			if price >= low && (high == 0 || price < high) {
				out.set(pos)
			}
		})
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
