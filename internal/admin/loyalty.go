package admin

import (
	"net/http"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/loyalty"
	"github.com/vitrin/vitrin/internal/money"
)

type loyaltyEntryJSON struct {
	ID          int64        `json:"id"`
	Amount      money.Amount `json:"amount"`
	Reason      string       `json:"reason"`
	OrderNumber string       `json:"order_number"`
	Created     time.Time    `json:"created_at"`
}

type loyaltyJSON struct {
	Balance money.Amount       `json:"balance"`
	Entries []loyaltyEntryJSON `json:"entries"`
}

func entryWire(e loyalty.Entry) loyaltyEntryJSON {
	return loyaltyEntryJSON{ID: e.ID, Amount: e.Amount, Reason: e.Reason, OrderNumber: e.OrderNumber, Created: e.Created}
}

// customerLoyalty is a customer's balance and ledger, newest entry first.
func (s *Server) customerLoyalty(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	entries, err := loyalty.Entries(r.Context(), s.db, id)
	if err != nil {
		return err
	}
	balance, err := loyalty.Balance(r.Context(), s.db, id)
	if err != nil {
		return err
	}
	out := loyaltyJSON{Balance: balance, Entries: []loyaltyEntryJSON{}}
	for _, e := range entries {
		out.Entries = append(out.Entries, entryWire(e))
	}
	return writeJSON(w, http.StatusOK, out)
}

// adjustLoyalty credits (a positive amount) or debits (a negative one) a
// customer's loyalty money, with a reason; never below zero.
func (s *Server) adjustLoyalty(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		Amount      string `json:"amount"`
		Reason      string `json:"reason"`
		OrderNumber string `json:"order_number"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	amount, err := money.Parse(in.Amount)
	if err != nil {
		return apperror.Field("amount", "Enter a decimal with at most two decimals, negative to debit.")
	}
	e, balance, err := loyalty.Adjust(r.Context(), s.db, id, amount, in.Reason, in.OrderNumber)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"entry": entryWire(*e), "balance": balance})
}
