package api

import (
	"context"
	"html"
	"net/http"
	"strings"

	"github.com/vitrin/vitrin/internal/account"
	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/csrf"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/session"
)

func isLogoutPath(path string) bool { return strings.TrimRight(path, "/") == "/users/logout" }

// csrfSecret returns the request's valid csrftoken cookie, or a new secret.
func csrfSecret(r *http.Request) string {
	if c, err := r.Cookie(csrf.CookieName); err == nil && csrf.Valid(c.Value) {
		return c.Value
	}
	return csrf.New()
}

func (s *Server) setCSRFCookie(w http.ResponseWriter, secret string) {
	http.SetCookie(w, &http.Cookie{
		Name:     csrf.CookieName,
		Value:    secret,
		Path:     "/",
		Domain:   s.cfg.CookieDomain,
		MaxAge:   365 * 24 * 3600,
		Secure:   s.cfg.CookieSecure,
		SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) error {
	secret := csrfSecret(r)
	s.setCSRFCookie(w, secret)
	return writeJSON(w, http.StatusOK, map[string]string{"csrf_token": secret})
}

// customer returns the logged-in customer's id, or ErrUnauthorized.
func (s *Server) customer(r *http.Request) (*session.Session, error) {
	sess, err := s.session(r)
	if err != nil {
		return nil, err
	}
	if !sess.IsCustomer() {
		return nil, apperror.ErrUnauthorized
	}
	return sess, nil
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	in, err := s.input(r)
	if err != nil {
		return err
	}
	errs := apperror.Fields{}
	email, password := strings.TrimSpace(in.str("email")), in.str("password")
	if email == "" {
		errs.Add("email", "This field is required.")
	}
	if password == "" {
		errs.Add("password", "This field is required.")
	}
	if len(errs) > 0 {
		return errs
	}
	sess, err := s.session(r)
	if err != nil {
		return err
	}
	// A trusted proxy that names no client is many shoppers: throttling
	// its address would lock them all out, so only the e-mail counts.
	addr, identified := s.client(r)
	if !identified {
		addr = ""
	}
	attempt := account.LoginAttempt{Email: email, Password: password, ClientAddr: addr}
	if s.captcha != nil {
		attempt.CaptchaSession = sess.ID
	}
	var rotated session.Session
	_, err = s.accounts.Authenticate(r.Context(), attempt, func(ctx context.Context, q database.Querier, c *account.Customer) error {
		next, err := s.rotateForCustomer(ctx, q, sess, c)
		rotated = next
		return err
	})
	if err != nil {
		return err
	}
	*sess = rotated
	return s.finishLogin(w, r, sess)
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) error {
	in, err := s.input(r)
	if err != nil {
		return err
	}
	if err := in.nestedErrors(append([]string{"email", "password"}, profileFields...)...); err != nil {
		return err
	}
	reg := account.Registration{Email: in.str("email"), Password: in.str("password"), Profile: profileInput(in)}
	if reg.Language == nil {
		if lang := requestLanguage(r); lang != "" {
			reg.Language = &lang
		}
	}
	sess, err := s.session(r)
	if err != nil {
		return err
	}
	var rotated session.Session
	_, err = s.accounts.Register(r.Context(), reg, func(ctx context.Context, q database.Querier, c *account.Customer) error {
		for _, hook := range s.svc.OnRegister {
			if err := hook(ctx, q, c); err != nil {
				return err
			}
		}
		next, err := s.rotateForCustomer(ctx, q, sess, c)
		rotated = next
		return err
	})
	if err != nil {
		return err
	}
	*sess = rotated
	return s.finishLogin(w, r, sess)
}

// rotateForCustomer is the session step of a login, run in the login's
// transaction: a copy of sess under a new id, bound to c. It is a copy so
// that sess stays as it was should the transaction roll back.
func (s *Server) rotateForCustomer(ctx context.Context, q database.Querier, sess *session.Session, c *account.Customer) (session.Session, error) {
	next := *sess
	if next.IsCustomer() && next.CustomerID != c.ID {
		// Only a guest's data carries over (Django's rule too): another
		// customer's checkout and preferences must not reach this one.
		if err := s.sessions.End(ctx, q, &next); err != nil {
			return next, err
		}
	}
	err := s.sessions.Rotate(ctx, q, &next, c.ID)
	return next, err
}

// finishLogin runs the login hooks (basket merge) on the rotated session
// and answers with its key and a new CSRF secret.
func (s *Server) finishLogin(w http.ResponseWriter, r *http.Request, sess *session.Session) error {
	for _, hook := range s.svc.OnLogin {
		if err := hook(r.Context(), sess); err != nil {
			return err
		}
	}
	s.setCSRFCookie(w, csrf.New())
	return writeJSON(w, http.StatusOK, map[string]string{"key": sess.ID})
}

// logout is both steps of the real client's api/logout.ts. Without a CSRF
// proof (step 1) it only prints a token in a form; with it (step 2) it ends
// the session, a customer's or a guest's, and hands out a fresh, empty
// guest session.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	proof, err := s.csrfProof(r)
	if err != nil {
		return err
	}
	if proof == "" {
		secret := csrfSecret(r)
		s.setCSRFCookie(w, secret)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`<form method="post" action="/users/logout/"><input type="hidden" name="csrfmiddlewaretoken" value="` +
			html.EscapeString(secret) + `"><button type="submit">Log out</button></form>`))
		return nil
	}
	sess, err := s.session(r)
	if err != nil {
		return err
	}
	if err := s.sessions.End(r.Context(), s.db, sess); err != nil {
		return err
	}
	s.setCSRFCookie(w, csrf.New())
	return writeDetail(w, http.StatusOK, "Successfully logged out.")
}

