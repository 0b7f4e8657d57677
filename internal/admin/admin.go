// Package admin is the management API: what a merchant's ERP or warehouse
// system calls to run the store. It is served on its own listener
// (--admin-addr), never on the shoppers' port, and every call but the
// OpenAPI document carries a bearer token of internal/apitoken with the
// scope of its route. Answers are JSON in the contract's error shape.
package admin

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/apitoken"
	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/inventory"
	"github.com/vitrin/vitrin/internal/order"
)

// bodyLimit bounds a request body: room for a bulk update of
// inventory.MaxRows prices with long SKUs. Bodies are read only once the
// token is good.
const bodyLimit = 4 << 20

// handlerFunc is a route's handler; the error it returns is answered by
// writeError, the one place that writes errors.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route is one entry of the route table.
type route struct {
	method, path string
	scope        string // "" for a route open without a token
	handle       handlerFunc
}

// Server is the management API's http.Handler.
type Server struct {
	db        *database.DB
	lifecycle *order.Lifecycle
	inventory *inventory.Service
	mux       *http.ServeMux
	routes    []route
	// FeedSettle is how far behind now the order feed stops: longer than
	// any write transaction lasts plus the clock skew between nodes, so a
	// change stamped but not yet committed is never passed over.
	FeedSettle time.Duration
}

// New returns the management API over db; lifecycle makes the orders'
// moves, inventory the bulk stock and price updates.
func New(db *database.DB, lifecycle *order.Lifecycle, inventory *inventory.Service) *Server {
	s := &Server{db: db, lifecycle: lifecycle, inventory: inventory, mux: http.NewServeMux(), FeedSettle: 5 * time.Second}
	s.routes = []route{
		{"GET", "/openapi.json", "", s.openAPI},
		{"GET", "/v1/orders", apitoken.Orders, s.orderFeed},
		{"GET", "/v1/orders/{id}", apitoken.Orders, s.oneOrder},
		{"POST", "/v1/orders/{id}/approve", apitoken.Orders, s.approve},
		{"POST", "/v1/orders/{id}/prepare", apitoken.Orders, s.prepare},
		{"POST", "/v1/orders/{id}/ship", apitoken.Orders, s.ship},
		{"POST", "/v1/orders/{id}/deliver", apitoken.Orders, s.deliver},
		{"POST", "/v1/orders/{id}/cancel", apitoken.Orders, s.cancel},
		{"POST", "/v1/catalog/stock", apitoken.Catalog, s.setStock},
		{"POST", "/v1/catalog/prices", apitoken.Catalog, s.setPrices},
		{"GET", "/v1/customers/{id}/loyalty", apitoken.Customers, s.customerLoyalty},
		{"POST", "/v1/customers/{id}/loyalty", apitoken.Customers, s.adjustLoyalty},
		{"GET", "/v1/webhooks", apitoken.Webhooks, s.listWebhooks},
		{"POST", "/v1/webhooks", apitoken.Webhooks, s.subscribe},
		{"DELETE", "/v1/webhooks/{id}", apitoken.Webhooks, s.unsubscribe},
		{"GET", "/v1/webhooks/{id}/deliveries", apitoken.Webhooks, s.deliveries},
		{"POST", "/v1/webhook-deliveries/{id}/resend", apitoken.Webhooks, s.resend},
	}
	for _, rt := range s.routes {
		s.mux.Handle(rt.method+" "+rt.path, s.serve(rt))
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { writeError(w, r, apperror.ErrNotFound) })
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// serve authenticates the request for rt, runs it and logs it with the
// token's name.
func (s *Server) serve(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		name, err := s.authorize(r, rt.scope)
		if err == nil {
			r.Body = http.MaxBytesReader(rec, r.Body, bodyLimit)
			err = rt.handle(rec, r)
		}
		if err != nil {
			writeError(rec, r, err)
		}
		slog.Info("admin request", "token", name, "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"duration", time.Since(start))
	})
}

// authorize checks the bearer token for scope and returns its name.
func (s *Server) authorize(r *http.Request, scope string) (string, error) {
	if scope == "" {
		return "", nil
	}
	secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return "", apitoken.ErrInvalid
	}
	t, err := apitoken.Authenticate(r.Context(), s.db, strings.TrimSpace(secret))
	if err != nil {
		return "", err
	}
	if !t.Allows(scope) {
		return t.Name, &apperror.Problem{Status: http.StatusForbidden, Detail: "This token lacks the " + scope + " scope.", Code: "insufficient_scope"}
	}
	return t.Name, nil
}

// recorder keeps the status a handler answered, for the log.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// problemJSON is the contract's body for an error that concerns no field.
type problemJSON struct {
	Detail    string `json:"detail"`
	ErrorCode string `json:"error_code,omitempty"`
}

// writeError answers err in the contract's error shape: field errors as a
// 400 of field → messages, problems with their status, anything else as
// a logged 500.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var fields apperror.Fields
	var problem *apperror.Problem
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &fields):
		writeJSON(w, http.StatusBadRequest, fields)
	case errors.As(err, &problem):
		if problem.Status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="vitrin-admin"`)
		}
		writeJSON(w, problem.Status, problemJSON{Detail: problem.Detail, ErrorCode: problem.Code})
	case errors.As(err, &tooLarge):
		writeJSON(w, http.StatusRequestEntityTooLarge, problemJSON{Detail: "The request body is too large."})
	case errors.Is(err, r.Context().Err()):
		w.WriteHeader(499) // the client went away
	default:
		slog.Error("admin request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError, problemJSON{Detail: "Internal server error."})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, err = w.Write(body)
	return err
}

// decode reads a JSON body into v; an empty body leaves v as it is.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil, errors.Is(err, io.EOF):
		return nil
	case errors.As(err, &tooLarge):
		return err
	}
	return apperror.Field("non_field_errors", "The body is not valid JSON for this request: "+err.Error())
}

// pathID reads the {id} of the path.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperror.ErrNotFound
	}
	return id, nil
}

// limit reads ?limit=, defaulting to def and at most most.
func limit(r *http.Request, def, most int) (int, error) {
	raw := r.URL.Query().Get("limit")
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > most {
		return 0, apperror.Field("limit", "Enter a whole number from 1 to "+strconv.Itoa(most)+".")
	}
	return n, nil
}
