package api

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/vitrin/vitrin/internal/csrf"
)

var (
	errCSRFMissing   = "CSRF Failed: CSRF token missing."
	errCSRFIncorrect = "CSRF Failed: CSRF token incorrect."
	errCSRFOrigin    = "CSRF Failed: Origin checking failed - the request's origin is not trusted."
	errCSRFReferer   = "CSRF Failed: Referer checking failed - no Origin or Referer."
)

// withCSRF applies the contract's rule (Django REST framework's, plus a
// browser check): a logged-in session always needs the proof; a guest's
// proof, when present, must be right; a guest request without proof is
// refused only when a browser marks it cross-site.
func (s *Server) withCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		if csrfExempt(r) {
			next.ServeHTTP(w, r)
			return
		}
		if msg, err := s.checkCSRF(r); err != nil {
			writeError(w, r, err)
			return
		} else if msg != "" {
			writeDetail(w, http.StatusForbidden, msg)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkCSRF returns the refusal message, or "" when the request may pass.
func (s *Server) checkCSRF(r *http.Request) (string, error) {
	sent, err := s.csrfProof(r)
	if err != nil {
		return "", err
	}
	cookie := ""
	if c, err := r.Cookie(csrf.CookieName); err == nil {
		cookie = c.Value
	}
	if sent != "" {
		if !csrf.Matches(cookie, sent) {
			return errCSRFIncorrect, nil
		}
		return s.checkOrigin(r), nil
	}
	if isLogoutPath(r.URL.Path) {
		// Step 1 of the real client's two-step logout: it only asks for a
		// token, and the handler changes nothing without one.
		return "", nil
	}
	sess, err := s.session(r)
	if err != nil {
		return "", err
	}
	if sess.IsCustomer() {
		return errCSRFMissing, nil
	}
	if s.crossSite(r) {
		return errCSRFMissing, nil
	}
	return "", nil
}

// csrfProof is the token sent in the header or the form field.
func (s *Server) csrfProof(r *http.Request) (string, error) {
	if v := r.Header.Get(csrf.HeaderName); v != "" {
		return v, nil
	}
	in, err := s.input(r)
	if err != nil {
		return "", err
	}
	return in.str(csrf.FormField), nil
}

// trusted reports whether origin ("scheme://host") may make requests
// with the proof: Vitrin's own origin, a storefront, or a configured one.
func (s *Server) trusted(r *http.Request, origin string) bool {
	return origin == ownOrigin(r) || slices.Contains(s.cfg.CORSOrigins, origin) || slices.Contains(s.cfg.TrustedOrigins, origin)
}

func ownOrigin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// crossSite reports a browser's mark of a request from another site.
func (s *Server) crossSite(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return true
	}
	origin := r.Header.Get("Origin")
	return origin != "" && (origin == "null" || !s.trusted(r, origin))
}

// checkOrigin is the extra check of a Secure deployment (Django's HTTPS
// rule): the Origin, or failing that the Referer, must be trusted.
func (s *Server) checkOrigin(r *http.Request) string {
	if !s.cfg.CookieSecure {
		if s.crossSite(r) {
			return errCSRFOrigin
		}
		return ""
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		if !s.trusted(r, origin) {
			return errCSRFOrigin
		}
		return ""
	}
	ref, err := url.Parse(r.Header.Get("Referer"))
	if err != nil || ref.Host == "" {
		return errCSRFReferer
	}
	if !s.trusted(r, ref.Scheme+"://"+ref.Host) {
		return errCSRFOrigin
	}
	return ""
}
