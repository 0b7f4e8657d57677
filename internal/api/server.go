// Package api is Vitrin's HTTP layer: it maps the Akinon wire format onto
// the domain packages and holds the cross-cutting middleware (sessions,
// CSRF, CORS, logging, metrics). It owns no business rules.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"strings"

	"github.com/vitrin/vitrin/internal/account"
	"github.com/vitrin/vitrin/internal/basket"
	"github.com/vitrin/vitrin/internal/captcha"
	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/config"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/session"
)

// Server is the whole HTTP API of one store.
type Server struct {
	cfg      *config.Config
	db       *database.DB
	sessions *session.Store
	accounts *account.Service
	catalog  *catalog.Service
	baskets  *basket.Service   // set by registerBasket; checkout prices orders with it
	shop     *shop             // addresses, checkout, payments and orders; set by registerCheckout
	captcha  *captcha.Verifier // the login captcha; nil when no reCAPTCHA keys are configured
	metrics  *metrics
	mux      *http.ServeMux
	handler  http.Handler

	// Extension points that domain routes fill when they register.
	//
	// onLogin runs after a customer logs in on a session, with the guest
	// session's data already carried over (the basket merges here).
	onLogin []func(ctx context.Context, sess *session.Session) error
	// onRegister runs in the transaction that creates a customer (the
	// confirmation mail is queued here); an error undoes the registration.
	onRegister []func(ctx context.Context, q database.Querier, c *account.Customer) error
	// csrfExempt lists requests that need no CSRF proof (payment callbacks
	// forwarded from a bank with cookies only).
	csrfExempt []func(r *http.Request) bool
	// fallback answers GET requests that no route matched (pretty URLs).
	fallback http.Handler
}

// New builds the server and registers every route.
func New(cfg *config.Config, db *database.DB, sessions *session.Store) (*Server, error) {
	s := &Server{
		cfg:      cfg,
		db:       db,
		sessions: sessions,
		accounts: account.NewService(db),
		catalog:  catalog.New(db),
		metrics:  newMetrics(db),
		mux:      http.NewServeMux(),
	}
	for _, register := range []func(*Server) error{
		registerOperations,
		registerAccount,
		registerCaptcha,
		registerCatalog,
		registerBasket,
		registerAccountOffers,
		registerLoyalty,
		registerCheckout,
		registerExtras,
	} {
		if err := register(s); err != nil {
			return nil, err
		}
	}
	if s.fallback != nil {
		// Pretty-URL pages count in the metrics like any route.
		s.fallback = s.metrics.instrument("pretty_url", s.fallback)
	}
	s.handler = s.withRequestState(s.withCSRF(http.HandlerFunc(s.route)))
	s.handler = s.withCORS(s.withRecover(s.handler))
	s.handler = s.withLogging(s.handler)
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// handle registers a route. Patterns are written without the trailing
// slash; route strips it from every request, so both spellings work for
// every method and no POST is ever redirected.
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.mux.Handle(pattern, s.metrics.instrument(pattern, h))
}

// route dispatches to the mux, answering unmatched paths and methods in
// the contract's JSON shape.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
		// A copy: the request log shows the path as the client sent it.
		stripped := *r.URL
		stripped.Path = strings.TrimRight(p, "/")
		if stripped.Path == "" {
			stripped.Path = "/"
		}
		stripped.RawPath = ""
		r = r.WithContext(r.Context())
		r.URL = &stripped
	}
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		// ServeHTTP (not h) so that the mux fills r.PathValue.
		s.mux.ServeHTTP(w, r)
		return
	}
	// Let the mux decide between 404 and 405 (it knows the Allow list),
	// then answer in JSON.
	probe := &statusProbe{header: http.Header{}}
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		s.metrics.unmatched(r.Method, http.StatusMethodNotAllowed)
		writeDetail(w, http.StatusMethodNotAllowed, `Method "`+r.Method+`" not allowed.`)
		return
	}
	if s.fallback != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		s.fallback.ServeHTTP(w, r)
		return
	}
	s.metrics.unmatched(r.Method, http.StatusNotFound)
	writeDetail(w, http.StatusNotFound, "Not found.")
}

// statusProbe records what the mux's own 404/405 handler would send.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(status int)      { p.status = status }

func registerOperations(s *Server) error {
	s.handle("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.handle("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.db.PingContext(r.Context()); err != nil {
			slog.Warn("readiness: database unreachable", "err", err)
			writeDetail(w, http.StatusServiceUnavailable, "Database unreachable.")
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	s.mux.Handle("GET /metrics", s.metrics.handler())
	if s.cfg.Pprof {
		s.mux.HandleFunc("GET /debug/pprof", pprof.Index)
		s.mux.HandleFunc("GET /debug/pprof/{name}", pprof.Index)
		s.mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		s.mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		s.mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		s.mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	return nil
}
