package api

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/session"
	"github.com/vitrin/vitrin/internal/token"
)

// requestState is what one request carries through the middleware: its id,
// its session (loaded on first use, so a catalog page costs no session
// query) and its parsed body (read once, shared by CSRF and the handler).
type requestState struct {
	id       string
	cookieID string
	sess     *session.Session
	in       *input
	inErr    error
	inRead   bool
}

type stateKey struct{}

func state(r *http.Request) *requestState {
	st, _ := r.Context().Value(stateKey{}).(*requestState)
	return st
}

func requestID(r *http.Request) string {
	if st := state(r); st != nil {
		return st.id
	}
	return ""
}

// session returns the request's session, loading it on first use.
func (s *Server) session(r *http.Request) (*session.Session, error) {
	st := state(r)
	if st.sess == nil || st.sess.Unread() {
		sess, err := s.sessions.Load(r.Context(), st.cookieID)
		if err != nil {
			return nil, err
		}
		st.sess = sess
	}
	return st.sess, nil
}

// shopper is the request's session for a handler that needs to know only
// who the shopper is (a basket's owner). A guest whose request names its
// currency and language itself, as storefronts do (x-currency,
// Accept-Language), is known by its id alone: no session read.
func (s *Server) shopper(r *http.Request) (*session.Session, error) {
	st := state(r)
	if st.sess == nil && s.localeInHeaders(r) {
		if guest := s.sessions.Guest(st.cookieID); guest != nil {
			st.sess = guest
			return guest, nil
		}
	}
	return s.session(r)
}

// input returns the request's parsed body.
func (s *Server) input(r *http.Request) (*input, error) {
	st := state(r)
	if !st.inRead {
		st.in, st.inErr = parseInput(r)
		st.inRead = true
	}
	return st.in, st.inErr
}

// responseWriter records the status for logs and metrics, and sets the
// session cookie just before the header goes out, when the session is new,
// was rotated or had its expiry moved.
type responseWriter struct {
	http.ResponseWriter
	status  int
	bytes   int
	onWrite func(http.ResponseWriter)
}

func (w *responseWriter) WriteHeader(status int) {
	if w.status != 0 {
		return
	}
	w.status = status
	if w.onWrite != nil {
		w.onWrite(w.ResponseWriter)
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) withLogging(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.metrics.inFlight.Inc()
		defer s.metrics.inFlight.Dec()
		id := r.Header.Get("X-Request-ID")
		if len(id) == 0 || len(id) > 64 || strings.ContainsFunc(id, func(c rune) bool { return c <= ' ' || c > '~' }) {
			id = token.New(20)
		}
		w.Header().Set("X-Request-ID", id)
		st := &requestState{id: id}
		rw := &responseWriter{ResponseWriter: w}
		next.ServeHTTP(rw, r.WithContext(context.WithValue(r.Context(), stateKey{}, st)))
		if rw.status == 0 {
			rw.status = http.StatusOK
		}
		level := slog.LevelInfo
		if rw.status >= 500 {
			level = slog.LevelError
		}
		slog.LogAttrs(r.Context(), level, "request",
			slog.String("request_id", id),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rw.status),
			slog.Int("bytes", rw.bytes),
			slog.Float64("ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("remote", r.RemoteAddr),
		)
	})
}

func (s *Server) withRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			slog.Error("panic", "request_id", requestID(r), "panic", v, "stack", string(debug.Stack()))
			if rw, ok := w.(*responseWriter); !ok || rw.status == 0 {
				writeJSON(w, http.StatusInternalServerError, detail{Detail: "Internal server error.", RequestID: requestID(r)})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// withCORS lets the configured storefront origins call with credentials;
// any other origin gets no CORS headers at all.
func (s *Server) withCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(s.cfg.CORSOrigins) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		// Every answer depends on the Origin, those without CORS headers
		// too: a cache must not hand one origin's answer to another.
		h := w.Header()
		h.Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		if origin == "" || !slices.Contains(s.cfg.CORSOrigins, origin) {
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Content-Type, X-CSRFToken, X-Currency, Accept-Language, X-Requested-With, X-Request-ID")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// withRequestState reads the session cookie, caps the body, and arranges
// for the session cookie to be (re)sent when it must be.
func (s *Server) withRequestState(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := state(r)
		if c, err := r.Cookie(s.cfg.SessionCookieName); err == nil {
			st.cookieID = c.Value
		}
		if r.ContentLength > s.cfg.BodyLimit {
			// Refused before reading, so a route that ignores its body
			// refuses an oversized one too.
			writeError(w, r, errTooLarge)
			return
		}
		if err := urlNULError(r); err != nil {
			writeError(w, r, err)
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.BodyLimit)
		}
		if rw, ok := w.(*responseWriter); ok {
			rw.onWrite = func(w http.ResponseWriter) { s.setSessionCookie(w, st) }
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

func (s *Server) setSessionCookie(w http.ResponseWriter, st *requestState) {
	id := ""
	switch {
	case st.sess != nil && (st.sess.ID != st.cookieID || st.sess.Refreshed):
		id = st.sess.ID
	case st.sess == nil && !s.sessions.Signed(st.cookieID):
		// A new visitor: hand out a guest id; no row until there is
		// something to keep.
		st.sess = s.sessions.New()
		id = st.sess.ID
	}
	if id == "" {
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     s.cfg.SessionCookieName,
		Value:    id,
		Path:     "/",
		Domain:   s.cfg.CookieDomain,
		MaxAge:   int(s.sessions.Lifetime().Seconds()),
		HttpOnly: true,
		Secure:   s.cfg.CookieSecure,
		SameSite: http.SameSiteLaxMode,
	})
}

// clientAddr is the caller's IP address, for throttling.
func (s *Server) clientAddr(r *http.Request) string {
	addr, _ := s.client(r)
	return addr
}

// client is the caller's IP address: the peer's, or, when the peer is a
// configured trusted proxy, the one its X-Forwarded-For names (read from
// the right, through any further trusted proxies). identified is false
// when a trusted proxy named no client, as the storefront's server-side
// login does not: its address then stands for many shoppers.
func (s *Server) client(r *http.Request) (addr string, identified bool) {
	addr, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		addr = r.RemoteAddr
	}
	var forwarded []string
	for _, header := range r.Header.Values("X-Forwarded-For") {
		for _, hop := range strings.Split(header, ",") {
			if hop = strings.TrimSpace(hop); hop != "" {
				forwarded = append(forwarded, hop)
			}
		}
	}
	for s.trustedProxy(addr) {
		if len(forwarded) == 0 {
			return addr, false
		}
		addr, forwarded = forwarded[len(forwarded)-1], forwarded[:len(forwarded)-1]
	}
	return addr, true
}

func (s *Server) trustedProxy(addr string) bool {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, proxy := range s.cfg.TrustedProxies {
		if proxy.Contains(ip) {
			return true
		}
	}
	return false
}
