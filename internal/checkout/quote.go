package checkout

import (
	"context"
	"database/sql"
	"errors"

	"github.com/vitrin/vitrin/internal/address"
	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/basket"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/money"
)

// quote is a checkout's choices as they hold now, and its money.
type quote struct {
	opts      *options
	basket    *basket.Basket
	delivery  *DeliveryOption
	shipAddr  *address.Address
	billAddr  *address.Address
	shipping  *ShippingOption
	payment   *PaymentOption
	bank      *BankAccount
	installmt *Installment
	shipAmt   money.Amount
	interest  money.Amount
	fee       money.Amount
	loyalty   money.Amount // what the customer's loyalty money pays
	total     money.Amount // what the shopper pays by the chosen payment
}

// payable is the basket's total less the loyalty money: what installment
// interest is charged on.
func (qt *quote) payable() money.Amount { return qt.basket.Pricing.Total - qt.loyalty }

// quote checks every choice of st against the store and the shopper as
// they are now, drops the ones that no longer hold (and what depends on
// them) with an error saying why, and prices the basket. Inside
// transaction tx (nil outside one) the basket's rows are locked until it
// ends.
//
// opts may be nil outside a transaction. Inside one it must be given: the
// options come from another connection, which a transaction holding its
// own must not wait for (the pool may be exhausted by transactions doing
// the same).
func (s *Service) quote(ctx context.Context, tx *sql.Tx, sh Shopper, st *State, opts *options) (*quote, apperror.Fields, error) {
	var q database.Querier = s.db
	if tx != nil {
		q = tx
	}
	qt := &quote{opts: opts}
	if qt.opts == nil {
		var err error
		if qt.opts, err = s.options(ctx); err != nil {
			return nil, nil, err
		}
	}
	dropped := apperror.Fields{}
	qt.checkDelivery(st, dropped)
	if err := s.checkPlaces(ctx, q, sh, st, qt, dropped); err != nil {
		return nil, nil, err
	}
	qt.checkOptions(sh, st, dropped)
	if err := s.priceBasket(ctx, tx, sh, st, qt); err != nil {
		return nil, nil, err
	}
	qt.useLoyalty(sh, st, dropped)
	qt.addCharges(sh)
	return qt, dropped, nil
}

func (qt *quote) checkDelivery(st *State, dropped apperror.Fields) {
	if st.Delivery == 0 {
		return
	}
	if qt.delivery = find(qt.opts.delivery, func(d *DeliveryOption) bool { return d.PK == st.Delivery }); qt.delivery == nil {
		dropped.Add("delivery_option", "The delivery option is no longer available.")
		st.Delivery, st.RetailStore, st.Shipping = 0, 0, 0
	}
}

// checkPlaces checks the addresses and the retail store, which live in
// the database; a failed read is an error, not a choice to drop.
func (s *Service) checkPlaces(ctx context.Context, q database.Querier, sh Shopper, st *State, qt *quote, dropped apperror.Fields) error {
	var err error
	if qt.shipAddr, err = s.keptAddress(ctx, q, sh, &st.ShippingAddr, "shipping_address", dropped); err != nil {
		return err
	}
	if st.BillingAddr != 0 && st.BillingAddr == st.ShippingAddr {
		qt.billAddr = qt.shipAddr // most shoppers bill where they ship: one read
	} else if qt.billAddr, err = s.keptAddress(ctx, q, sh, &st.BillingAddr, "billing_address", dropped); err != nil {
		return err
	}
	if st.ShippingAddr == 0 {
		st.Shipping = 0
	}
	if st.RetailStore == 0 {
		return nil
	}
	active, err := retailStoreActive(ctx, q, st.RetailStore)
	if err != nil {
		return err
	}
	if !active {
		dropped.Add("retail_store", "The store is no longer available.")
		st.RetailStore = 0
	}
	return nil
}

// keptAddress returns the shopper's address *id, or nil with *id cleared
// and field dropped when the shopper has no such address (any more).
func (s *Service) keptAddress(ctx context.Context, q database.Querier, sh Shopper, id *int64, field string, dropped apperror.Fields) (*address.Address, error) {
	if *id == 0 {
		return nil, nil
	}
	if a := sh.read.address(*id); a != nil {
		return a, nil
	}
	a, err := s.addresses.Get(ctx, q, sh.Owner, *id)
	if err == nil && sh.read != nil {
		sh.read.addresses[*id] = a
	}
	if errors.Is(err, apperror.ErrNotFound) {
		dropped.Add(field, "The address is no longer available.")
		*id = 0
		return nil, nil
	}
	return a, err
}

