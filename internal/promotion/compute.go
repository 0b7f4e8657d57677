// Package promotion holds vouchers and automatic offers, and is the one
// place a discount is computed: the basket, the checkout and the order all
// call Compute, so a promotion gives the same amount at every step.
//
// Compute is a pure function of the lines, the promotions and the shipping
// amount; loading promotions and recording voucher use is in store.go.
package promotion

import (
	"fmt"
	"math/bits"
	"sort"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/money"
)

// Kinds of vouchers and offers, as the import file spells them.
const (
	Percent      = "percent"
	Amount       = "amount"
	BuyXPayY     = "buy_x_pay_y"
	FreeShipping = "free_shipping"
)

// Line is one priced basket line as promotions see it.
type Line struct {
	Quantity  int64
	UnitPrice money.Amount
	// Categories holds the line's product categories and all their
	// ancestors, so a promotion on "women" reaches "women-dresses".
	Categories map[int64]bool
}

func (l Line) amount() money.Amount { return l.UnitPrice * money.Amount(l.Quantity) }

// Input is everything a price computation depends on.
type Input struct {
	Currency string
	Lines    []Line
	Offers   []Offer
	Voucher  *Voucher // the applied voucher, already checked with Voucher.Check; nil for none
	Shipping money.Amount
}

// Applied is one discount: a line's offer badge, or an entry of the
// basket's discounts.
type Applied struct {
	Description string       `json:"description"`
	Amount      money.Amount `json:"discount"`
	// Translations holds the description in other languages (language →
	// text), for the wire to pick from.
	Translations map[string]string `json:"-"`
}

// In returns the description in lang, or the default one.
func (a Applied) In(lang string) Applied {
	if t, ok := a.Translations[lang]; ok && t != "" {
		a.Description = t
	}
	a.Translations = nil
	return a
}

// Upsell is an offer the basket is close to (one unit short of a buy X
// pay Y, at least half of a threshold): what is still missing.
type Upsell struct {
	Message string
	// Units: Required, Partial and Remaining count items, not money.
	Units             bool
	Required          money.Amount // the threshold to reach
	Partial           money.Amount // what the basket has towards it
	Remaining         money.Amount
	PartialPercentage int64
}

// LineResult is the promotions' effect on one line.
type LineResult struct {
	Discount money.Amount
	Total    money.Amount // amount − discount
	Badges   []Applied
}

// Result is a priced basket. Total = ProductAmount − DiscountAmount +
// ShippingAmount − ShippingDiscount, exactly; DiscountAmount is the sum of
// the lines' discounts and of Discounts except shipping.
type Result struct {
	Lines            []LineResult // in Input.Lines order
	Discounts        []Applied
	Upsells          []Upsell
	ProductAmount    money.Amount
	DiscountAmount   money.Amount
	ShippingAmount   money.Amount
	ShippingDiscount money.Amount
	Total            money.Amount
	// VoucherProblem says why the applied voucher gives nothing on this
	// basket (minimum not reached, no eligible product); nil otherwise.
	VoucherProblem error
}

// Compute prices in.Lines with the offers and the voucher, in this order:
// line offers (percent off a category, buy X pay Y) in their given order,
// each on what earlier ones left of a line; then the voucher on what the
// offers left; then free shipping on the total after both.
func Compute(in Input) Result {
	res := Result{Lines: make([]LineResult, len(in.Lines)), ShippingAmount: in.Shipping}
	remaining := make([]money.Amount, len(in.Lines))
	for i, l := range in.Lines {
		remaining[i] = l.amount()
		res.ProductAmount += l.amount()
	}
	for _, o := range in.Offers {
		var shares []money.Amount
		switch o.Kind {
		case Percent:
			shares = percentShares(in.Lines, remaining, o)
		case BuyXPayY:
			shares = buyXPayYShares(in.Lines, remaining, o)
			if up, ok := buyXPayYUpsell(in.Lines, o); ok {
				res.Upsells = append(res.Upsells, up)
			}
		default:
			continue
		}
		res.addShares(shares, remaining, Applied{Description: o.Description(in.Currency), Translations: o.Labels})
	}
	if v := in.Voucher; v != nil {
		res.applyVoucher(in, v, remaining)
	}
	afterDiscounts := res.ProductAmount - res.DiscountAmount
	for _, o := range in.Offers {
		if o.Kind != FreeShipping {
			continue
		}
		threshold, ok := o.MinBasket[in.Currency]
		if !ok || len(in.Lines) == 0 {
			continue
		}
		if afterDiscounts < threshold {
			if closeTo(threshold, afterDiscounts) {
				res.Upsells = append(res.Upsells, thresholdUpsell(threshold, afterDiscounts,
					fmt.Sprintf("Add %s more for free shipping.", threshold-afterDiscounts)))
			}
			continue
		}
		// Free shipping is listed even before a shipping option is chosen
		// (its amount is then zero), so the shopper sees it applies.
		if res.ShippingDiscount == 0 {
			res.ShippingDiscount = in.Shipping
			res.Discounts = append(res.Discounts, Applied{Description: o.Description(in.Currency), Amount: in.Shipping, Translations: o.Labels})
		}
	}
	for i := range res.Lines {
		res.Lines[i].Total = remaining[i]
	}
	res.Total = res.ProductAmount - res.DiscountAmount + res.ShippingAmount - res.ShippingDiscount
	return res
}

