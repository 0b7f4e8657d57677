// Package token makes the random strings Vitrin hands out: session ids,
// CSRF secrets, one-time links. They are letters and digits only, because
// the real client extracts them with the pattern \w+.
package token

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
)

const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// New returns n random letters and digits (about 5.95 bits each).
func New(n int) string {
	out := make([]byte, n)
	buf := make([]byte, n+n/4+8)
	for i := 0; i < n; {
		if _, err := rand.Read(buf); err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		for _, b := range buf {
			// Rejection sampling: 248 = 4*62 keeps the distribution uniform.
			if b < 248 {
				out[i] = alphabet[b%62]
				if i++; i == n {
					break
				}
			}
		}
	}
	return string(out)
}

// IsAlnum reports whether s is made of ASCII letters and digits only.
func IsAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// Hash is how one-time tokens are stored: a leaked table gives no usable link.
func Hash(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}
