package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
)

// writeJSON sends v as the JSON body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		slog.Error("encode response", "err", err)
		http.Error(w, `{"detail":"Internal server error."}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// detail is the contract's body for errors that concern no field.
type detail struct {
	Detail      string `json:"detail"`
	ErrorCode   string `json:"error_code,omitempty"`
	RedirectURL string `json:"redirect_url,omitempty"`
	RequestID   string `json:"request_id,omitempty"`
}

// writeError answers err in the contract's error shape. Errors the domain
// did not mean for the client are logged and answered as a 500.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var fields apperror.Fields
	var problem *apperror.Problem
	switch {
	case errors.As(err, &fields):
		writeJSON(w, http.StatusBadRequest, fields)
	case errors.As(err, &problem):
		writeJSON(w, problem.Status, detail{Detail: problem.Detail, ErrorCode: problem.Code, RedirectURL: problem.RedirectURL})
	case errors.Is(err, r.Context().Err()):
		// The client went away; nobody reads this answer.
		w.WriteHeader(499)
	case database.Unavailable(err):
		// A failover or restart of the database: the shopper may try
		// again in a moment, and the balancer sees the node unready.
		id := requestID(r)
		slog.Warn("database unavailable", "request_id", id, "method", r.Method, "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", "2")
		writeJSON(w, http.StatusServiceUnavailable, detail{Detail: "The store is briefly unavailable; please try again.", RequestID: id})
	default:
		id := requestID(r)
		slog.Error("request failed", "request_id", id, "method", r.Method, "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError, detail{Detail: "Internal server error.", RequestID: id})
	}
}

func writeDetail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, detail{Detail: msg})
}
