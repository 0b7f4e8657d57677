// Package csrf implements Django's stateless CSRF token scheme: the proof
// is the token sent with a request matching the csrftoken cookie, either as
// the 32-character secret or in its 64-character masked form.
package csrf

import (
	"crypto/subtle"
	"strings"

	"github.com/vitrin/vitrin/internal/token"
)

const (
	CookieName = "csrftoken"
	HeaderName = "X-Csrftoken"
	FormField  = "csrfmiddlewaretoken"
	secretLen  = 32
	alphabet   = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

// New returns a fresh secret.
func New() string { return token.New(secretLen) }

// Valid reports whether s is a well-formed secret (what the cookie holds).
func Valid(s string) bool { return len(s) == secretLen && token.IsAlnum(s) }

// Mask returns Django's masked form of a secret: a random mask followed by
// the secret shifted by it, so the token differs on every page.
func Mask(secret string) string {
	mask := token.New(secretLen)
	var b strings.Builder
	b.WriteString(mask)
	for i := 0; i < secretLen; i++ {
		b.WriteByte(alphabet[(strings.IndexByte(alphabet, secret[i])+strings.IndexByte(alphabet, mask[i]))%len(alphabet)])
	}
	return b.String()
}

// unmask returns the secret inside a sent token, or "" when it is malformed.
func unmask(sent string) string {
	switch {
	case len(sent) == secretLen && token.IsAlnum(sent):
		return sent
	case len(sent) == 2*secretLen && token.IsAlnum(sent):
		mask, cipher := sent[:secretLen], sent[secretLen:]
		out := make([]byte, secretLen)
		for i := range out {
			d := strings.IndexByte(alphabet, cipher[i]) - strings.IndexByte(alphabet, mask[i])
			if d < 0 {
				d += len(alphabet)
			}
			out[i] = alphabet[d]
		}
		return string(out)
	}
	return ""
}

// Matches reports whether the token sent with a request proves knowledge of
// the cookie's secret. Like Django, the cookie may hold the masked form too
// (Django before 4.1 stored that, and storefronts copy the cookie as is).
func Matches(cookie, sent string) bool {
	want, got := unmask(cookie), unmask(strings.TrimSpace(sent))
	return want != "" && got != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}
