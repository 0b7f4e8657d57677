package promotion

import (
	"math/rand/v2"
	"testing"

	"github.com/vitrin/vitrin/internal/money"
)

func cats(ids ...int64) map[int64]bool {
	m := map[int64]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func TestCompute(t *testing.T) {
	dresses := []int64{10}
	tshirts := []int64{20}
	tests := []struct {
		name      string
		in        Input
		discount  money.Amount
		shipDisc  money.Amount
		total     money.Amount
		upsells   int
		voucherOK bool
	}{
		{
			name:     "percent off a category leaves other lines alone",
			in:       Input{Currency: "TRY", Lines: []Line{{2, 10000, cats(10)}, {1, 5000, cats(20)}}, Offers: []Offer{{Kind: Percent, Value: 1000, Categories: dresses, Label: "10% off dresses"}}},
			discount: 2000, total: 23000, voucherOK: true,
		},
		{
			name:     "buy 3 pay 2 makes the cheapest unit free",
			in:       Input{Currency: "TRY", Lines: []Line{{2, 3000, cats(20)}, {1, 2000, cats(20)}}, Offers: []Offer{{Kind: BuyXPayY, Buy: 3, Pay: 2, Categories: tshirts}}},
			discount: 2000, total: 6000, voucherOK: true,
		},
		{
			name:     "buy 3 pay 2 with two units shows an upsell",
			in:       Input{Currency: "TRY", Lines: []Line{{2, 3000, cats(20)}}, Offers: []Offer{{Kind: BuyXPayY, Buy: 3, Pay: 2, Categories: tshirts}}},
			discount: 0, total: 6000, upsells: 1, voucherOK: true,
		},
		{
			name:     "free shipping above the threshold discounts the shipping",
			in:       Input{Currency: "TRY", Shipping: 2999, Lines: []Line{{1, 80000, nil}}, Offers: []Offer{{Kind: FreeShipping, MinBasket: map[string]money.Amount{"TRY": 75000}}}},
			shipDisc: 2999, total: 80000, voucherOK: true,
		},
		{
			name:  "free shipping below the threshold is an upsell",
			in:    Input{Currency: "TRY", Shipping: 2999, Lines: []Line{{1, 63000, nil}}, Offers: []Offer{{Kind: FreeShipping, MinBasket: map[string]money.Amount{"TRY": 75000}}}},
			total: 65999, upsells: 1, voucherOK: true,
		},
		{
			name:  "free shipping at half the threshold is an upsell",
			in:    Input{Currency: "TRY", Shipping: 2999, Lines: []Line{{1, 37500, nil}}, Offers: []Offer{{Kind: FreeShipping, MinBasket: map[string]money.Amount{"TRY": 75000}}}},
			total: 40499, upsells: 1, voucherOK: true,
		},
		{
			name:  "free shipping far from the threshold is no upsell",
			in:    Input{Currency: "TRY", Shipping: 2999, Lines: []Line{{1, 37499, nil}}, Offers: []Offer{{Kind: FreeShipping, MinBasket: map[string]money.Amount{"TRY": 75000}}}},
			total: 40498, voucherOK: true,
		},
		{
			name:     "buy 3 pay 2 with one unit is no upsell",
			in:       Input{Currency: "TRY", Lines: []Line{{1, 3000, cats(20)}}, Offers: []Offer{{Kind: BuyXPayY, Buy: 3, Pay: 2, Categories: tshirts}}},
			discount: 0, total: 3000, voucherOK: true,
		},
		{
			name:     "percent voucher capped at max discount",
			in:       Input{Currency: "TRY", Lines: []Line{{1, 500000, nil}}, Voucher: &Voucher{Code: "W", Kind: Percent, Value: 1000, MaxDiscount: 25000}},
			discount: 25000, total: 475000, voucherOK: true,
		},
		{
			name:     "amount voucher never exceeds the eligible amount",
			in:       Input{Currency: "TRY", Lines: []Line{{1, 3000, cats(10)}, {1, 9000, cats(20)}}, Voucher: &Voucher{Code: "A", Kind: Amount, Value: 5000, Categories: dresses}},
			discount: 3000, total: 9000, voucherOK: true,
		},
		{
			name:  "voucher below its minimum gives nothing and says so",
			in:    Input{Currency: "TRY", Lines: []Line{{1, 30000, nil}}, Voucher: &Voucher{Code: "M", Kind: Percent, Value: 1000, MinBasket: 50000}},
			total: 30000, upsells: 1,
		},
		{
			name:  "voucher for another category gives nothing",
			in:    Input{Currency: "TRY", Lines: []Line{{1, 30000, cats(20)}}, Voucher: &Voucher{Code: "C", Kind: Percent, Value: 1000, Categories: dresses}},
			total: 30000,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Compute(tt.in)
			if res.DiscountAmount != tt.discount || res.ShippingDiscount != tt.shipDisc || res.Total != tt.total {
				t.Errorf("discount %s, shipping discount %s, total %s; want %s, %s, %s",
					res.DiscountAmount, res.ShippingDiscount, res.Total, tt.discount, tt.shipDisc, tt.total)
			}
			if len(res.Upsells) != tt.upsells {
				t.Errorf("upsells %+v; want %d", res.Upsells, tt.upsells)
			}
			if (res.VoucherProblem == nil) != tt.voucherOK {
				t.Errorf("voucher problem %v", res.VoucherProblem)
			}
			checkInvariants(t, tt.in, res)
		})
	}
}

