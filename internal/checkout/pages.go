package checkout

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/vitrin/vitrin/internal/account"
	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/loyalty"
	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/payment"
)

// entry is one submitted page on its way into the checkout: the form,
// checked against the checkout's quote, is written into st.
type entry struct {
	sh   Shopper
	st   *State
	qt   *quote
	form Form
}

// recorders validate each page that records a choice and write it into
// the entry's state; a refusal is a 400 on the page's fields.
var recorders = map[string]func(*Service, context.Context, entry) error{
	IndexPage:          (*Service).recordIdentity,
	DeliveryPage:       (*Service).recordDelivery,
	AddressPage:        (*Service).recordAddresses,
	RetailStorePage:    (*Service).recordRetailStore,
	ShippingPage:       (*Service).recordShipping,
	PaymentPage:        (*Service).recordPayment,
	BinPage:            (*Service).recordBin,
	InstallmentPage:    (*Service).recordInstallment,
	TransferChoicePage: (*Service).recordBankAccount,
	DeliveryChoicePage: (*Service).recordDeliveryChoice,
	NotePage:           (*Service).recordNotes,
	CouponPage:         (*Service).recordCoupon,
	LoyaltyUsagePage:   (*Service).recordLoyalty,
}

// record validates one submitted page and writes it into e.st.
func (s *Service) record(ctx context.Context, page string, e entry) error {
	if r := recorders[page]; r != nil {
		return r(s, ctx, e)
	}
	return nil
}

func (s *Service) recordIdentity(_ context.Context, e entry) error {
	if e.sh.Sess.IsCustomer() {
		return nil
	}
	errs := apperror.Fields{}
	email, err := account.NormalizeEmail(e.form.Get("user_email"))
	if err != nil {
		errs.Add("user_email", err.Error())
	}
	phone := strings.TrimSpace(e.form.Get("phone_number"))
	if phone == "" || len(phone) > 32 || strings.Trim(phone, "+0123456789 ()-") != "" {
		errs.Add("phone_number", "Enter a valid phone number.")
	}
	if len(errs) > 0 {
		return errs
	}
	e.st.Email, e.st.Phone = email, phone
	return nil
}

func (s *Service) recordDelivery(_ context.Context, e entry) error {
	id, err := pk(e.form, "delivery_option")
	if err != nil {
		return err
	}
	if find(e.qt.opts.delivery, func(d *DeliveryOption) bool { return d.PK == id }) == nil {
		return invalidPK("delivery_option", id)
	}
	if e.st.Delivery != id {
		e.st.Delivery, e.st.RetailStore, e.st.Shipping = id, 0, 0
	}
	return nil
}

func (s *Service) recordAddresses(ctx context.Context, e entry) error {
	shipID, err1 := pk(e.form, "shipping_address")
	billID, err2 := pk(e.form, "billing_address")
	if err := errors.Join(err1, err2); err != nil {
		return apperror.Merge(err1, err2)
	}
	err1, err2 = s.ownAddress(ctx, e.sh, "shipping_address", shipID), s.ownAddress(ctx, e.sh, "billing_address", billID)
	if err := errors.Join(err1, err2); err != nil {
		return apperror.Merge(err1, err2)
	}
	e.st.ShippingAddr, e.st.BillingAddr = shipID, billID
	return nil
}

// ownAddress refuses an address the shopper does not have; a failed read
// is returned as it is.
func (s *Service) ownAddress(ctx context.Context, sh Shopper, field string, id int64) error {
	_, err := s.addresses.Get(ctx, s.db, sh.Owner, id)
	if errors.Is(err, apperror.ErrNotFound) {
		return invalidPK(field, id)
	}
	return err
}

func (s *Service) recordRetailStore(ctx context.Context, e entry) error {
	storeID, err1 := pk(e.form, "retail_store")
	billID, err2 := pk(e.form, "billing_address")
	if err := errors.Join(err1, err2); err != nil {
		return apperror.Merge(err1, err2)
	}
	active, err := retailStoreActive(ctx, s.db, storeID)
	if err != nil {
		return err
	}
	if !active {
		return invalidPK("retail_store", storeID)
	}
	if err := s.ownAddress(ctx, e.sh, "billing_address", billID); err != nil {
		return err
	}
	e.st.RetailStore, e.st.BillingAddr, e.st.ShippingAddr, e.st.Shipping = storeID, billID, 0, 0
	return nil
}

func (s *Service) recordShipping(_ context.Context, e entry) error {
	id, err := pk(e.form, "shipping_option")
	if err != nil {
		return err
	}
	o := find(e.qt.opts.shipping, func(o *ShippingOption) bool { return o.PK == id })
	if o == nil {
		return invalidPK("shipping_option", id)
	}
	if e.qt.shipAddr == nil || !o.Offers(e.qt.shipAddr.CountryPlace.Code, e.sh.Currency) {
		return apperror.Field("shipping_option", "This shipping option is not offered for the shipping address.")
	}
	e.st.Shipping = id
	return nil
}