func (s *Server) currentUser(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.customer(r)
	if err != nil {
		return err
	}
	c, err := s.accounts.ByID(r.Context(), sess.CustomerID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c.Wire())
}

// profileFields are the fields a customer may change about themselves.
var profileFields = []string{"first_name", "last_name", "phone", "date_of_birth", "gender",
	"email_allowed", "sms_allowed", "call_allowed", "language"}

func profileInput(in *input) account.Profile {
	return account.Profile{
		FirstName:    in.optStr("first_name"),
		LastName:     in.optStr("last_name"),
		Phone:        in.optStr("phone"),
		DateOfBirth:  in.optStr("date_of_birth"),
		Gender:       in.optStr("gender"),
		EmailAllowed: in.optBool("email_allowed"),
		SMSAllowed:   in.optBool("sms_allowed"),
		CallAllowed:  in.optBool("call_allowed"),
		Language:     in.optStr("language"),
	}
}

func (s *Server) updateProfile(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.customer(r)
	if err != nil {
		return err
	}
	in, err := s.input(r)
	if err != nil {
		return err
	}
	if err := in.nestedErrors(profileFields...); err != nil {
		return err
	}
	c, err := s.accounts.UpdateProfile(r.Context(), sess.CustomerID, profileInput(in))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c.Wire())
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.customer(r)
	if err != nil {
		return err
	}
	in, err := s.input(r)
	if err != nil {
		return err
	}
	if err := s.accounts.ChangePassword(r.Context(), sess.CustomerID, in.str("old_password"), in.str("new_password1"), in.str("new_password2")); err != nil {
		return err
	}
	// Other devices logged in with the old password are logged out.
	if err := s.sessions.EndCustomerSessions(r.Context(), s.db, sess.CustomerID, sess.ID); err != nil {
		return err
	}
	return writeDetail(w, http.StatusOK, "New password has been saved.")
}

// requestLanguage is the Accept-Language the client sent ("tr-tr"), or "".
func requestLanguage(r *http.Request) string {
	lang := strings.ToLower(strings.TrimSpace(r.Header.Get("Accept-Language")))
	if lang == "undefined" || lang == "null" {
		return ""
	}
	if i := strings.IndexAny(lang, ",;"); i >= 0 {
		lang = strings.TrimSpace(lang[:i])
	}
	return lang
}
