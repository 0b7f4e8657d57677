package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/vitrin/vitrin/internal/address"
	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/order"
	"github.com/vitrin/vitrin/internal/payment"
)

// RedirectThreeDPath is Vitrin's page that sends the shopper to the bank.
const RedirectThreeDPath = "/orders/redirect-three-d/"

// unavailableLines says why a basket cannot be ordered as it stands.
const unavailableLines = "Some products in your basket are no longer available; please review your basket."

// BasketPath is the storefront's basket page.
const BasketPath = "/baskets/basket/"

// answer renders the checkout as it stands: the page to show (page if it
// may be shown now, else the next one), pre_order and the errors of a
// refused step. Choices that no longer hold are dropped here and said so.
func (s *Service) answer(ctx context.Context, sh Shopper, page string, refused *stepError) (*Result, error) {
	key, _ := s.key(ctx, sh, false)
	st, base, err := s.loadStored(ctx, s.db, key, "")
	if err != nil {
		return nil, err
	}
	return s.render(ctx, sh, key, st, base, page, refused)
}

// render is answer for a state in hand: st, stored under key as base.
func (s *Service) render(ctx context.Context, sh Shopper, key string, st *State, base, page string, refused *stepError) (*Result, error) {
	saved, _ := json.Marshal(st)
	p, dropped, err := s.resolve(ctx, s.db, sh, st, false, nil)
	if err != nil {
		return nil, err
	}
	if st.Placed != 0 && len(p.basket.Lines) == 0 {
		if o, err := order.Get(ctx, s.db, st.Placed); err == nil {
			return s.thankYou(sh, p, o), nil
		}
	}
	if st.Placed != 0 {
		s.restartAfterOrder(st)
		if p, dropped, err = s.resolve(ctx, s.db, sh, st, false, nil); err != nil {
			return nil, err
		}
	}
	st.Fingerprint = fingerprint(p.basket)
	if now, _ := json.Marshal(st); key != "" && string(now) != string(saved) {
		// Stale choices dropped, or a new basket: saved unless another
		// request saved the checkout meanwhile (it dropped them too, or
		// the next answer will).
		before := &State{}
		_ = json.Unmarshal(saved, before)
		if _, err := s.changed(ctx, key, base, before, st); err != nil {
			return nil, err
		}
	}
	res := &Result{Status: 200, Basket: p.basket}
	path := steps(st, sh, p)
	show := next(path)
	if page != "" && reachable(path, page, st) && page != ThreeDPage {
		show = page
	}
	if refused != nil {
		res.Status = refused.status
		res.Errors = refused.errors
		if refused.page != "" && reachable(path, refused.page, st) {
			show = refused.page
		}
	} else if len(dropped) > 0 {
		res.Errors = dropped
	}
	if len(p.basket.Lines) == 0 || p.basket.HasUnavailable() {
		// Nothing can be ordered as the basket stands (empty, or a line
		// out of stock, withdrawn or unpriced): back to the basket, which
		// shows what is wrong with each line.
		res.RedirectURL = BasketPath
		if res.Errors == nil && len(p.basket.Lines) > 0 {
			res.Errors = apperror.Field("non_field_errors", unavailableLines)
		}
	}
	ctxt, err := s.pageContext(ctx, sh, st, p, show)
	if err != nil {
		return nil, err
	}
	if res.RedirectURL != "" {
		// The real client follows only a page context's redirect_url
		// (redux/middlewares/checkout.ts), not the top-level one.
		ctxt.PageContext["redirect_url"] = res.RedirectURL
	}
	res.Contexts = []Context{ctxt}
	res.PreOrder = preOrder(sh, st, p)
	if st.RetailStore != 0 {
		// The client shows the chosen store (RetailStore of
		// types/commerce/misc.ts), not just its pk.
		stores, _, err := s.catalog.RetailStores(ctx, catalog.StoreFilter{})
		if err != nil {
			return nil, err
		}
		for i := range stores {
			if stores[i].PK == st.RetailStore {
				res.PreOrder["retail_store"] = stores[i]
			}
		}
	}
	return res, nil
}

func (s *Service) thankYou(sh Shopper, p *priced, o *order.Order) *Result {
	return &Result{Status: 200, Basket: p.basket, PreOrder: map[string]any{"is_guest": !sh.Sess.IsCustomer()},
		Contexts: []Context{{PageName: ThankYouPage, PageSlug: "thankyoupage", PageContext: map[string]any{
			"redirect_url": "/orders/completed/" + o.Token + "/", "order_id": o.ID, "token": o.Token,
			"new_user": false, "campaigns": []any{}}}}}
}

