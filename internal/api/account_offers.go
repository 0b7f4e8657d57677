package api

import (
	"net/http"
	"time"

	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/order"
	"github.com/vitrin/vitrin/internal/promotion"
)

// The account's "my offers" pages (data/client/account.ts): the store's
// automatic offers running now, to come and ended, and the discounts the
// customer's orders got. Voucher codes are not listed: a merchant hands
// them out to whom they choose.

// runningOffers answers in the client's coupon shape; total_discount
// sums coupon amounts, which offers have none.
func (s *Server) runningOffers(w http.ResponseWriter, r *http.Request) error {
	out, err := s.offers(r, promotion.Offer.LiveAt)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"discounts": out, "all_discounts": out, "total_discount": money.Amount(0)})
}

func (s *Server) futureOffers(w http.ResponseWriter, r *http.Request) error {
	out, err := s.offers(r, func(o promotion.Offer, now time.Time) bool { return o.Starts != nil && o.Starts.After(now) })
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, paginate(r, out, 20))
}

func (s *Server) expiredOffers(w http.ResponseWriter, r *http.Request) error {
	out, err := s.offers(r, func(o promotion.Offer, now time.Time) bool { return o.Ends != nil && !o.Ends.After(now) })
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, paginate(r, out, 20))
}

// offers are the store's offers that keep says, in the request's
// currency; only customers see them.
func (s *Server) offers(r *http.Request, keep func(o promotion.Offer, now time.Time) bool) ([]promotion.OfferJSON, error) {
	if _, err := s.customer(r); err != nil {
		return nil, err
	}
	offers, err := s.promotions.Offers(r.Context(), s.db)
	if err != nil {
		return nil, err
	}
	loc, now := s.locale(r), s.promotions.Now()
	out := []promotion.OfferJSON{}
	for _, o := range offers {
		if keep(o, now) && o.AppliesIn(loc.currency) {
			out = append(out, o.Wire(loc.language, loc.currency))
		}
	}
	return out, nil
}

// usedDiscounts answers /account/discount-items: the discounts of the
// customer's orders, newest first.
func (s *Server) usedDiscounts(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.customer(r)
	if err != nil {
		return err
	}
	used, err := order.UsedDiscounts(r.Context(), s.db, sess.CustomerID)
	if err != nil {
		return err
	}
	out := make([]promotion.OfferJSON, len(used))
	for i, d := range used {
		out[i] = promotion.UsedDiscount{Label: d.Label, Amount: d.Amount, Currency: d.Currency, VoucherCode: d.VoucherCode,
			OrderNumber: d.OrderNumber, Created: d.Created}.Wire()
	}
	page := paginate(r, out, 20)
	// The client's own account page reads this list as "discounts", its
	// documentation as the paginated "results": both are given.
	return writeJSON(w, http.StatusOK, struct {
		listJSON[promotion.OfferJSON]
		Discounts []promotion.OfferJSON `json:"discounts"`
	}{page, page.Results})
}
