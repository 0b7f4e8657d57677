package catalog

import (
	"slices"
	"sort"
	"testing"
)

// TestChoiceOrder: facet values and variant options sort the way
// shoppers read them.
func TestChoiceOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []string
		want []string
	}{
		{"clothing sizes", []string{"XL", "S", "L", "XS", "M"}, []string{"XS", "S", "M", "L", "XL"}},
		{"numbers by value", []string{"40", "9", "38.5", "100"}, []string{"9", "38.5", "40", "100"}},
		{"Turkish letters beside their plain forms", []string{"Zeytin", "Çizgili", "Deri", "İpek", "Cam", "Ipek", "Şal", "Saten"},
			[]string{"Cam", "Çizgili", "Deri", "Ipek", "İpek", "Şal", "Saten", "Zeytin"}},
		{"case does not split the alphabet", []string{"beige", "Black", "azure"}, []string{"azure", "beige", "Black"}},
	} {
		got := slices.Clone(tc.in)
		sort.SliceStable(got, func(i, j int) bool { return variantLess(got[i], got[j]) })
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