func slugOf(page string) string {
	out := make([]rune, 0, len(page))
	for _, r := range page {
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		out = append(out, r)
	}
	return string(out)
}

func (s *Service) pageContext(ctx context.Context, sh Shopper, st *State, p *priced, page string) (Context, error) {
	pc := map[string]any{}
	switch page {
	case IndexPage:
		pc["can_guest_purchase"] = true
	case DeliveryPage:
		pc["delivery_options"] = p.opts.delivery
	case AddressPage, RetailStorePage:
		list, err := s.addressesOf(ctx, sh)
		if err != nil {
			return Context{}, err
		}
		pc["addresses"] = list
		if page == RetailStorePage {
			stores, _, err := s.catalog.RetailStores(ctx, catalog.StoreFilter{})
			if err != nil {
				return Context{}, err
			}
			pc["retail_stores"] = stores
		}
	case ShippingPage:
		offered := []map[string]any{}
		for _, o := range p.opts.shipping {
			if p.shipAddr != nil && o.Offers(p.shipAddr.CountryPlace.Code, sh.Currency) {
				offered = append(offered, shippingWire(&o, o.Price(sh.Currency, p.basket.Pricing.ProductAmount-p.basket.Pricing.DiscountAmount)))
			}
		}
		pc["shipping_options"] = offered
	case PaymentPage:
		list := []map[string]any{}
		for _, o := range p.opts.payment {
			if o.Type == "credit_card" || o.Type == "funds_transfer" || o.Type == "pay_on_delivery" {
				list = append(list, o.Wire())
			}
		}
		pc["payment_options"] = list
	case InstallmentPage:
		pc["card_type"] = cardType(payment.Brand(st.Bin))
		pc["installments"] = installmentOptions(p.basket.Pricing.Total, p.payment.Installments)
	case TransferChoicePage:
		list := []map[string]any{}
		for _, b := range p.opts.banks {
			list = append(list, b.Wire())
		}
		pc["bank_accounts"] = list
	case DeliveryChoicePage:
		list := []map[string]any{}
		for _, c := range deliveryChoices {
			list = append(list, paymentChoice(c, p.fee))
		}
		pc["payment_choices"] = list
	}
	return Context{PageName: page, PageSlug: slugOf(page), PageContext: pc}, nil
}

// paymentChoice is a PaymentChoice of types/commerce/checkout.ts.
func paymentChoice(value string, fee money.Amount) map[string]any {
	labels := map[string]string{"cash": "Cash", "credit_card": "Credit card at the door"}
	return map[string]any{"label": labels[value], "value": value, "price": fee}
}

func installmentLabel(n int) string {
	if n <= 1 {
		return "Single payment"
	}
	return itoa(int64(n)) + " installments"
}

func shippingWire(o *ShippingOption, amount money.Amount) map[string]any {
	return map[string]any{"pk": o.PK, "slug": o.Slug, "name": o.Name, "description": o.Description,
		"shipping_amount": amount, "logo": nil, "kwargs": map[string]any{}}
}

func (s *Service) addressesOf(ctx context.Context, sh Shopper) ([]address.JSON, error) {
	out := []address.JSON{}
	if sh.Owner.CustomerID == 0 && sh.Owner.GuestKey == "" {
		return out, nil
	}
	list, err := s.addresses.List(ctx, sh.Owner)
	if err != nil {
		return nil, err
	}
	for _, a := range list {
		out = append(out, a.Wire())
	}
	return out, nil
}