// checkInvariants holds for every basket: the total is the lines minus the
// discounts to the minor unit, and no line is discounted below zero.
func checkInvariants(t *testing.T, in Input, res Result) {
	t.Helper()
	var product, lineTotals, lineDiscounts, listed money.Amount
	for i, l := range in.Lines {
		amount := l.UnitPrice * money.Amount(l.Quantity)
		product += amount
		r := res.Lines[i]
		if r.Discount < 0 || r.Discount > amount || r.Total != amount-r.Discount {
			t.Fatalf("line %d: amount %s, discount %s, total %s", i, amount, r.Discount, r.Total)
		}
		var badges money.Amount
		for _, b := range r.Badges {
			badges += b.Amount
		}
		if badges != r.Discount {
			t.Fatalf("line %d: badges add up to %s, discount %s", i, badges, r.Discount)
		}
		lineTotals += r.Total
		lineDiscounts += r.Discount
	}
	for _, d := range res.Discounts {
		listed += d.Amount
	}
	switch {
	case res.ProductAmount != product:
		t.Fatalf("product amount %s; lines add up to %s", res.ProductAmount, product)
	case res.DiscountAmount != lineDiscounts:
		t.Fatalf("discount amount %s; line discounts add up to %s", res.DiscountAmount, lineDiscounts)
	case listed != res.DiscountAmount+res.ShippingDiscount:
		t.Fatalf("discounts list %s; want %s + %s", listed, res.DiscountAmount, res.ShippingDiscount)
	case res.Total != lineTotals+res.ShippingAmount-res.ShippingDiscount:
		t.Fatalf("total %s; lines %s + shipping %s − %s", res.Total, lineTotals, res.ShippingAmount, res.ShippingDiscount)
	case res.Total != product-listed+res.ShippingAmount:
		t.Fatalf("total %s ≠ products %s − discounts %s + shipping %s", res.Total, product, listed, res.ShippingAmount)
	case res.ShippingDiscount > res.ShippingAmount || res.Total < 0:
		t.Fatalf("shipping discount %s of %s, total %s", res.ShippingDiscount, res.ShippingAmount, res.Total)
	}
}

// randomInput is a random basket with random promotions over a small
// category space, so promotions overlap often.
func randomInput(rng *rand.Rand) Input {
	in := Input{Currency: "TRY", Shipping: money.Amount(rng.IntN(5000))}
	for range rng.IntN(8) {
		l := Line{Quantity: int64(1 + rng.IntN(6)), UnitPrice: money.Amount(1 + rng.IntN(200000)), Categories: cats(int64(rng.IntN(4)))}
		in.Lines = append(in.Lines, l)
	}
	randomCats := func() []int64 {
		if rng.IntN(2) == 0 {
			return nil
		}
		return []int64{int64(rng.IntN(4))}
	}
	for range rng.IntN(4) {
		switch rng.IntN(3) {
		case 0:
			in.Offers = append(in.Offers, Offer{Kind: Percent, Value: int64(1 + rng.IntN(10000)), Categories: randomCats()})
		case 1:
			buy := int64(2 + rng.IntN(4))
			in.Offers = append(in.Offers, Offer{Kind: BuyXPayY, Buy: buy, Pay: int64(1 + rng.IntN(int(buy-1))), Categories: randomCats()})
		default:
			in.Offers = append(in.Offers, Offer{Kind: FreeShipping, MinBasket: map[string]money.Amount{"TRY": money.Amount(rng.IntN(300000))}})
		}
	}
	if rng.IntN(2) == 0 {
		v := &Voucher{Code: "R", Kind: Percent, Value: int64(1 + rng.IntN(10000)), Categories: randomCats(),
			MinBasket: money.Amount(rng.IntN(100000)), MaxDiscount: money.Amount(rng.IntN(50000))}
		if rng.IntN(2) == 0 {
			v.Kind, v.Value = Amount, int64(1+rng.IntN(100000))
		}
		in.Voucher = v
	}
	return in
}

func TestComputeProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		in := randomInput(rng)
		checkInvariants(t, in, Compute(in))
	}
}

func TestSpreadIsExact(t *testing.T) {
	lines := []Line{{1, 1, nil}, {1, 1, nil}, {1, 1, nil}}
	remaining := []money.Amount{1, 1, 1}
	shares := spread(lines, remaining, 2, func(Line) bool { return true })
	if shares[0]+shares[1]+shares[2] != 2 {
		t.Fatalf("shares %v do not add up to 2", shares)
	}
}

func BenchmarkCompute(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	inputs := make([]Input, 256)
	for i := range inputs {
		inputs[i] = randomInput(rng)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Compute(inputs[i%len(inputs)])
	}
}
