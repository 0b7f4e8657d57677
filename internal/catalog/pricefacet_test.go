package catalog

import (
	"slices"
	"testing"
)

func TestRoundDown(t *testing.T) {
	for _, tc := range []struct{ amount, want int64 }{
		{99, 0},        // under one major unit
		{100, 100},     // 1
		{799, 700},     // 7.99 → 7
		{14650, 12000}, // 146.50 → 120
		{11999, 10000}, // 119.99 → 100
		{15000, 15000}, // 150
		{33250, 30000}, // 332.50 → 300
		{27050, 25000}, // 270.50 → 250
		{999999, 9000 * 100},
		{1234567, 12000 * 100},
	} {
		if got := roundDown(tc.amount); got != tc.want {
			t.Errorf("roundDown(%d) = %d, want %d", tc.amount, got, tc.want)
		}
	}
}

func TestParsePriceRange(t *testing.T) {
	for _, tc := range []struct {
		in        string
		low, high int64
		ok        bool
	}{
		{"100-200", 10000, 20000, true},
		{"250-", 25000, 0, true},
		{"150.50-300", 15050, 30000, true},
		{"0-100", 0, 10000, true},
		{"200-100", 0, 0, false}, // empty range
		{"100-100", 0, 0, false},
		{"-100", 0, 0, false},
		{"100", 0, 0, false},
		{"abc-def", 0, 0, false},
		{"1.234-5", 0, 0, false},
		{"", 0, 0, false},
	} {
		low, high, ok := parsePriceRange(tc.in)
		if ok != tc.ok || (ok && (low != tc.low || high != tc.high)) {
			t.Errorf("parsePriceRange(%q) = %d, %d, %v; want %d, %d, %v", tc.in, low, high, ok, tc.low, tc.high, tc.ok)
		}
	}
}

// TestQuantiles: the prices at ranks k·n/6 of the listable priced
// products, whatever their number, unpriced and unlisted ones skipped.
func TestQuantiles(t *testing.T) {
	for n := range 40 {
		prices := make([]int64, n)
		listable := newBitset(n)
		var want []int64 // the listable prices in ascending order
		order := make([]int32, n)
		for i := range prices {
			prices[i] = int64(i * 100)
			if i%7 == 3 {
				prices[i] = -1
			}
			order[i] = int32(i)
			if i%5 != 1 {
				listable.set(int32(i))
			}
			if prices[i] >= 0 && listable.has(int32(i)) {
				want = append(want, prices[i])
			}
		}
		var expected []int64
		for k := 1; k < maxPriceBuckets && len(want) > 0; k++ {
			expected = append(expected, want[k*len(want)/maxPriceBuckets])
		}
		chunks := newChunked(prices)
		if got := quantiles(newSortedChunks(order, pricedAndListable(chunks, listable)), chunks, listable); !slices.Equal(got, expected) {
			t.Errorf("%d products: %v, want %v", n, got, expected)
		}
	}
}
