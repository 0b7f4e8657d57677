package searchtext

import "testing"

func TestFold(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Elbise", "elbise"},
		{"ELBISE", "elbise"},
		{"elbıse", "elbise"},
		{"İpek Gömlek", "ipek gomlek"},
		{"  Keten—Elbise,  Kırmızı ", "keten elbise kirmizi"},
		{"Crème brûlée", "creme brulee"},
		{"Cafe\u0301", "cafe"},
		{"", ""},
	} {
		if got := Fold(tc.in); got != tc.want {
			t.Errorf("Fold(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
