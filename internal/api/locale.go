package api

import (
	"net/http"

	"github.com/vitrin/vitrin/internal/apperror"
)

// Session keys of the shopper's chosen currency and language.
const (
	sessionCurrency = "currency"
	sessionLanguage = "language"
)

// currency is the store currency (upper case, "TRY") that prices in the
// answer to r are in: the x-currency header when it names a store
// currency (any case; "undefined" and empty count as absent), else the
// one chosen with /users/activate-currency/, else the store default.
func (s *Server) currency(r *http.Request) string {
	st := s.catalog.Settings(r.Context())
	if c := st.Currency(r.Header.Get("X-Currency")); c != "" {
		return c
	}
	if s.hasSessionCookie(r) {
		if sess, err := s.session(r); err == nil {
			if c := st.Currency(sess.Get(sessionCurrency)); c != "" {
				return c
			}
		}
	}
	return st.DefaultCurrency
}

// language is the store language ("tr-tr", "en-us") that text in the
// answer to r is in: Accept-Language when the store has it (or a
// language with the same primary tag), else the one chosen with
// /i18n/setlang, else the store default.
func (s *Server) language(r *http.Request) string {
	st := s.catalog.Settings(r.Context())
	if l := st.Language(requestLanguage(r)); l != "" {
		return l
	}
	if s.hasSessionCookie(r) {
		if sess, err := s.session(r); err == nil {
			if l := st.Language(sess.Get(sessionLanguage)); l != "" {
				return l
			}
		}
	}
	return st.DefaultLanguage
}

// localeInHeaders reports whether r names a store currency and language
// in its headers, so that neither needs the session.
func (s *Server) localeInHeaders(r *http.Request) bool {
	st := s.catalog.Settings(r.Context())
	return st.Currency(r.Header.Get("X-Currency")) != "" && st.Language(requestLanguage(r)) != ""
}

// hasSessionCookie tells whether r may have a stored session: a catalog
// read by a visitor without a cookie must not cost a session query.
func (s *Server) hasSessionCookie(r *http.Request) bool {
	st := state(r)
	return st != nil && st.cookieID != ""
}

func (s *Server) activateCurrency(w http.ResponseWriter, r *http.Request) error {
	in, err := s.input(r)
	if err != nil {
		return err
	}
	code := s.catalog.Settings(r.Context()).Currency(in.str("currency"))
	if code == "" {
		return apperror.Field("currency", "Select a valid choice. That choice is not one of the available choices.")
	}
	return s.saveSessionValue(w, r, sessionCurrency, code, map[string]string{"currency": code})
}

func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request) error {
	in, err := s.input(r)
	if err != nil {
		return err
	}
	lang := s.catalog.Settings(r.Context()).Language(in.str("language"))
	if lang == "" {
		return apperror.Field("language", "Select a valid choice. That choice is not one of the available choices.")
	}
	return s.saveSessionValue(w, r, sessionLanguage, lang, map[string]string{"language": lang})
}

// saveSessionValue keeps one preference in the session and answers body.
func (s *Server) saveSessionValue(w http.ResponseWriter, r *http.Request, key, value string, body any) error {
	sess, err := s.session(r)
	if err != nil {
		return err
	}
	sess.Set(key, value)
	if err := s.sessions.Save(r.Context(), s.db, sess); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, body)
}
