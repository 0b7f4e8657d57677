package money

import "testing"

func TestParseAndFormat(t *testing.T) {
	tests := []struct {
		in   string
		want Amount
		out  string
	}{
		{"1299.90", 129990, "1299.90"},
		{"1299.9", 129990, "1299.90"},
		{"0", 0, "0.00"},
		{"0.05", 5, "0.05"},
		{"-5.00", -500, "-5.00"},
		{" 12 ", 1200, "12.00"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
		if got.String() != tt.out {
			t.Errorf("String(%d) = %q; want %q", got, got.String(), tt.out)
		}
	}
	for _, bad := range []string{"", "1.234", "1e3", "abc", ".5", "5.", "1,00", "--1", "99999999999999999999"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded; want an error", bad)
		}
	}
}

func TestPercent(t *testing.T) {
	tests := []struct {
		a    Amount
		bp   int64
		want Amount
	}{
		{10000, 1000, 1000}, // 10 % of 100.00
		{999, 1000, 100},    // 0.999 rounds to 1.00
		{994, 1000, 99},
		{129990, 450, 5850}, // 4.5 % of 1299.90 = 58.4955
	}
	for _, tt := range tests {
		if got := tt.a.Percent(tt.bp); got != tt.want {
			t.Errorf("%d.Percent(%d) = %d; want %d", tt.a, tt.bp, got, tt.want)
		}
	}
}
