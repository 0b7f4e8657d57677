package checkout

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/vitrin/vitrin/internal/address"
	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/basket"
	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/loyalty"
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

// show answers with the checkout as stored: the page to show (page if it
// may be shown now, else the next one), pre_order and the errors of a
// refused step. Choices that no longer hold are dropped here and said so.
func (s *Service) show(ctx context.Context, sh Shopper, page string, refused *stepError) (*Result, error) {
	key, _ := s.key(ctx, sh, false)
	st, base, err := s.loadStored(ctx, s.db, key, "")
	if err != nil {
		return nil, err
	}
	return s.showState(ctx, sh, key, st, base, page, refused)
}

// showState is show for a state in hand: st, stored under key as base.
// What quoting it drops, and a new basket's fingerprint, are saved.
func (s *Service) showState(ctx context.Context, sh Shopper, key string, st *State, base, page string, refused *stepError) (*Result, error) {
	saved, _ := json.Marshal(st)
	qt, dropped, err := s.quote(ctx, nil, sh, st, nil)
	if err != nil {
		return nil, err
	}
	if st.Placed != 0 && len(qt.basket.Lines) == 0 {
		if o, err := order.Get(ctx, s.db, st.Placed); err == nil {
			return thankYou(sh, qt.basket, o), nil
		}
	}
	if st.Placed != 0 {
		restartAfterOrder(st)
		if qt, dropped, err = s.quote(ctx, nil, sh, st, nil); err != nil {
			return nil, err
		}
	}
	st.Fingerprint = fingerprint(qt.basket)
	if now, _ := json.Marshal(st); key != "" && string(now) != string(saved) {
		// Stale choices dropped, or a new basket: saved unless another
		// request saved the checkout meanwhile (it dropped them too, or
		// the next answer will).
		before := &State{}
		_ = json.Unmarshal(saved, before)
		if _, err := s.storeChange(ctx, key, base, before, st); err != nil {
			return nil, err
		}
	}
	if refused == nil && len(dropped) > 0 {
		refused = &stepError{status: 200, errors: dropped}
	}
	return s.result(ctx, sh, st, qt, page, refused)
}

// result is the answer of a quoted checkout: the page to show with its
// context, pre_order, and the errors of refused (status 200 when it only
// says what was dropped).
func (s *Service) result(ctx context.Context, sh Shopper, st *State, qt *quote, page string, refused *stepError) (*Result, error) {
	res := &Result{Status: 200, Basket: qt.basket, PreOrder: preOrder(sh, st, qt)}
	p := path(st, sh, qt)
	show := next(p)
	if page != "" && reachable(p, page, st) && !returning(page) {
		show = page
	}
	if refused != nil {
		res.Status, res.Errors = refused.status, refused.errors
		if refused.page != "" && reachable(p, refused.page, st) {
			show = refused.page
		}
	}
	if len(qt.basket.Lines) == 0 || qt.basket.HasUnavailable() {
		// Nothing can be ordered as the basket stands (empty, or a line
		// out of stock, withdrawn or unpriced): back to the basket, which
		// shows what is wrong with each line.
		res.RedirectURL = BasketPath
		if res.Errors == nil && len(qt.basket.Lines) > 0 {
			res.Errors = apperror.Field("non_field_errors", unavailableLines)
		}
	}
	pc, err := s.pageContext(ctx, sh, st, qt, show)
	if err != nil {
		return nil, err
	}
	if res.RedirectURL != "" {
		// The real client follows only a page context's redirect_url
		// (redux/middlewares/checkout.ts), not the top-level one.
		pc.PageContext["redirect_url"] = res.RedirectURL
	}
	res.Contexts = []Context{pc}
	if st.RetailStore != 0 {
		// The client shows the chosen store (RetailStore of
		// types/commerce/misc.ts), not just its pk.
		store, err := s.retailStore(ctx, st.RetailStore)
		if err != nil {
			return nil, err
		}
		if store != nil {
			res.PreOrder["retail_store"] = *store
		}
	}
	return res, nil
}

// retailStore returns the store id as the catalog lists it, nil when it
// lists no such store.
func (s *Service) retailStore(ctx context.Context, id int64) (*catalog.RetailStore, error) {
	stores, _, err := s.catalog.RetailStores(ctx, catalog.StoreFilter{})
	if err != nil {
		return nil, err
	}
	return find(stores, func(r *catalog.RetailStore) bool { return r.PK == id }), nil
}

