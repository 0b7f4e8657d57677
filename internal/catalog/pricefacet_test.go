package catalog

import "testing"

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
