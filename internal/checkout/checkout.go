// Package checkout is the page-by-page checkout of the Akinon wire format:
// each step is a page the shopper submits; the state lives in the
// checkouts table, found through a key in the session. Every answer names
// the page to show next, and a step whose inputs no longer hold (address
// deleted, option withdrawn, basket changed) sends the shopper back.
package checkout

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vitrin/vitrin/internal/account"
	"github.com/vitrin/vitrin/internal/address"
	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/basket"
	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/mail"
	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/order"
	"github.com/vitrin/vitrin/internal/payment"
	"github.com/vitrin/vitrin/internal/session"
	"github.com/vitrin/vitrin/internal/token"
)

// SessionKey is the session data key naming the shopper's checkout row.
const SessionKey = "checkout_key"

// Page names of the wire format.
const (
	IndexPage          = "IndexPage"
	DeliveryPage       = "DeliveryOptionSelectionPage"
	AddressPage        = "AddressSelectionPage"
	RetailStorePage    = "RetailStoreSelectionPage"
	ShippingPage       = "ShippingOptionSelectionPage"
	PaymentPage        = "PaymentOptionSelectionPage"
	BinPage            = "BinNumberPage"
	InstallmentPage    = "InstallmentSelectionPage"
	CardPage           = "CreditCardConfirmationPage"
	ThreeDPage         = "CreditCardThreeDSecurePage"
	TransferChoicePage = "FundsTransferChoicePage"
	TransferPage       = "FundsTransferPage"
	DeliveryChoicePage = "PayOnDeliveryPaymentChoicePage"
	PayOnDeliveryPage  = "PayOnDeliveryPage"
	CouponPage         = "CouponSelectionPage"
	NotePage           = "OrderNotePage"
	ThankYouPage       = "ThankYouPage"
)

var knownPages = map[string]bool{IndexPage: true, DeliveryPage: true, AddressPage: true, RetailStorePage: true,
	ShippingPage: true, PaymentPage: true, BinPage: true, InstallmentPage: true, CardPage: true, ThreeDPage: true,
	TransferChoicePage: true, TransferPage: true, DeliveryChoicePage: true, PayOnDeliveryPage: true,
	CouponPage: true, NotePage: true}

// Pay-on-delivery choices.
var deliveryChoices = []string{"cash", "credit_card"}

// State is one checkout in progress.
type State struct {
	Email        string `json:"email,omitempty"`
	Phone        string `json:"phone,omitempty"`
	Delivery     int64  `json:"delivery,omitempty"`
	ShippingAddr int64  `json:"shipping_address,omitempty"`
	BillingAddr  int64  `json:"billing_address,omitempty"`
	RetailStore  int64  `json:"retail_store,omitempty"`
	Shipping     int64  `json:"shipping,omitempty"`
	Payment      int64  `json:"payment,omitempty"`
	Bin          string `json:"bin,omitempty"`
	Installments int    `json:"installments,omitempty"`
	Bank         int64  `json:"bank,omitempty"`
	Choice       string `json:"choice,omitempty"`
	Notes        string `json:"notes,omitempty"`
	// Attempt is the idempotency key of the final step; it is renewed
	// whenever the checkout changes, so a retried final POST of the same
	// checkout finds the order (and the charge) it made.
	Attempt string `json:"attempt"`
	// Fingerprint is the basket as the shopper last saw it in checkout.
	Fingerprint string `json:"fingerprint,omitempty"`
	// ThreeDOrder is the pending order waiting for the bank.
	ThreeDOrder  int64             `json:"three_d_order,omitempty"`
	ThreeDAction string            `json:"three_d_action,omitempty"`
	ThreeDFields map[string]string `json:"three_d_fields,omitempty"`
	// Placed is the order this checkout placed.
	Placed int64 `json:"placed,omitempty"`
}

// Form is a submitted page's fields.
type Form interface {
	Get(key string) string
	Has(key string) bool
}

