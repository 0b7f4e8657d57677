// Package captcha checks Google reCAPTCHA v2 answers, the captcha that the
// real client renders (react-google-recaptcha) when a login is throttled.
package captcha

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// verifyTimeout bounds a check: a shopper waits for it, and Google answers
// in well under a second when it answers at all.
const verifyTimeout = 5 * time.Second

// Verifier checks answers against a siteverify endpoint.
type Verifier struct {
	SiteKey   string // public: the page the widget is drawn on carries it
	secret    string
	verifyURL string
	client    *http.Client
}

// New returns a verifier for a site key and its secret.
func New(siteKey, secret, verifyURL string) *Verifier {
	return &Verifier{SiteKey: siteKey, secret: secret, verifyURL: verifyURL, client: &http.Client{Timeout: verifyTimeout}}
}

// Verify asks the endpoint whether answer (the widget's
// g-recaptcha-response) is a captcha solved for our site key. remoteIP is
// the shopper's address, or "" when it is unknown. An error means the
// endpoint could not tell: unreachable, or an answer that is not its JSON.
func (v *Verifier) Verify(ctx context.Context, answer, remoteIP string) (bool, error) {
	form := url.Values{"secret": {v.secret}, "response": {answer}}
	if remoteIP != "" {
		form.Set("remoteip", remoteIP)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.verifyURL, strings.NewReader(form.Encode()))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := v.client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("captcha verification: status %d", resp.StatusCode)
	}
	var result struct {
		Success *bool `json:"success"`
	}
	// The answer is a few fields; a larger one is not the endpoint's.
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&result); err != nil {
		return false, fmt.Errorf("captcha verification: %w", err)
	}
	if result.Success == nil {
		return false, fmt.Errorf("captcha verification: the answer has no success field")
	}
	return *result.Success, nil
}
