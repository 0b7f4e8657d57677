package api

import (
	"html/template"
	"log/slog"
	"net/http"
	"strings"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/captcha"
	"github.com/vitrin/vitrin/internal/csrf"
)

// captchaAnswerField is the field the reCAPTCHA widget fills.
const captchaAnswerField = "g-recaptcha-response"

// registerCaptcha serves the page a throttled login is sent to (see
// internal/account/throttle.go). Without reCAPTCHA keys the throttle sends
// nobody there and the page is a 404.
func registerCaptcha(s *Server) error {
	if s.cfg.RecaptchaSiteKey != "" {
		s.captcha = captcha.New(s.cfg.RecaptchaSiteKey, s.cfg.RecaptchaSecret, s.cfg.RecaptchaVerifyURL)
	}
	s.handle("GET /users/pz-captcha", s.captchaPage)
	s.handle("POST /users/pz-captcha", s.solveCaptcha)
	return nil
}

// captchaForm is the page's html. The real client does not render it: it
// takes the site key and the CSRF token out of it with the regular
// expressions sitekey=["|']\w+ and
// name=['|"]csrfmiddlewaretoken['|"] value=['|"]\w+, so those attributes
// keep exactly this spelling (the key and the token are word characters).
var captchaForm = template.Must(template.New("captcha").Parse(`<form method="post" action="/users/pz-captcha/">` +
	`<input type="hidden" name="csrfmiddlewaretoken" value="{{.CSRFToken}}">` +
	`<script src="https://www.google.com/recaptcha/api.js" async defer></script>` +
	`<div class="g-recaptcha" data-sitekey="{{.SiteKey}}"></div>` +
	`<button type="submit">Continue</button></form>`))

func (s *Server) captchaPage(w http.ResponseWriter, r *http.Request) {
	if s.captcha == nil {
		writeError(w, r, apperror.ErrNotFound)
		return
	}
	secret := csrfSecret(r)
	// The real client copies the token from the html into its own cookie,
	// so only a client without the cookie needs it set: one cookie less
	// for the storefront's proxy to mangle.
	if c, err := r.Cookie(csrf.CookieName); err != nil || c.Value != secret {
		s.setCSRFCookie(w, secret)
	}
	var page strings.Builder
	if err := captchaForm.Execute(&page, struct{ CSRFToken, SiteKey string }{secret, s.captcha.SiteKey}); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"html": page.String()})
}

// solveCaptcha checks a solved captcha with Google and, when it is good,
// lets the session try to log in again despite a login lock. A captcha
// that is not good, or that cannot be checked, changes nothing.
func (s *Server) solveCaptcha(w http.ResponseWriter, r *http.Request) {
	if s.captcha == nil {
		writeError(w, r, apperror.ErrNotFound)
		return
	}
	in, err := s.input(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	answer := strings.TrimSpace(in.str(captchaAnswerField))
	if answer == "" {
		writeError(w, r, apperror.Field(captchaAnswerField, "This field is required."))
		return
	}
	addr, identified := s.client(r)
	if !identified {
		// The storefront's server, not the shopper: Google would weigh
		// the wrong address.
		addr = ""
	}
	solved, err := s.captcha.Verify(r.Context(), answer, addr)
	if err != nil {
		if r.Context().Err() != nil {
			writeError(w, r, r.Context().Err())
			return
		}
		slog.Warn("captcha verification failed", "request_id", requestID(r), "err", err)
		writeError(w, r, apperror.Field("non_field_errors", "The captcha could not be checked. Please try again."))
		return
	}
	if !solved {
		writeError(w, r, apperror.Field(captchaAnswerField, "The captcha was not solved. Please try again."))
		return
	}
	sess, err := s.session(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.accounts.PassCaptcha(r.Context(), sess.ID); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"location": "/"})
}