// Shopper is who checks out.
type Shopper struct {
	Sess       *session.Session
	Owner      address.Owner // whose addresses may be used
	Currency   string
	Language   string
	RemoteAddr string
}

// Context is one entry of context_list.
type Context struct {
	PageName    string         `json:"page_name"`
	PageSlug    string         `json:"page_slug"`
	PageContext map[string]any `json:"page_context"`
}

// Result is one answer of the checkout.
type Result struct {
	Status      int
	Basket      *basket.Basket
	PreOrder    map[string]any // without the basket, which the API renders
	Contexts    []Context
	Errors      any
	RedirectURL string
}

// Service runs checkouts.
type Service struct {
	db        *database.DB
	sessions  *session.Store
	baskets   *basket.Service
	addresses *address.Service
	catalog   *catalog.Service
	gateways  map[string]payment.Gateway
	mailer    *mail.Mailer
	refunder  *order.Refunder
	restocked order.Restocked
	// The imported options change only with an import, which moves the
	// catalog version: they are read once per version.
	optionsMu      sync.Mutex
	optionsVersion int64
	cachedOptions  *options
	// ThreeDReturnURL is where the bank sends the shopper back (the
	// storefront forwards it to the CreditCardThreeDSecurePage step).
	ThreeDReturnURL string
}

func New(db *database.DB, sessions *session.Store, baskets *basket.Service, addresses *address.Service,
	cat *catalog.Service, gateways map[string]payment.Gateway, mailer *mail.Mailer,
	refunder *order.Refunder, restocked order.Restocked) *Service {
	return &Service{db: db, sessions: sessions, baskets: baskets, addresses: addresses, catalog: cat, gateways: gateways,
		mailer: mailer, refunder: refunder, restocked: restocked, ThreeDReturnURL: "/orders/checkout/?page=" + ThreeDPage}
}

// stepError is a refused step: status, field errors and the page to show.
type stepError struct {
	status int
	errors apperror.Fields
	page   string
}

func (e *stepError) Error() string { return e.errors.Error() }

func refuse(page, field, msg string) *stepError {
	return &stepError{status: 400, errors: apperror.Field(field, msg), page: page}
}

// load returns the shopper's checkout state (a fresh one when none).
func (s *Service) load(ctx context.Context, q database.Querier, key string, lock string) (*State, error) {
	st, _, err := s.loadStored(ctx, q, key, lock)
	return st, err
}

// loadStored is load that also returns the stored JSON ("" when there is
// none): the base a later swap checks the checkout against.
func (s *Service) loadStored(ctx context.Context, q database.Querier, key string, lock string) (*State, string, error) {
	st := &State{}
	if key == "" {
		return st, "", nil
	}
	var raw string
	err := q.QueryRowContext(ctx, "SELECT data FROM checkouts WHERE key = $1"+lock, key).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return st, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	return st, raw, json.Unmarshal([]byte(raw), st)
}

func (s *Service) save(ctx context.Context, q database.Querier, key string, st *State) error {
	raw, _ := json.Marshal(st)
	_, err := q.ExecContext(ctx, `INSERT INTO checkouts (key, data, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`, key, string(raw), time.Now().UTC())
	return err
}

