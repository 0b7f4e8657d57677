package checkout

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/vitrin/vitrin/internal/order"
)

// newOrder builds the order of a checkout from its quote: pending for a
// card (with the gateway that will charge it, so that ReleaseStale knows
// whom to ask), waiting for a transfer, approved when paid on delivery.
func (s *Service) newOrder(ctx context.Context, tx *sql.Tx, sh Shopper, st *State, qt *quote) (*order.Order, error) {
	o := &order.Order{Key: st.Attempt, CustomerID: sh.Sess.CustomerID, Email: st.Email, Phone: st.Phone,
		Currency: sh.Currency, Language: sh.Language, ProductAmount: qt.basket.Pricing.ProductAmount,
		DiscountAmount: qt.basket.Pricing.DiscountAmount, ShippingAmount: qt.shipAmt, InterestAmount: qt.interest,
		FeeAmount: qt.fee, Amount: qt.total, LoyaltyAmount: qt.loyalty, Installments: 1, PaymentOptionID: qt.payment.PK, PaymentChoice: st.Choice,
		VoucherCode: qt.basket.VoucherCode, Notes: st.Notes, BasketID: qt.basket.ID, RemoteAddr: sh.RemoteAddr,
		RetailStoreID: st.RetailStore, PaymentType: qt.payment.Type}
	if sh.Sess.IsCustomer() {
		if err := tx.QueryRowContext(ctx, "SELECT email, phone FROM customers WHERE id = $1", sh.Sess.CustomerID).Scan(&o.Email, &o.Phone); err != nil {
			return nil, err
		}
	}
	switch qt.payment.Type {
	case "credit_card", "redirection":
		o.Status, o.Installments, o.Gateway = order.Pending, st.Installments, qt.payment.Gateway
	case "funds_transfer":
		o.Status = order.WaitingPayment
		o.BankAccount, _ = json.Marshal(qt.bank.Wire())
	default:
		o.Status = order.Approved
	}
	snapshot(o, qt)
	for _, l := range qt.basket.Lines {
		if l.Available() {
			o.Items = append(o.Items, order.Item{ProductID: l.ProductID, Quantity: l.Quantity, UnitPrice: l.UnitPrice,
				RetailPrice: l.RetailPrice, Discount: l.Discount, Total: l.Total, TaxRate: l.TaxRate, Attributes: l.Attributes})
		}
	}
	return o, nil
}

// snapshot copies into o the choices as the shopper saw them: options,
// addresses and discounts change or go later; the order keeps them.
func snapshot(o *order.Order, qt *quote) {
	o.PaymentOption, _ = json.Marshal(qt.payment.Wire())
	if qt.delivery != nil {
		o.DeliveryOption = qt.delivery.Slug
	}
	if qt.shipping != nil {
		o.ShippingOptionID, o.ShippingOptionSlug = qt.shipping.PK, qt.shipping.Slug
	}
	if qt.shipAddr != nil {
		o.ShippingAddress, _ = json.Marshal(qt.shipAddr.Wire())
	}
	if qt.billAddr != nil {
		o.BillingAddress, _ = json.Marshal(qt.billAddr.Wire())
	}
	discounts := []map[string]any{}
	for _, d := range qt.basket.Pricing.Discounts {
		discounts = append(discounts, map[string]any{"name": d.Description, "amount": d.Amount})
	}
	o.Discounts, _ = json.Marshal(discounts)
}