func (r *requestReads) address(id int64) *address.Address {
	if r == nil {
		return nil
	}
	return r.addresses[id]
}

func retailStoreActive(ctx context.Context, q database.Querier, id int64) (bool, error) {
	var active bool
	err := q.QueryRowContext(ctx, "SELECT is_active FROM retail_stores WHERE id = $1", id).Scan(&active)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return active, err
}

// checkOptions checks the shipping and payment choices, which come from
// the imported options.
func (qt *quote) checkOptions(sh Shopper, st *State, dropped apperror.Fields) {
	if st.Shipping != 0 {
		qt.shipping = find(qt.opts.shipping, func(o *ShippingOption) bool { return o.PK == st.Shipping })
		if qt.shipping == nil || qt.shipAddr == nil || !qt.shipping.Offers(qt.shipAddr.CountryPlace.Code, sh.Currency) {
			dropped.Add("shipping_option", "The shipping option is not offered for this address.")
			st.Shipping, qt.shipping = 0, nil
		}
	}
	if st.Payment != 0 {
		if qt.payment = find(qt.opts.payment, func(o *PaymentOption) bool { return o.PK == st.Payment }); qt.payment == nil {
			dropped.Add("payment_option", "The payment option is no longer available.")
			st.Payment, st.Bin, st.Installments, st.Bank, st.Choice = 0, "", 0, 0, ""
		}
	}
	if qt.payment != nil && st.Installments != 0 {
		if qt.installmt = find(qt.payment.Installments, func(i *Installment) bool { return i.Count == st.Installments }); qt.installmt == nil {
			st.Installments = 0
		}
	}
	if st.Bank != 0 {
		if qt.bank = find(qt.opts.banks, func(b *BankAccount) bool { return b.PK == st.Bank }); qt.bank == nil {
			dropped.Add("bank_account", "The bank account is no longer available.")
			st.Bank = 0
		}
	}
}

// options returns the store's checkout options for the version of the
// catalog being served (read again when the model moves on).
func (s *Service) options(ctx context.Context) (*options, error) {
	m, err := s.catalog.Served(ctx)
	if err != nil {
		return nil, err
	}
	s.optionsMu.Lock()
	cached, version := s.cachedOptions, s.optionsVersion
	s.optionsMu.Unlock()
	if cached != nil && version == m.Version {
		return cached, nil
	}
	opts, err := loadOptions(ctx, s.db)
	if err != nil {
		return nil, err
	}
	s.optionsMu.Lock()
	s.cachedOptions, s.optionsVersion = opts, m.Version
	s.optionsMu.Unlock()
	return opts, nil
}

// priceBasket loads the basket with the chosen shipping and adds interest
// and fee.
func (s *Service) priceBasket(ctx context.Context, tx *sql.Tx, sh Shopper, st *State, qt *quote) error {
	var err error
	var ship money.Amount
	if qt.shipping != nil {
		ship = money.Amount(qt.shipping.Prices[sh.Currency])
	}
	terms := basket.Terms{Currency: sh.Currency, Shipping: ship, Email: st.Email}
	if qt.basket, err = s.loadBasket(ctx, tx, sh, terms); err != nil {
		return err
	}
	if qt.shipping != nil {
		// The option's own free-shipping threshold applies to the products
		// after their discounts.
		if free := qt.shipping.Price(sh.Currency, qt.basket.Pricing.ProductAmount-qt.basket.Pricing.DiscountAmount); free != ship {
			terms.Shipping = free
			if qt.basket, err = s.loadBasket(ctx, tx, sh, terms); err != nil {
				return err
			}
		}
	}
	qt.shipAmt = qt.basket.Pricing.ShippingAmount - qt.basket.Pricing.ShippingDiscount
	return nil
}

// loadBasket is the basket priced on terms, read once a request outside
// a transaction; inside tx (not nil) it is read again with its rows locked.
func (s *Service) loadBasket(ctx context.Context, tx *sql.Tx, sh Shopper, terms basket.Terms) (*basket.Basket, error) {
	if tx != nil {
		return s.baskets.Lock(ctx, tx, sh.Sess, terms)
	}
	if b := sh.read.basket(terms); b != nil {
		return b, nil
	}
	b, err := s.baskets.Priced(ctx, sh.Sess, terms)
	if err == nil && sh.read != nil {
		sh.read.baskets[terms] = b
	}
	return b, err
}