// addShares records one promotion's per-line discounts.
func (res *Result) addShares(shares, remaining []money.Amount, promo Applied) {
	var total money.Amount
	for i, s := range shares {
		if s <= 0 {
			continue
		}
		remaining[i] -= s
		res.Lines[i].Discount += s
		badge := promo
		badge.Amount = s
		res.Lines[i].Badges = append(res.Lines[i].Badges, badge)
		total += s
	}
	if total > 0 {
		promo.Amount = total
		res.Discounts = append(res.Discounts, promo)
		res.DiscountAmount += total
	}
}

func percentShares(lines []Line, remaining []money.Amount, o Offer) []money.Amount {
	shares := make([]money.Amount, len(lines))
	for i, l := range lines {
		if o.covers(l) {
			shares[i] = remaining[i].Percent(o.Value)
		}
	}
	return shares
}

// buyXPayYShares makes the cheapest units free: of every Buy eligible
// units, Buy−Pay are free.
func buyXPayYShares(lines []Line, remaining []money.Amount, o Offer) []money.Amount {
	shares := make([]money.Amount, len(lines))
	if o.Buy <= 0 || o.Pay >= o.Buy {
		return shares
	}
	var eligible []int
	var units int64
	for i, l := range lines {
		if o.covers(l) {
			eligible = append(eligible, i)
			units += l.Quantity
		}
	}
	free := units / o.Buy * (o.Buy - o.Pay)
	sort.SliceStable(eligible, func(a, b int) bool { return lines[eligible[a]].UnitPrice < lines[eligible[b]].UnitPrice })
	for _, i := range eligible {
		if free == 0 {
			break
		}
		n := min(free, lines[i].Quantity)
		free -= n
		shares[i] = min(lines[i].UnitPrice*money.Amount(n), remaining[i])
	}
	return shares
}

// buyXPayYUpsell tells the shopper one more unit makes a free one.
func buyXPayYUpsell(lines []Line, o Offer) (Upsell, bool) {
	if o.Buy <= 1 || o.Pay >= o.Buy {
		return Upsell{}, false
	}
	var units int64
	for _, l := range lines {
		if o.covers(l) {
			units += l.Quantity
		}
	}
	if units%o.Buy != o.Buy-1 {
		return Upsell{}, false
	}
	return Upsell{
		Message: fmt.Sprintf("Add 1 more item for %s.", o.Description("")), Units: true,
		Required: money.Amount(o.Buy), Partial: money.Amount(units % o.Buy), Remaining: 1,
		PartialPercentage: (units % o.Buy) * 100 / o.Buy,
	}, true
}

// closeTo reports whether a basket at partial is close enough to an
// offer's threshold for an upsell: at least half of it. Further away, "add
// 700.00 more" is noise on every small basket rather than a nudge.
// (A voucher's minimum is told whatever the distance: the shopper chose
// that voucher and needs to know why it gives nothing.)
func closeTo(threshold, partial money.Amount) bool {
	return partial >= threshold-threshold/2
}

func thresholdUpsell(required, partial money.Amount, message string) Upsell {
	pct := int64(0)
	if required > 0 && partial > 0 {
		pct = int64(partial) * 100 / int64(required)
	}
	return Upsell{Message: message, Required: required, Partial: partial, Remaining: required - partial, PartialPercentage: pct}
}

// applyVoucher discounts what the offers left of the eligible lines,
// spread over them in proportion (largest remainder, so the lines add up
// to the voucher's amount exactly).
func (res *Result) applyVoucher(in Input, v *Voucher, remaining []money.Amount) {
	afterOffers := res.ProductAmount - res.DiscountAmount
	if v.MinBasket > 0 && afterOffers < v.MinBasket {
		res.VoucherProblem = apperror.Field("voucher_code", fmt.Sprintf("Voucher code %s needs a basket of at least %s.", v.Code, v.MinBasket))
		res.Upsells = append(res.Upsells, thresholdUpsell(v.MinBasket, afterOffers,
			fmt.Sprintf("Add %s more to use voucher %s.", v.MinBasket-afterOffers, v.Code)))
		return
	}
	var eligible money.Amount
	for i, l := range in.Lines {
		if v.covers(l) {
			eligible += remaining[i]
		}
	}
	if eligible <= 0 {
		res.VoucherProblem = apperror.Field("voucher_code", fmt.Sprintf("Voucher code %s does not apply to any product in your basket.", v.Code))
		return
	}
	discount := money.Amount(v.Value)
	if v.Kind == Percent {
		discount = eligible.Percent(v.Value)
	}
	if v.MaxDiscount > 0 {
		discount = min(discount, v.MaxDiscount)
	}
	discount = min(discount, eligible)
	res.addShares(spread(in.Lines, remaining, discount, v.covers), remaining, Applied{Description: v.Description()})
}

// spread divides total over the covered lines in proportion to what is
// left of them; the sum of the shares is total exactly.
func spread(lines []Line, remaining []money.Amount, total money.Amount, covers func(Line) bool) []money.Amount {
	shares := make([]money.Amount, len(lines))
	var base money.Amount
	for i, l := range lines {
		if covers(l) {
			base += remaining[i]
		}
	}
	if base <= 0 {
		return shares
	}
	type rem struct {
		i int
		r uint64
	}
	var rems []rem
	var given money.Amount
	for i, l := range lines {
		if !covers(l) || remaining[i] <= 0 {
			continue
		}
		// total ≤ base, so the 128-bit quotient fits in 64 bits.
		hi, lo := bits.Mul64(uint64(total), uint64(remaining[i]))
		q, r := bits.Div64(hi, lo, uint64(base))
		shares[i] = money.Amount(q)
		given += shares[i]
		rems = append(rems, rem{i, r})
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for k := 0; given < total && len(rems) > 0; k = (k + 1) % len(rems) {
		shares[rems[k].i]++
		given++
	}
	return shares
}