func (s *Service) recordPayment(ctx context.Context, e entry) error {
	id, err := pk(e.form, "payment_option")
	if err != nil {
		return err
	}
	o := find(e.qt.opts.payment, func(o *PaymentOption) bool { return o.PK == id })
	if o == nil || !s.offers(o, e.sh) {
		return invalidPK("payment_option", id)
	}
	if o.Type == "loyalty_money" {
		if err := s.coversTotal(ctx, e); err != nil {
			return err
		}
	}
	if e.st.Payment != id {
		e.st.Payment, e.st.Bin, e.st.Installments, e.st.Bank, e.st.Choice = id, "", 0, 0, ""
	}
	return nil
}

func (s *Service) recordBin(_ context.Context, e entry) error {
	bin := strings.TrimSpace(e.form.Get("bin_number"))
	if len(bin) < 6 || len(bin) > 8 || !payment.AllDigits(bin) {
		return apperror.Field("bin_number", "Enter the first 6 to 8 digits of the card.")
	}
	if e.st.Bin != bin {
		e.st.Bin, e.st.Installments = bin, 0
	}
	return nil
}

func (s *Service) recordInstallment(_ context.Context, e entry) error {
	id, err := pk(e.form, "installment")
	if err != nil {
		return err
	}
	if find(e.qt.payment.Installments, func(i *Installment) bool { return int64(i.Count) == id }) == nil {
		return invalidPK("installment", id)
	}
	e.st.Installments = int(id)
	return nil
}

func (s *Service) recordBankAccount(_ context.Context, e entry) error {
	id, err := pk(e.form, "bank_account")
	if err != nil {
		return err
	}
	if find(e.qt.opts.banks, func(b *BankAccount) bool { return b.PK == id }) == nil {
		return invalidPK("bank_account", id)
	}
	e.st.Bank = id
	return nil
}

func (s *Service) recordDeliveryChoice(_ context.Context, e entry) error {
	choice := strings.TrimSpace(e.form.Get("payment_choice"))
	if !slices.Contains(deliveryChoices, choice) {
		return apperror.Field("payment_choice", `"`+choice+`" is not a valid choice.`)
	}
	e.st.Choice = choice
	return nil
}

func (s *Service) recordNotes(_ context.Context, e entry) error {
	notes := strings.TrimSpace(e.form.Get("notes"))
	if len(notes) > 1000 {
		return apperror.Field("notes", "Ensure this field has no more than 1000 characters.")
	}
	e.st.Notes = notes
	return nil
}

// recordCoupon applies or removes the basket's voucher; the checkout
// state keeps nothing of it. The basket changed, so the request's answer
// reads it again.
func (s *Service) recordCoupon(ctx context.Context, e entry) error {
	e.sh.read.forget()
	if strings.EqualFold(e.form.Get("action"), "remove") {
		_, err := s.baskets.RemoveVoucher(ctx, e.sh.Sess, e.sh.Currency)
		return err
	}
	code := strings.TrimSpace(e.form.Get("coupon"))
	if code == "" {
		return apperror.Field("coupon", "This field is required.")
	}
	_, err := s.baskets.ApplyVoucher(ctx, e.sh.Sess, e.sh.Currency, e.st.Email, code)
	var fields apperror.Fields
	if errors.As(err, &fields) && fields["voucher_code"] != nil {
		return apperror.Fields{"coupon": fields["voucher_code"]}
	}
	return err
}

// recordLoyalty keeps the loyalty money a customer pays part of the order
// with: at most their balance, less than the order's total (paying all of
// it is the loyalty_money payment option); zero uses none. The balance is
// taken when the order is placed, and checked again then.
func (s *Service) recordLoyalty(ctx context.Context, e entry) error {
	const field = "loyalty_amount_to_use"
	if !e.sh.Sess.IsCustomer() {
		return apperror.Field(field, "Sign in to use loyalty money.")
	}
	raw := strings.TrimSpace(e.form.Get(field))
	if raw == "" {
		return apperror.Field(field, "This field is required.")
	}
	amount, err := money.Parse(raw)
	if err != nil || amount < 0 {
		return apperror.Field(field, "Enter an amount of zero or more with at most 2 decimal places.")
	}
	balance, err := loyalty.Balance(ctx, s.db, e.sh.Sess.CustomerID)
	if err != nil {
		return err
	}
	switch total := e.qt.basket.Pricing.Total; {
	case amount > balance:
		return apperror.Field(field, "Your loyalty money balance is "+balance.String()+".")
	case amount > 0 && amount >= total:
		return apperror.Field(field, "Enter less than the order's total of "+total.String()+
			"; to pay all of it, choose loyalty money as the payment option.")
	}
	e.st.Loyalty = int64(amount)
	return nil
}

// coversTotal refuses paying the whole order with loyalty money the
// customer does not have.
func (s *Service) coversTotal(ctx context.Context, e entry) error {
	balance, err := loyalty.Balance(ctx, s.db, e.sh.Sess.CustomerID)
	if err != nil {
		return err
	}
	if total := e.qt.basket.Pricing.Total; balance < total {
		return apperror.Field("payment_option", "Your loyalty money balance of "+balance.String()+
			" does not cover the order's total of "+total.String()+".")
	}
	return nil
}

// pk reads a required pk field.
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