// forget drops what was read: the request changed the basket, or lost a
// race to a request that may have.
func (r *requestReads) forget() {
	if r != nil {
		clear(r.baskets)
		clear(r.addresses)
	}
}

func (r *requestReads) basket(terms basket.Terms) *basket.Basket {
	if r == nil {
		return nil
	}
	return r.baskets[terms]
}

// useLoyalty sets the loyalty money the order uses: all of it when paid
// by loyalty money, else what the customer chose, dropped when the basket
// is no longer worth more than that.
func (qt *quote) useLoyalty(sh Shopper, st *State, dropped apperror.Fields) {
	total := qt.basket.Pricing.Total
	switch {
	case qt.payment != nil && qt.payment.Type == "loyalty_money":
		qt.loyalty = total
	case st.Loyalty == 0:
	case !sh.Sess.IsCustomer():
		st.Loyalty = 0 // signed out: loyalty money is a customer's
	case money.Amount(st.Loyalty) >= total:
		dropped.Add("loyalty_amount_to_use", "The loyalty money to use is no longer less than the order's total.")
		st.Loyalty = 0
	default:
		qt.loyalty = money.Amount(st.Loyalty)
	}
}

// addCharges adds installment interest and the pay-on-delivery fee to
// what is left to pay.
func (qt *quote) addCharges(sh Shopper) {
	if qt.installmt != nil {
		qt.interest = qt.installmt.Interest(qt.payable())
	}
	if qt.payment != nil && qt.payment.Type == "pay_on_delivery" {
		qt.fee = money.Amount(qt.payment.Fee[sh.Currency])
	}
	qt.total = qt.payable() + qt.interest + qt.fee
}

// pathStep is one page of a checkout's path and whether it is done.
type pathStep struct {
	page string
	done bool
}

// path is the checkout's pages in order for this state, each marked done
// or not.
func path(st *State, sh Shopper, qt *quote) []pathStep {
	var out []pathStep
	if !sh.Sess.IsCustomer() {
		out = append(out, pathStep{IndexPage, st.Email != ""})
	}
	if len(qt.opts.delivery) > 0 {
		out = append(out, pathStep{DeliveryPage, qt.delivery != nil})
	}
	if qt.delivery != nil && qt.delivery.Type == "retail_store" {
		out = append(out, pathStep{RetailStorePage, st.RetailStore != 0 && st.BillingAddr != 0})
	} else {
		out = append(out, pathStep{AddressPage, st.ShippingAddr != 0 && st.BillingAddr != 0}, pathStep{ShippingPage, qt.shipping != nil})
	}
	out = append(out, pathStep{PaymentPage, qt.payment != nil})
	if qt.payment == nil {
		return out
	}
	switch qt.payment.Type {
	case "credit_card":
		out = append(out, pathStep{BinPage, st.Bin != ""}, pathStep{InstallmentPage, qt.installmt != nil}, pathStep{CardPage, false})
	case "funds_transfer":
		out = append(out, pathStep{TransferChoicePage, qt.bank != nil}, pathStep{TransferPage, false})
	case "pay_on_delivery":
		out = append(out, pathStep{DeliveryChoicePage, st.Choice != ""}, pathStep{PayOnDeliveryPage, false})
	case "redirection":
		out = append(out, pathStep{RedirectionPage, false})
	case "loyalty_money":
		out = append(out, pathStep{LoyaltyPage, false})
	}
	return out
}

// next is the first page not done.
func next(path []pathStep) string {
	for _, s := range path {
		if !s.done {
			return s.page
		}
	}
	return path[len(path)-1].page
}

// reachable reports whether page may be submitted now: every page before
// it on the path is done. Coupons, notes and loyalty money may be set at
// any time; the provider pages when the payment page is.
func reachable(path []pathStep, page string, st *State) bool {
	switch page {
	case CouponPage, NotePage, LoyaltyUsagePage:
		return true
	case ThreeDPage, RedirectionReturnPage:
		return st.ThreeDOrder != 0
	case ProviderIndexPage, ProviderSelectionPage:
		// Choosing a provider is choosing how to pay.
		page = PaymentPage
	}
	for _, s := range path {
		if s.page == page {
			return true
		}
		if !s.done {
			return false
		}
	}
	return false
}
