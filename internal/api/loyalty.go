package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/vitrin/vitrin/internal/loyalty"
)

// loyaltyBalance answers {"balance": 12.50}: a number, as the real client's
// type has it, written from the exact decimal (never through a float).
func (s *Server) loyaltyBalance(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.customer(r)
	if err != nil {
		return err
	}
	balance, err := loyalty.Balance(r.Context(), s.db, sess.CustomerID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]json.Number{"balance": json.Number(balance.String())})
}

type loyaltyTransactionJSON struct {
	Amount      string    `json:"amount"`
	CreatedDate time.Time `json:"created_date"`
	Transaction struct {
		CreatedDate time.Time `json:"created_date"`
		Order       *string   `json:"order"`
	} `json:"transaction"`
}

// loyaltyTransactions is the customer's ledger, newest first, in pages.
func (s *Server) loyaltyTransactions(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.customer(r)
	if err != nil {
		return err
	}
	entries, err := loyalty.Entries(r.Context(), s.db, sess.CustomerID)
	if err != nil {
		return err
	}
	out := make([]loyaltyTransactionJSON, len(entries))
	for i, e := range entries {
		out[i].Amount, out[i].CreatedDate, out[i].Transaction.CreatedDate = e.Amount.String(), e.Created, e.Created
		if e.OrderNumber != "" {
			out[i].Transaction.Order = &e.OrderNumber
		}
	}
	return writeJSON(w, http.StatusOK, paginate(r, out, 20))
}
