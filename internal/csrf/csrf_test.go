package csrf

import "testing"

func TestMatches(t *testing.T) {
	secret := New()
	other := New()
	tests := []struct {
		name         string
		cookie, sent string
		want         bool
	}{
		{"plain secret", secret, secret, true},
		{"masked secret", secret, Mask(secret), true},
		{"masked cookie", Mask(secret), secret, true},
		{"masked cookie and proof", Mask(secret), Mask(secret), true},
		{"masked cookie, other proof", Mask(secret), Mask(other), false},
		{"another secret", secret, other, false},
		{"another masked secret", secret, Mask(other), false},
		{"empty proof", secret, "", false},
		{"no cookie", "", secret, false},
		{"malformed", secret, secret[:31] + "!", false},
		{"wrong length", secret, secret + "a", false},
	}
	for _, tt := range tests {
		if got := Matches(tt.cookie, tt.sent); got != tt.want {
			t.Errorf("%s: Matches = %v; want %v", tt.name, got, tt.want)
		}
	}
}

func TestMaskDiffersEachTime(t *testing.T) {
	s := New()
	if first, second := Mask(s), Mask(s); first == second {
		t.Fatal("two masks of one secret are equal")
	}
}

func BenchmarkMatches(b *testing.B) {
	secret := New()
	for _, bb := range []struct{ name, sent string }{{"plain", secret}, {"masked", Mask(secret)}} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !Matches(secret, bb.sent) {
					b.Fatal("no match")
				}
			}
		})
	}
}