// preOrder is the PreOrder shape of types/commerce/checkout.ts (the API
// adds the basket).
func preOrder(sh Shopper, st *State, p *priced) map[string]any {
	po := map[string]any{
		"is_guest": !sh.Sess.IsCustomer(), "user_email": st.Email, "user_phone_number": st.Phone,
		"shipping_amount": p.shipAmt, "total_amount": p.basket.Pricing.Total,
		"total_amount_with_interest": p.total, "unpaid_amount": p.total, "currency_type_label": sh.Currency,
		"notes": st.Notes, "is_post_order": false, "is_redirected": false,
		"billing_and_shipping_same": st.ShippingAddr != 0 && st.ShippingAddr == st.BillingAddr,
	}
	if p.delivery != nil {
		po["delivery_option"] = p.delivery
	}
	if p.shipAddr != nil {
		po["shipping_address"] = p.shipAddr.Wire()
	}
	if p.billAddr != nil {
		po["billing_address"] = p.billAddr.Wire()
	}
	if p.shipping != nil {
		po["shipping_option"] = shippingWire(p.shipping, p.shipAmt)
	}
	if p.payment != nil {
		po["payment_option"] = p.payment.Wire()
	}
	if p.installmt != nil {
		po["installment"] = map[string]any{"pk": p.installmt.Count, "installment_count": p.installmt.Count,
			"label": installmentLabel(p.installmt.Count), "price_with_accrued_interest": p.basket.Pricing.Total + p.interest,
			"monthly_price_with_accrued_interest": (p.basket.Pricing.Total + p.interest) / money.Amount(p.installmt.Count)}
		po["installment_interest_amount"] = p.interest
	}
	if p.fee != 0 {
		po["pay_on_delivery_fee"] = p.fee
	}
	if st.Choice != "" {
		po["payment_choice"] = paymentChoice(st.Choice, p.fee)
	}
	if p.bank != nil {
		po["bank_account"] = p.bank.Wire()
	}
	return po
}

// isFinal reports whether a page places the order.
func isFinal(page string) bool {
	return page == CardPage || page == ThreeDPage || page == TransferPage || page == PayOnDeliveryPage
}

// asStepError turns a domain error into a refused step on page.
func asStepError(err error, page string) (*stepError, bool) {
	var se *stepError
	if errors.As(err, &se) {
		return se, true
	}
	var fields apperror.Fields
	if errors.As(err, &fields) {
		return &stepError{status: 400, errors: fields, page: page}, true
	}
	return nil, false
}
func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Summary is the checkout as the contracts shown before payment must name
// it: the buyer, the delivery address, the goods and what is paid.
type Summary struct {
	Buyer    string // the e-mail the order goes to
	Name     string // on the billing address
	Address  string // where the goods go (the store, for click and collect)
	Lines    []SummaryLine
	Shipping money.Amount
	Total    money.Amount // what the shopper pays: interest and fees included
	Currency string
	Payment  string
}

// SummaryLine is one product of a Summary.
type SummaryLine struct {
	ProductID int64
	Quantity  int64
	Total     money.Amount
}

// Summary returns the session's checkout as it stands, nil when its basket
// holds nothing to order. It writes nothing.
func (s *Service) Summary(ctx context.Context, sh Shopper) (*Summary, error) {
	key, _ := s.key(ctx, sh, false)
	st, err := s.load(ctx, s.db, key, "")
	if err != nil {
		return nil, err
	}
	if st.Placed != 0 {
		s.restartAfterOrder(st)
	}
	p, _, err := s.resolve(ctx, s.db, sh, st, false, nil)
	if err != nil {
		return nil, err
	}
	sum := &Summary{Buyer: st.Email, Shipping: p.shipAmt, Total: p.total, Currency: sh.Currency}
	for _, l := range p.basket.Lines {
		if l.Available() {
			sum.Lines = append(sum.Lines, SummaryLine{ProductID: l.ProductID, Quantity: l.Quantity, Total: l.Total})
		}
	}
	if len(sum.Lines) == 0 {
		return nil, nil
	}
	if sh.Sess.IsCustomer() {
		if err := s.db.QueryRowContext(ctx, "SELECT email FROM customers WHERE id = $1", sh.Sess.CustomerID).Scan(&sum.Buyer); err != nil {
			return nil, err
		}
	}
	if a := p.billAddr; a != nil {
		sum.Name = strings.TrimSpace(a.FirstName + " " + a.LastName)
	}
	if a := p.shipAddr; a != nil {
		var district, township string
		if a.DistrictPlace != nil {
			district = a.DistrictPlace.Name
		}
		if a.TownshipPlace != nil {
			township = a.TownshipPlace.Name
		}
		sum.Address = oneLine(a.Line, district, township, a.Postcode, a.CityPlace.Name, a.CountryPlace.Name)
	} else if st.RetailStore != 0 {
		var name, line string
		if err := s.db.QueryRowContext(ctx, "SELECT name, address FROM retail_stores WHERE id = $1", st.RetailStore).Scan(&name, &line); err != nil {
			return nil, err
		}
		sum.Address = oneLine(name, line)
	}
	if p.payment != nil {
		sum.Payment = p.payment.Name
	}
	return sum, nil
}

// oneLine joins the non-empty parts of an address.
func oneLine(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, ", ")
}