// thankYou is the answer of a placed order.
func thankYou(sh Shopper, b *basket.Basket, o *order.Order) *Result {
	return &Result{Status: 200, Basket: b, PreOrder: map[string]any{"is_guest": !sh.Sess.IsCustomer()},
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

func (s *Service) pageContext(ctx context.Context, sh Shopper, st *State, qt *quote, page string) (Context, error) {
	pc := map[string]any{}
	switch page {
	case IndexPage:
		pc["can_guest_purchase"] = true
	case DeliveryPage:
		pc["delivery_options"] = qt.opts.delivery
	case AddressPage, RetailStorePage:
		if err := s.placesContext(ctx, sh, page, pc); err != nil {
			return Context{}, err
		}
	case ShippingPage:
		pc["shipping_options"] = shippingOffered(sh, qt)
	case PaymentPage:
		list := []map[string]any{}
		for _, o := range qt.opts.payment {
			if s.offers(&o, sh) {
				list = append(list, o.Wire())
			}
		}
		pc["payment_options"] = list
	case ProviderIndexPage, ProviderSelectionPage:
		pc["checkout_providers"] = s.providers(sh, qt.opts)
	case InstallmentPage:
		pc["card_type"] = cardType(payment.Brand(st.Bin))
		pc["installments"] = installmentOptions(qt.payable(), qt.payment.Installments)
	case TransferChoicePage:
		list := []map[string]any{}
		for _, b := range qt.opts.banks {
			list = append(list, b.Wire())
		}
		pc["bank_accounts"] = list
	case DeliveryChoicePage:
		list := []map[string]any{}
		for _, c := range deliveryChoices {
			list = append(list, paymentChoice(c, qt.fee))
		}
		pc["payment_choices"] = list
	case LoyaltyUsagePage, LoyaltyPage:
		if sh.Sess.IsCustomer() {
			balance, err := loyalty.Balance(ctx, s.db, sh.Sess.CustomerID)
			if err != nil {
				return Context{}, err
			}
			pc["balance"] = balance
		}
	}
	return Context{PageName: page, PageSlug: slugOf(page), PageContext: pc}, nil
}

// placesContext lists the shopper's addresses in pc, and the stores for
// store pickup.
func (s *Service) placesContext(ctx context.Context, sh Shopper, page string, pc map[string]any) error {
	list, err := s.addressesOf(ctx, sh)
	if err != nil {
		return err
	}
	pc["addresses"] = list
	if page == RetailStorePage {
		stores, _, err := s.catalog.RetailStores(ctx, catalog.StoreFilter{})
		if err != nil {
			return err
		}
		pc["retail_stores"] = stores
	}
	return nil
}

// shippingOffered lists the shipping options for the shipping address,
// priced for this basket.
func shippingOffered(sh Shopper, qt *quote) []map[string]any {
	offered := []map[string]any{}
	for _, o := range qt.opts.shipping {
		if qt.shipAddr != nil && o.Offers(qt.shipAddr.CountryPlace.Code, sh.Currency) {
			offered = append(offered, shippingWire(&o, o.Price(sh.Currency, qt.basket.Pricing.ProductAmount-qt.basket.Pricing.DiscountAmount)))
		}
	}
	return offered
}

// installmentWire is an installment choice of count payments adding up to
// withInterest.
func installmentWire(count int, withInterest money.Amount) map[string]any {
	return map[string]any{"pk": count, "installment_count": count, "label": installmentLabel(count),
		"price_with_accrued_interest":         withInterest,
		"monthly_price_with_accrued_interest": withInterest / money.Amount(max(count, 1))}
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
func preOrder(sh Shopper, st *State, qt *quote) map[string]any {
	po := map[string]any{
		"is_guest": !sh.Sess.IsCustomer(), "user_email": st.Email, "user_phone_number": st.Phone,
		"shipping_amount": qt.shipAmt, "total_amount": qt.basket.Pricing.Total,
		"total_amount_with_interest": qt.total, "unpaid_amount": qt.total, "currency_type_label": sh.Currency,
		"notes": st.Notes, "is_post_order": false, "is_redirected": false,
		"billing_and_shipping_same": st.ShippingAddr != 0 && st.ShippingAddr == st.BillingAddr,
	}
	if qt.delivery != nil {
		po["delivery_option"] = qt.delivery
	}
	if qt.shipAddr != nil {
		po["shipping_address"] = qt.shipAddr.Wire()
	}
	if qt.billAddr != nil {
		po["billing_address"] = qt.billAddr.Wire()
	}
	if qt.shipping != nil {
		po["shipping_option"] = shippingWire(qt.shipping, qt.shipAmt)
	}
	if qt.payment != nil {
		po["payment_option"] = qt.payment.Wire()
	}
	if qt.installmt != nil {
		po["installment"] = installmentWire(qt.installmt.Count, qt.payable()+qt.interest)
		po["installment_interest_amount"] = qt.interest
	}
	if qt.loyalty != 0 {
		po["loyalty_money"] = qt.loyalty
	}
	if qt.fee != 0 {
		po["pay_on_delivery_fee"] = qt.fee
	}
	if st.Choice != "" {
		po["payment_choice"] = paymentChoice(st.Choice, qt.fee)
	}
	if qt.bank != nil {
		po["bank_account"] = qt.bank.Wire()
	}
	return po
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
	restartAfterOrder(st)
	qt, _, err := s.quote(ctx, nil, sh, st, nil)
	if err != nil {
		return nil, err
	}
	sum := &Summary{Buyer: st.Email, Shipping: qt.shipAmt, Total: qt.total, Currency: sh.Currency}
	for _, l := range qt.basket.Lines {
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
	if a := qt.billAddr; a != nil {
		sum.Name = strings.TrimSpace(a.FirstName + " " + a.LastName)
	}
	if sum.Address, err = s.deliveryLine(ctx, st, qt); err != nil {
		return nil, err
	}
	if qt.payment != nil {
		sum.Payment = qt.payment.Name
	}
	return sum, nil
}

// deliveryLine is where the goods go, on one line: the shipping address,
// or the store for click and collect.
func (s *Service) deliveryLine(ctx context.Context, st *State, qt *quote) (string, error) {
	if a := qt.shipAddr; a != nil {
		var district, township string
		if a.DistrictPlace != nil {
			district = a.DistrictPlace.Name
		}
		if a.TownshipPlace != nil {
			township = a.TownshipPlace.Name
		}
		return oneLine(a.Line, district, township, a.Postcode, a.CityPlace.Name, a.CountryPlace.Name), nil
	}
	if st.RetailStore == 0 {
		return "", nil
	}
	var name, line string
	err := s.db.QueryRowContext(ctx, "SELECT name, address FROM retail_stores WHERE id = $1", st.RetailStore).Scan(&name, &line)
	return oneLine(name, line), err
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