// swap saves st under key only if the stored checkout is still base (as
// loadStored returned it), in one statement. The real client submits
// several steps at once (its pre-order middleware fires one request per
// missing choice); each step reads the checkout, so without this check
// the later write would drop the earlier one's choice. It reports false,
// writing nothing, when another request changed the checkout meanwhile.
func (s *Service) swap(ctx context.Context, q database.Querier, key, base string, st *State) (bool, error) {
	raw, _ := json.Marshal(st)
	now := time.Now().UTC()
	var res sql.Result
	var err error
	if base == "" {
		res, err = q.ExecContext(ctx, `INSERT INTO checkouts (key, data, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO NOTHING`, key, string(raw), now)
	} else {
		res, err = q.ExecContext(ctx, "UPDATE checkouts SET data = $2, updated_at = $3 WHERE key = $1 AND data = $4",
			key, string(raw), now, base)
	}
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// key returns the session's checkout key, creating it when asked.
func (s *Service) key(ctx context.Context, sh Shopper, create bool) (string, error) {
	key := sh.Sess.Get(SessionKey)
	if key == "" && create {
		key = token.New(32)
		sh.Sess.Set(SessionKey, key)
		if err := s.sessions.Save(ctx, s.db, sh.Sess); err != nil {
			return "", err
		}
	}
	return key, nil
}

func fingerprint(b *basket.Basket) string {
	var sb strings.Builder
	for _, l := range b.Lines {
		sb.WriteString(strconv.FormatInt(l.ProductID, 10) + "x" + strconv.FormatInt(l.Quantity, 10) + "@" + strconv.FormatInt(int64(l.UnitPrice), 10) + ";")
	}
	sb.WriteString(b.VoucherCode + "|" + b.Currency)
	return sb.String()
}

// priced is a state with its money worked out.
type priced struct {
	opts      *options
	basket    *basket.Basket
	delivery  *DeliveryOption
	shipAddr  *address.Address
	billAddr  *address.Address
	shipping  *ShippingOption
	payment   *PaymentOption
	bank      *BankAccount
	shipAmt   money.Amount
	interest  money.Amount
	fee       money.Amount
	total     money.Amount // what the shopper pays
	installmt *Installment
}

// resolve checks every choice of st against the store and the shopper as
// they are now, drops the ones that no longer hold (and what depends on
// them) with an error saying why, and prices the basket.
//
// opts may be nil outside a transaction. Inside one it must be given: the
// options come from another connection, which a transaction holding its
// own must not wait for (the pool may be exhausted by transactions doing
// the same).
func (s *Service) resolve(ctx context.Context, q database.Querier, sh Shopper, st *State, lock bool, opts *options) (*priced, apperror.Fields, error) {
	p := &priced{opts: opts}
	errs := apperror.Fields{}
	var err error
	if p.opts == nil {
		if p.opts, err = s.options(ctx); err != nil {
			return nil, nil, err
		}
	}
	if st.Delivery != 0 {
		if p.delivery = find(p.opts.delivery, func(d *DeliveryOption) bool { return d.PK == st.Delivery }); p.delivery == nil {
			errs.Add("delivery_option", "The delivery option is no longer available.")
			st.Delivery, st.RetailStore, st.Shipping = 0, 0, 0
		}
	}
	addr := func(id *int64, field string) *address.Address {
		if *id == 0 {
			return nil
		}
		a, err := s.addresses.Get(ctx, q, sh.Owner, *id)
		if err != nil {
			errs.Add(field, "The address is no longer available.")
			*id = 0
			return nil
		}
		return a
	}
	p.shipAddr = addr(&st.ShippingAddr, "shipping_address")
	p.billAddr = addr(&st.BillingAddr, "billing_address")
	if st.ShippingAddr == 0 {
		st.Shipping = 0
	}
	if st.RetailStore != 0 {
		var active bool
		err := q.QueryRowContext(ctx, "SELECT is_active FROM retail_stores WHERE id = $1", st.RetailStore).Scan(&active)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, nil, err
		}
		if !active {
			errs.Add("retail_store", "The store is no longer available.")
			st.RetailStore = 0
		}
	}
	if st.Shipping != 0 {
		p.shipping = find(p.opts.shipping, func(o *ShippingOption) bool { return o.PK == st.Shipping })
		if p.shipping == nil || p.shipAddr == nil || !p.shipping.Offers(p.shipAddr.CountryPlace.Code, sh.Currency) {
			errs.Add("shipping_option", "The shipping option is not offered for this address.")
			st.Shipping, p.shipping = 0, nil
		}
	}
	if st.Payment != 0 {
		if p.payment = find(p.opts.payment, func(o *PaymentOption) bool { return o.PK == st.Payment }); p.payment == nil {
			errs.Add("payment_option", "The payment option is no longer available.")
			st.Payment, st.Bin, st.Installments, st.Bank, st.Choice = 0, "", 0, 0, ""
		}
	}
	if p.payment != nil && st.Installments != 0 {
		p.installmt = find(p.payment.Installments, func(i *Installment) bool { return i.Count == st.Installments })
		if p.installmt == nil {
			st.Installments = 0
		}
	}
	if st.Bank != 0 {
		if p.bank = find(p.opts.banks, func(b *BankAccount) bool { return b.PK == st.Bank }); p.bank == nil {
			errs.Add("bank_account", "The bank account is no longer available.")
			st.Bank = 0
		}
	}
	if err := s.price(ctx, q, sh, st, p, lock); err != nil {
		return nil, nil, err
	}
	return p, errs, nil
}

