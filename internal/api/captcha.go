package api

import (
	"html/template"
	"log/slog"
	"net/http"
	"strings"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/csrf"
)

// captchaAnswerField is the field the reCAPTCHA widget fills.
const captchaAnswerField = "g-recaptcha-response"

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

// captchaPage is the page a throttled login is sent to (see
// internal/account/throttle.go). Without reCAPTCHA keys the throttle sends
// nobody there and the page is a 404.
func (s *Server) captchaPage(w http.ResponseWriter, r *http.Request) error {
	if s.captcha == nil {
		return apperror.ErrNotFound
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
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"html": page.String()})
}

// solveCaptcha checks a solved captcha with Google and, when it is good,
// lets the session try to log in again despite a login lock. A captcha
// that is not good, or that cannot be checked, changes nothing.
func (s *Server) solveCaptcha(w http.ResponseWriter, r *http.Request) error {
	if s.captcha == nil {
		return apperror.ErrNotFound
	}
	in, err := s.input(r)
	if err != nil {
		return err
	}
	answer := strings.TrimSpace(in.str(captchaAnswerField))
	if answer == "" {
		return apperror.Field(captchaAnswerField, "This field is required.")
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
			return r.Context().Err()
		}
		slog.Warn("captcha verification failed", "request_id", requestID(r), "err", err)
		return apperror.Field("non_field_errors", "The captcha could not be checked. Please try again.")
	}
	if !solved {
		return apperror.Field(captchaAnswerField, "The captcha was not solved. Please try again.")
	}
	sess, err := s.session(r)
	if err != nil {
		return err
	}
	if err := s.accounts.PassCaptcha(r.Context(), sess.ID); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"location": "/"})
}
