package account

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/vitrin/vitrin/internal/apperror"
)

// New hashes are argon2id in Django's encoding, so a store that leaves
// Vitrin takes its customers' hashes along. Parameters follow OWASP's
// argon2id minimum (19 MiB, 2 passes): ~25 ms per login on one core.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// hashSlots bounds the password hashes computed at once to the number of
// cores. A hash takes a core for tens of milliseconds (argon2id also takes
// 19 MiB, Django's pbkdf2 up to a second): a burst of logins beyond the
// cores would only share them more thinly, delay every other request and,
// with argon2id, could exhaust memory. Logins beyond that queue here.
var hashSlots = make(chan struct{}, runtime.GOMAXPROCS(0))

func takeHashSlot() (release func()) {
	hashSlots <- struct{}{}
	return func() { <-hashSlots }
}

// HashPassword returns the argon2id hash of password.
func HashPassword(password string) string {
	defer takeHashSlot()()
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		panic(err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("argon2$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// CheckPassword verifies password against an encoded hash. upgrade is true
// when the hash is valid but of an older kind or weaker parameters, so the
// caller should store HashPassword(password) instead.
func CheckPassword(encoded, password string) (ok, upgrade bool) {
	defer takeHashSlot()()
	algo, rest, _ := strings.Cut(encoded, "$")
	switch algo {
	case "argon2":
		ok, current := checkArgon2(rest, password)
		return ok, ok && !current
	case "pbkdf2_sha256":
		ok = checkPBKDF2(rest, password)
		return ok, ok
	case "bcrypt":
		// Django: "bcrypt$" + the bcrypt string, which itself starts with "$2b$".
		ok = bcrypt.CompareHashAndPassword([]byte(rest), []byte(password)) == nil
		return ok, ok
	case "bcrypt_sha256":
		sum := sha256.Sum256([]byte(password))
		ok = bcrypt.CompareHashAndPassword([]byte(rest), []byte(hex.EncodeToString(sum[:]))) == nil
		return ok, ok
	}
	return false, false
}

// checkArgon2 reads "argon2id$v=19$m=…,t=…,p=…$salt$hash".
func checkArgon2(rest, password string) (ok, current bool) {
	parts := strings.Split(rest, "$")
	if len(parts) != 5 || parts[0] != "argon2id" {
		return false, false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || p == 0 || t == 0 || m > 4<<20 {
		return false, false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[3])
	want, err2 := b64.DecodeString(parts[4])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false, false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	ok = subtle.ConstantTimeCompare(got, want) == 1
	return ok, m >= argonMemory && t >= argonTime
}

// checkPBKDF2 reads Django's "<iterations>$<salt>$<base64 key>".
func checkPBKDF2(rest, password string) bool {
	parts := strings.SplitN(rest, "$", 3)
	if len(parts) != 3 {
		return false
	}
	iterations, err := strconv.Atoi(parts[0])
	if err != nil || iterations <= 0 || iterations > 10_000_000 {
		return false
	}
	want, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(want) == 0 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, []byte(parts[1]), iterations, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

// CheckNewPassword checks a new password (new1) and its confirmation
// (new2) for the customer with the e-mail address email; the answer is
// field errors on new_password1 or new_password2, or nil.
func CheckNewPassword(new1, new2, email string) error {
	switch {
	case new1 == "":
		return apperror.Field("new_password1", "This field is required.")
	case new1 != new2:
		return apperror.Field("new_password2", "The two password fields didn't match.")
	}
	if msgs := passwordProblems(new1, email); len(msgs) > 0 {
		return apperror.Fields{"new_password2": msgs}
	}
	return nil
}

// passwordProblems applies Django's default validators: length, not
// entirely numeric, not too common, not too similar to the e-mail.
func passwordProblems(password, email string) []string {
	var msgs []string
	if len([]rune(password)) < 8 {
		msgs = append(msgs, "This password is too short. It must contain at least 8 characters.")
	}
	if len(password) > 128 {
		msgs = append(msgs, "This password is too long. It must contain at most 128 characters.")
	}
	if strings.IndexFunc(password, func(r rune) bool { return !unicode.IsDigit(r) }) < 0 {
		msgs = append(msgs, "This password is entirely numeric.")
	}
	if commonPasswords[strings.ToLower(password)] {
		msgs = append(msgs, "This password is too common.")
	}
	if local, _, _ := strings.Cut(strings.ToLower(email), "@"); len(local) >= 4 && strings.Contains(strings.ToLower(password), local) {
		msgs = append(msgs, "The password is too similar to the email.")
	}
	return msgs
}

var commonPasswords = map[string]bool{
	"password": true, "password1": true, "12345678": true, "123456789": true, "1234567890": true,
	"qwertyuiop": true, "qwerty123": true, "iloveyou": true, "11111111": true, "abcd1234": true,
	"sunshine": true, "princess": true, "football": true, "baseball": true, "welcome1": true,
	"passw0rd": true, "trustno1": true, "superman": true, "letmein1": true, "asdfghjkl": true,
}