// options returns the store's checkout options for the current catalog version.
func (s *Service) options(ctx context.Context) (*options, error) {
	m, err := s.catalog.Current(ctx)
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

// price loads the basket with the chosen shipping and adds interest and fee.
func (s *Service) price(ctx context.Context, q database.Querier, sh Shopper, st *State, p *priced, lock bool) error {
	var err error
	var ship money.Amount
	if p.shipping != nil {
		ship = money.Amount(p.shipping.Prices[sh.Currency])
	}
	pr := basket.Terms{Currency: sh.Currency, Shipping: ship, Email: st.Email}
	if p.basket, err = s.baskets.Load(ctx, q, sh.Sess, pr, lock); err != nil {
		return err
	}
	if p.shipping != nil {
		// The option's own free-shipping threshold applies to the products
		// after their discounts.
		if free := p.shipping.Price(sh.Currency, p.basket.Pricing.ProductAmount-p.basket.Pricing.DiscountAmount); free != ship {
			pr.Shipping = free
			if p.basket, err = s.baskets.Load(ctx, q, sh.Sess, pr, lock); err != nil {
				return err
			}
		}
	}
	p.shipAmt = p.basket.Pricing.ShippingAmount - p.basket.Pricing.ShippingDiscount
	total := p.basket.Pricing.Total
	if p.installmt != nil {
		p.interest = p.installmt.Interest(total)
	}
	if p.payment != nil && p.payment.Type == "pay_on_delivery" {
		p.fee = money.Amount(p.payment.Fee[sh.Currency])
	}
	p.total = total + p.interest + p.fee
	return nil
}

type step struct {
	page string
	done bool
}

// steps is the checkout's path for this state: the pages in order and
// whether each is done.
func steps(st *State, sh Shopper, p *priced) []step {
	var out []step
	if !sh.Sess.IsCustomer() {
		out = append(out, step{IndexPage, st.Email != ""})
	}
	if len(p.opts.delivery) > 0 {
		out = append(out, step{DeliveryPage, p.delivery != nil})
	}
	if p.delivery != nil && p.delivery.Type == "retail_store" {
		out = append(out, step{RetailStorePage, st.RetailStore != 0 && st.BillingAddr != 0})
	} else {
		out = append(out, step{AddressPage, st.ShippingAddr != 0 && st.BillingAddr != 0}, step{ShippingPage, p.shipping != nil})
	}
	out = append(out, step{PaymentPage, p.payment != nil})
	if p.payment != nil {
		switch p.payment.Type {
		case "credit_card":
			out = append(out, step{BinPage, st.Bin != ""}, step{InstallmentPage, p.installmt != nil}, step{CardPage, false})
		case "funds_transfer":
			out = append(out, step{TransferChoicePage, p.bank != nil}, step{TransferPage, false})
		case "pay_on_delivery":
			out = append(out, step{DeliveryChoicePage, st.Choice != ""}, step{PayOnDeliveryPage, false})
		}
	}
	return out
}

// next is the first page not done.
func next(path []step) string {
	for _, s := range path {
		if !s.done {
			return s.page
		}
	}
	return path[len(path)-1].page
}

// reachable reports whether page may be submitted now: every page before
// it on the path is done. Coupons and notes may be set at any time.
func reachable(path []step, page string, st *State) bool {
	switch page {
	case CouponPage, NotePage:
		return true
	case ThreeDPage:
		return st.ThreeDOrder != 0
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

// Handle answers GET /orders/checkout/ (submit == false) and the POST of
// one page.
func (s *Service) Handle(ctx context.Context, sh Shopper, page string, submit bool, form Form) (*Result, error) {
	if page != "" && !knownPages[page] {
		return s.answer(ctx, sh, "", &stepError{status: 400, errors: apperror.Field("page", `Page "`+page+`" does not exist.`)})
	}
	if !submit {
		return s.answer(ctx, sh, page, nil)
	}
	key, err := s.key(ctx, sh, true)
	if err != nil {
		return nil, err
	}
	if isFinal(page) {
		return s.finish(ctx, sh, key, page, form)
	}
	// A step that lost the race to another step of the same checkout is
	// applied again to what that one saved.
	for attempt := 1; ; attempt++ {
		res, lost, err := s.submit(ctx, sh, key, page, form)
		if err != nil || !lost {
			return res, err
		}
		if attempt == maxStepAttempts {
			return s.answer(ctx, sh, page, &stepError{status: 409, page: page,
				errors: apperror.Field("non_field_errors", "Your checkout changed meanwhile; please try again.")})
		}
	}
}

// submit applies one step that does not place the order to the checkout
// as stored under key; lost reports that another request changed the
// checkout meanwhile and nothing was saved.
func (s *Service) submit(ctx context.Context, sh Shopper, key, page string, form Form) (res *Result, lost bool, err error) {
	st, base, err := s.loadStored(ctx, s.db, key, "")
	if err != nil {
		return nil, false, err
	}
	s.restartAfterOrder(st)
	p, _, err := s.resolve(ctx, s.db, sh, st, false, nil)
	if err != nil {
		return nil, false, err
	}
	if len(p.basket.Lines) == 0 {
		res, err := s.answer(ctx, sh, "", &stepError{status: 400, errors: apperror.Field("non_field_errors", "Your basket is empty.")})
		return res, false, err
	}
	path := steps(st, sh, p)
	if !reachable(path, page, st) {
		res, err := s.answer(ctx, sh, "", &stepError{status: 400, page: next(path),
			errors: apperror.Field("non_field_errors", "Please complete the previous steps first.")})
		return res, false, err
	}
	before := *st
	if err := s.apply(ctx, sh, st, p, page, form); err != nil {
		var se *stepError
		var fields apperror.Fields
		switch {
		case errors.As(err, &se):
			if se.page == "" {
				se.page = page
			}
		case errors.As(err, &fields):
			se = &stepError{status: 400, errors: fields, page: page}
		default:
			return nil, false, err
		}
		res, err := s.answer(ctx, sh, se.page, se)
		return res, false, err
	}
	saved, err := s.changed(ctx, key, base, &before, st)
	if err != nil || !saved {
		return nil, !saved, err
	}
	stored, _ := json.Marshal(st)
	res, err = s.render(ctx, sh, key, st, string(stored), "", nil)
	return res, false, err
}

// maxStepAttempts bounds how often a step is applied again after losing
// a race: only one shopper's requests compete for a checkout.
const maxStepAttempts = 5

// restartAfterOrder starts a new checkout once the last one placed its
// order and the shopper has a new basket; the identity stays.
func (s *Service) restartAfterOrder(st *State) {
	if st.Placed != 0 {
		*st = State{Email: st.Email, Phone: st.Phone}
	}
}

// changed saves st with a new attempt key if the stored checkout is
// still base (see swap), releasing a payment that was waiting for the
// bank: the shopper went back and changed something. It reports false,
// changing nothing, when another request changed the checkout meanwhile.
func (s *Service) changed(ctx context.Context, key, base string, before, st *State) (bool, error) {
	saved := false
	// A step's choices are the shopper's to make again should a crash lose
	// them; releasing a pending order is not.
	tx := s.db.TxRelaxed
	if before.ThreeDOrder != 0 {
		tx = s.db.Tx
	}
	err := tx(ctx, func(tx *sql.Tx) error {
		if before.ThreeDOrder != 0 {
			st.ThreeDOrder, st.ThreeDAction, st.ThreeDFields = 0, "", nil
		}
		st.Attempt = token.New(32)
		ok, err := s.swap(ctx, tx, key, base, st)
		if err != nil || !ok {
			return err
		}
		saved = true
		if before.ThreeDOrder != 0 {
			return order.Release(ctx, tx, before.ThreeDOrder, s.restocked)
		}
		return nil
	})
	return saved, err
}

func pk(form Form, field string) (int64, error) {
	raw := strings.TrimSpace(form.Get(field))
	if raw == "" {
		return 0, apperror.Field(field, "This field is required.")
	}
	n, ok := catalog.ParsePK(raw)
	if !ok {
		return 0, apperror.Field(field, "Incorrect type. Expected pk value.")
	}
	return n, nil
}

func invalidPK(field string, id int64) error {
	return apperror.Field(field, `Invalid pk "`+strconv.FormatInt(id, 10)+`" - object does not exist.`)
}

// apply validates one submitted page and records it in st.
func (s *Service) apply(ctx context.Context, sh Shopper, st *State, p *priced, page string, form Form) error {
	switch page {
	case IndexPage:
		if sh.Sess.IsCustomer() {
			return nil
		}
		errs := apperror.Fields{}
		email, err := account.NormalizeEmail(form.Get("user_email"))
		if err != nil {
			errs.Add("user_email", err.Error())
		}
		phone := strings.TrimSpace(form.Get("phone_number"))
		if phone == "" || len(phone) > 32 || strings.Trim(phone, "+0123456789 ()-") != "" {
			errs.Add("phone_number", "Enter a valid phone number.")
		}
		if len(errs) > 0 {
			return errs
		}
		st.Email, st.Phone = email, phone
	case DeliveryPage:
		id, err := pk(form, "delivery_option")
		if err != nil {
			return err
		}
		d := find(p.opts.delivery, func(d *DeliveryOption) bool { return d.PK == id })
		if d == nil {
			return invalidPK("delivery_option", id)
		}
		if st.Delivery != id {
			st.Delivery, st.RetailStore, st.Shipping = id, 0, 0
		}
	case AddressPage:
		shipID, err1 := pk(form, "shipping_address")
		billID, err2 := pk(form, "billing_address")
		if err := errors.Join(err1, err2); err != nil {
			return apperror.Merge(err1, err2)
		}
		var bad []error
		for _, a := range []struct {
			field string
			id    int64
		}{{"shipping_address", shipID}, {"billing_address", billID}} {
			if _, err := s.addresses.Get(ctx, s.db, sh.Owner, a.id); err != nil {
				bad = append(bad, invalidPK(a.field, a.id))
			}
		}
		if len(bad) > 0 {
			return apperror.Merge(bad...)
		}
		st.ShippingAddr, st.BillingAddr = shipID, billID
	case RetailStorePage:
		storeID, err1 := pk(form, "retail_store")
		billID, err2 := pk(form, "billing_address")
		if err := errors.Join(err1, err2); err != nil {
			return apperror.Merge(err1, err2)
		}
		var active bool
		err := s.db.QueryRowContext(ctx, "SELECT is_active FROM retail_stores WHERE id = $1", storeID).Scan(&active)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if !active {
			return invalidPK("retail_store", storeID)
		}
		if _, err := s.addresses.Get(ctx, s.db, sh.Owner, billID); err != nil {
			return invalidPK("billing_address", billID)
		}
		st.RetailStore, st.BillingAddr, st.ShippingAddr, st.Shipping = storeID, billID, 0, 0
	case ShippingPage:
		id, err := pk(form, "shipping_option")
		if err != nil {
			return err
		}
		o := find(p.opts.shipping, func(o *ShippingOption) bool { return o.PK == id })
		if o == nil {
			return invalidPK("shipping_option", id)
		}
		if p.shipAddr == nil || !o.Offers(p.shipAddr.CountryPlace.Code, sh.Currency) {
			return apperror.Field("shipping_option", "This shipping option is not offered for the shipping address.")
		}
		st.Shipping = id
	case PaymentPage:
		id, err := pk(form, "payment_option")
		if err != nil {
			return err
		}
		o := find(p.opts.payment, func(o *PaymentOption) bool { return o.PK == id })
		if o == nil || (o.Type != "credit_card" && o.Type != "funds_transfer" && o.Type != "pay_on_delivery") {
			return invalidPK("payment_option", id)
		}
		if st.Payment != id {
			st.Payment, st.Bin, st.Installments, st.Bank, st.Choice = id, "", 0, 0, ""
		}
	case BinPage:
		bin := strings.TrimSpace(form.Get("bin_number"))
		if len(bin) < 6 || len(bin) > 8 || !payment.AllDigits(bin) {
			return apperror.Field("bin_number", "Enter the first 6 to 8 digits of the card.")
		}
		if st.Bin != bin {
			st.Bin, st.Installments = bin, 0
		}
	case InstallmentPage:
		id, err := pk(form, "installment")
		if err != nil {
			return err
		}
		if find(p.payment.Installments, func(i *Installment) bool { return int64(i.Count) == id }) == nil {
			return invalidPK("installment", id)
		}
		st.Installments = int(id)
	case TransferChoicePage:
		id, err := pk(form, "bank_account")
		if err != nil {
			return err
		}
		if find(p.opts.banks, func(b *BankAccount) bool { return b.PK == id }) == nil {
			return invalidPK("bank_account", id)
		}
		st.Bank = id
	case DeliveryChoicePage:
		choice := strings.TrimSpace(form.Get("payment_choice"))
		if !contains(deliveryChoices, choice) {
			return apperror.Field("payment_choice", `"`+choice+`" is not a valid choice.`)
		}
		st.Choice = choice
	case NotePage:
		notes := strings.TrimSpace(form.Get("notes"))
		if len(notes) > 1000 {
			return apperror.Field("notes", "Ensure this field has no more than 1000 characters.")
		}
		st.Notes = notes
	case CouponPage:
		code := strings.TrimSpace(form.Get("coupon"))
		var err error
		if strings.EqualFold(form.Get("action"), "remove") {
			_, err = s.baskets.RemoveVoucher(ctx, sh.Sess, sh.Currency)
		} else if code == "" {
			err = apperror.Field("coupon", "This field is required.")
		} else if _, err = s.baskets.ApplyVoucher(ctx, sh.Sess, sh.Currency, st.Email, code); err != nil {
			var fields apperror.Fields
			if errors.As(err, &fields) && fields["voucher_code"] != nil {
				err = apperror.Fields{"coupon": fields["voucher_code"]}
			}
		}
		return err
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// PurgeAbandoned deletes the checkouts nobody touched for maxAge and
// reports how many. A shopper who comes back after that starts a fresh
// checkout; payments and orders live elsewhere and are not affected.
func PurgeAbandoned(ctx context.Context, db *database.DB, maxAge time.Duration) (int64, error) {
	res, err := db.ExecContext(ctx, "DELETE FROM checkouts WHERE updated_at < $1", time.Now().UTC().Add(-maxAge))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
