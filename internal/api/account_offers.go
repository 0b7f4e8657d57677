package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/order"
	"github.com/vitrin/vitrin/internal/promotion"
)

// The account's "my offers" pages (data/client/account.ts): the store's
// automatic offers running now, to come and ended, and the discounts the
// customer's orders got. Voucher codes are not listed: a merchant hands
// them out to whom they choose.

// registerAccountOffers adds /account/basket-offers and its siblings.
func registerAccountOffers(s *Server) error {
	promos := promotion.NewService(s.db)
	offersWhen := func(keep func(o promotion.Offer, now time.Time) bool, paginated bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if _, err := s.customer(r); err != nil {
				writeError(w, r, err)
				return
			}
			offers, err := promos.Offers(r.Context(), s.db)
			if err != nil {
				writeError(w, r, err)
				return
			}
			loc, now := s.locale(r), promos.Now()
			out := []offerJSON{}
			for _, o := range offers {
				if keep(o, now) && o.AppliesIn(loc.currency) {
					out = append(out, wireOffer(o, loc))
				}
			}
			if paginated {
				writeJSON(w, http.StatusOK, paginate(r, out, 20))
				return
			}
			// The running ones answer in the client's coupon shape;
			// total_discount sums coupon amounts, which offers have none.
			writeJSON(w, http.StatusOK, map[string]any{"discounts": out, "all_discounts": out, "total_discount": money.Amount(0)})
		}
	}
	s.handle("GET /account/basket-offers", offersWhen(promotion.Offer.LiveAt, false))
	s.handle("GET /account/future-basket-offers", offersWhen(func(o promotion.Offer, now time.Time) bool {
		return o.Starts != nil && o.Starts.After(now)
	}, true))
	s.handle("GET /account/expired-basket-offers", offersWhen(func(o promotion.Offer, now time.Time) bool {
		return o.Ends != nil && !o.Ends.After(now)
	}, true))
	s.handle("GET /account/discount-items", s.usedDiscounts)
	return nil
}

type labelledValue struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

type conditionJSON struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// offerJSON is an offer or a used discount as the account pages show them.
type offerJSON struct {
	Label         string         `json:"label"`
	Amount        *money.Amount  `json:"amount"`
	Percentage    *string        `json:"percentage"`
	StartDatetime *time.Time     `json:"start_datetime"`
	EndDatetime   *time.Time     `json:"end_datetime"`
	Currency      labelledValue  `json:"currency"`
	VoucherCode   *string        `json:"voucher_code"`
	OfferType     labelledValue  `json:"offer_type"`
	Condition     *conditionJSON `json:"condition"`
	BenefitType   *labelledValue `json:"benefit_type"`
	// Used discounts only.
	CreatedDate *time.Time `json:"created_date,omitempty"`
	OrderNumber string     `json:"order_number,omitempty"`
}

func currencyJSON(code string) labelledValue {
	return labelledValue{Value: strings.ToLower(code), Label: strings.ToUpper(code)}
}

var basketOffer = labelledValue{"basket_offer", "Basket offer"}

func wireOffer(o promotion.Offer, loc locale) offerJSON {
	out := offerJSON{Label: o.LabelIn(loc.language, loc.currency), StartDatetime: o.Starts, EndDatetime: o.Ends,
		Currency: currencyJSON(loc.currency), OfferType: basketOffer}
	switch o.Kind {
	case promotion.Percent:
		// Basis points print as a percentage with two decimals, as money does.
		p := money.Amount(o.Value).String()
		out.Percentage = &p
		out.BenefitType = &labelledValue{"percentage", "Percentage"}
	case promotion.BuyXPayY:
		buy, pay := strconv.FormatInt(o.Buy, 10), strconv.FormatInt(o.Pay, 10)
		out.Condition = &conditionJSON{Type: "Quantity", Value: buy}
		out.BenefitType = &labelledValue{"buy_x_pay_y", "Buy " + buy + " pay " + pay}
	case promotion.FreeShipping:
		threshold := o.MinBasket[loc.currency]
		out.Condition = &conditionJSON{Type: "Amount", Value: threshold.String()}
		out.BenefitType = &labelledValue{"shipping_free", "Shipping Free"}
	}
	return out
}

// usedDiscounts answers /account/discount-items: the discounts of the
// customer's orders, newest first.
func (s *Server) usedDiscounts(w http.ResponseWriter, r *http.Request) {
	sess, err := s.customer(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	used, err := order.UsedDiscounts(r.Context(), s.db, sess.CustomerID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]offerJSON, len(used))
	for i, d := range used {
		amount, created := d.Amount, d.Created
		out[i] = offerJSON{Label: d.Label, Amount: &amount, Currency: currencyJSON(d.Currency), OfferType: basketOffer,
			CreatedDate: &created, OrderNumber: d.OrderNumber}
		if d.VoucherCode != "" && d.Label == (promotion.Voucher{Code: d.VoucherCode}).Description() {
			code := d.VoucherCode
			out[i].VoucherCode, out[i].OfferType = &code, labelledValue{"voucher", "Voucher"}
		}
	}
	page := paginate(r, out, 20)
	// The client's own account page reads this list as "discounts", its
	// documentation as the paginated "results": both are given.
	writeJSON(w, http.StatusOK, struct {
		listJSON[offerJSON]
		Discounts []offerJSON `json:"discounts"`
	}{page, page.Results})
}
