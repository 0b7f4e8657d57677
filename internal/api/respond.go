package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
)

// The writers below answer a request. Each returns an error only when it
// wrote nothing (v could not be encoded), so a handler ends with
// `return writeJSON(...)` and the adapter answers that error as a 500.

// writeJSON sends v as the JSON body.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
	return nil
}

// writeHTML sends the page t renders from data.
func writeHTML(w http.ResponseWriter, t *template.Template, data any) error {
	var page bytes.Buffer
	if err := t.Execute(&page, data); err != nil {
		return fmt.Errorf("render %s: %w", t.Name(), err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(page.Bytes())
	return nil
}

// detail is the contract's body for errors that concern no field.
type detail struct {
	Detail      string `json:"detail"`
	ErrorCode   string `json:"error_code,omitempty"`
	RedirectURL string `json:"redirect_url,omitempty"`
	RequestID   string `json:"request_id,omitempty"`
}

func writeDetail(w http.ResponseWriter, status int, msg string) error {
	return writeJSON(w, status, detail{Detail: msg})
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
