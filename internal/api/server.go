// Package api is Vitrin's HTTP layer: it maps the Akinon wire format onto
// the domain packages and holds the cross-cutting middleware (sessions,
// CSRF, CORS, logging, metrics). It owns no business rules and builds no
// services: internal/app hands it the store's.
package api

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
	"strings"

	"github.com/vitrin/vitrin/internal/account"
	"github.com/vitrin/vitrin/internal/address"
	"github.com/vitrin/vitrin/internal/app"
	"github.com/vitrin/vitrin/internal/basket"
	"github.com/vitrin/vitrin/internal/captcha"
	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/checkout"
	"github.com/vitrin/vitrin/internal/config"
	"github.com/vitrin/vitrin/internal/credential"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/order"
	"github.com/vitrin/vitrin/internal/payment"
	"github.com/vitrin/vitrin/internal/privacy"
	"github.com/vitrin/vitrin/internal/promotion"
	"github.com/vitrin/vitrin/internal/session"
	"github.com/vitrin/vitrin/internal/subscription"
	"github.com/vitrin/vitrin/internal/support"
	"github.com/vitrin/vitrin/internal/wishlist"
)

// Server is the whole HTTP API of one store.
type Server struct {
	cfg           *config.Config
	svc           *app.Services
	db            *database.DB
	sessions      *session.Store
	accounts      *account.Service
	captcha       *captcha.Verifier // nil when no reCAPTCHA keys are configured
	credentials   *credential.Service
	privacy       *privacy.Service
	catalog       *catalog.Service
	promotions    *promotion.Service
	baskets       *basket.Service
	addresses     *address.Service
	checkout      *checkout.Service
	sandbox       *payment.Sandbox
	refunder      *order.Refunder
	wishlist      *wishlist.Service
	support       *support.Service
	subscriptions *subscription.Service
	metrics       *metrics
	mux           *http.ServeMux
	// fallback answers GET requests that no route matched (pretty URLs).
	fallback http.Handler
	handler  http.Handler
}

// New builds the server of the store's services and binds every route.
func New(cfg *config.Config, svc *app.Services) *Server {
	s := &Server{
		cfg: cfg, svc: svc, db: svc.DB, sessions: svc.Sessions,
		accounts: svc.Accounts, captcha: svc.Captcha, credentials: svc.Credentials, privacy: svc.Privacy,
		catalog: svc.Catalog, promotions: svc.Promotions, baskets: svc.Baskets,
		addresses: svc.Addresses, checkout: svc.Checkout, sandbox: svc.Sandbox, refunder: svc.Refunder,
		wishlist: svc.Wishlist, support: svc.Support, subscriptions: svc.Subscriptions,
		metrics: newMetrics(svc.DB, svc.Collectors...),
		mux:     http.NewServeMux(),
	}
	for _, rt := range s.routes() {
		s.handle(rt.pattern, rt.handler)
	}
	s.bindOperations()
	// Pretty-URL pages count in the metrics like any route.
	s.fallback = s.metrics.instrument("pretty_url", s.adapt(s.prettyPage))
	s.handler = s.withRequestState(s.withCSRF(http.HandlerFunc(s.route)))
	s.handler = s.withCORS(s.withRecover(s.handler))
	s.handler = s.withLogging(s.handler)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// handlerFunc is a route's handler. It writes the answer itself, or
// returns the error for adapt to answer in the contract's shape.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// adapt turns h into an http.Handler: the one place where a handler's
// error is written.
func (s *Server) adapt(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, r, err)
		}
	})
}

// handle binds a route. Patterns are written without the trailing slash;
// route strips it from every request, so both spellings work for every
// method and no POST is ever redirected.
func (s *Server) handle(pattern string, h handlerFunc) {
	s.mux.Handle(pattern, s.metrics.instrument(pattern, s.adapt(h)))
}

// bindOperations binds the routes of operators, not shoppers: they are
// not counted in the request metrics.
func (s *Server) bindOperations() {
	s.mux.Handle("GET /metrics", s.metrics.handler())
	if s.cfg.Pprof {
		s.mux.HandleFunc("GET /debug/pprof", pprof.Index)
		s.mux.HandleFunc("GET /debug/pprof/{name}", pprof.Index)
		s.mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		s.mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		s.mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		s.mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
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
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
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

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if err := s.db.PingContext(r.Context()); err != nil {
		slog.Warn("readiness: database unreachable", "err", err)
		return writeDetail(w, http.StatusServiceUnavailable, "Database unreachable.")
	}
	if !s.catalog.Ready() { // built at start: the balancer waits for it
		return writeDetail(w, http.StatusServiceUnavailable, "Catalog loading.")
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
