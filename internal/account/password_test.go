package account

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/vitrin/vitrin/internal/apperror"
)

func djangoPBKDF2(password, salt string, iterations int) string {
	key, _ := pbkdf2.Key(sha256.New, password, []byte(salt), iterations, 32)
	return "pbkdf2_sha256$" + strconv.Itoa(iterations) + "$" + salt + "$" + base64.StdEncoding.EncodeToString(key)
}

func TestCheckPassword(t *testing.T) {
	bc, _ := bcrypt.GenerateFromPassword([]byte("s3cret-pass"), bcrypt.MinCost)
	sum := sha256.Sum256([]byte("s3cret-pass"))
	bcSHA, _ := bcrypt.GenerateFromPassword([]byte(hex.EncodeToString(sum[:])), bcrypt.MinCost)
	tests := []struct {
		name        string
		encoded     string
		ok, upgrade bool
	}{
		{"argon2id (ours)", HashPassword("s3cret-pass"), true, false},
		{"pbkdf2", djangoPBKDF2("s3cret-pass", "seasalt", 1000), true, true},
		{"bcrypt", "bcrypt$" + string(bc), true, true},
		{"bcrypt_sha256", "bcrypt_sha256$" + string(bcSHA), true, true},
		{"weaker argon2id", "argon2$argon2id$v=19$m=512,t=1,p=1$c2FsdHNhbHQ$" + weakArgon(t), true, true},
		{"unknown scheme", "md5$x$y", false, false},
		{"empty", "", false, false},
		{"garbage argon2", "argon2$argon2id$v=19$m=x$$", false, false},
	}
	for _, tt := range tests {
		ok, upgrade := CheckPassword(tt.encoded, "s3cret-pass")
		if ok != tt.ok || upgrade != tt.upgrade {
			t.Errorf("%s: got ok=%v upgrade=%v; want %v %v", tt.name, ok, upgrade, tt.ok, tt.upgrade)
		}
		if ok, _ := CheckPassword(tt.encoded, "wrong-pass"); ok {
			t.Errorf("%s: wrong password accepted", tt.name)
		}
	}
}

func TestDjangoPBKDF2Vector(t *testing.T) {
	// Django 3.2's hasher test: make_password('lètmein', 'seasalt', 'pbkdf2_sha256').
	enc := "pbkdf2_sha256$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo="
	if ok, _ := CheckPassword(enc, "lètmein"); !ok {
		t.Fatal("Django's pbkdf2_sha256 test vector does not verify")
	}
}

func weakArgon(t *testing.T) string {
	t.Helper()
	return base64.RawStdEncoding.EncodeToString(argon2.IDKey([]byte("s3cret-pass"), []byte("saltsalt"), 1, 512, 1, 32))
}

// BenchmarkPassword is the CPU cost of one login (argon2id check) and of
// the imported schemes it replaces.
func BenchmarkPassword(b *testing.B) {
	bc, _ := bcrypt.GenerateFromPassword([]byte("s3cret-pass"), bcrypt.DefaultCost)
	for _, bb := range []struct{ name, encoded string }{
		{"argon2id", HashPassword("s3cret-pass")},
		{"pbkdf2_sha256-260000", djangoPBKDF2("s3cret-pass", "seasalt", 260000)},
		{"bcrypt-10", "bcrypt$" + string(bc)},
	} {
		b.Run("check/"+bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if ok, _ := CheckPassword(bb.encoded, "s3cret-pass"); !ok {
					b.Fatal("does not verify")
				}
			}
		})
	}
	b.Run("hash/argon2id", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			HashPassword("s3cret-pass")
		}
	})
}

// TestCheckNewPassword: the one check of a new password (password change
// and reset) names the field to fix and every rule the password breaks.
func TestCheckNewPassword(t *testing.T) {
	cases := []struct {
		name, new1, new2 string
		field            string // "" when the password is accepted
		want             []string
	}{
		{"good", "second-Secret-9", "second-Secret-9", "", nil},
		{"missing", "", "", "new_password1", []string{"required"}},
		{"mismatch", "second-Secret-9", "other-Secret-9", "new_password2", []string{"didn't match"}},
		{"short and numeric", "12345", "12345", "new_password2", []string{"too short", "entirely numeric"}},
		{"common", "Password1", "Password1", "new_password2", []string{"too common"}},
		{"like the e-mail", "ada.lovelace-99", "ada.lovelace-99", "new_password2", []string{"too similar"}},
		{"too long", strings.Repeat("x", 129), strings.Repeat("x", 129), "new_password2", []string{"too long"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckNewPassword(c.new1, c.new2, "Ada.Lovelace@example.com")
			if c.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var fields apperror.Fields
			if !errors.As(err, &fields) || len(fields) != 1 || len(fields[c.field]) != len(c.want) {
				t.Fatalf("got %v, want %d messages on %s", err, len(c.want), c.field)
			}
			for i, msg := range fields[c.field] {
				if !strings.Contains(msg, c.want[i]) {
					t.Errorf("message %d: %q, want one saying %q", i, msg, c.want[i])
				}
			}
		})
	}
}
