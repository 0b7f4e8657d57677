package apitoken

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/testdb"
)

// A token works until it is revoked; only its hash is stored; a name is
// taken once.
func TestCreateAuthenticateRevoke(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	secret, tok, err := Create(ctx, db, "erp", []string{Orders, Webhooks})
	if err != nil {
		t.Fatal(err)
	}
	var stored string
	if err := db.QueryRowContext(ctx, "SELECT token_hash FROM api_tokens WHERE id = $1", tok.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stored, secret) || stored != hash(secret) {
		t.Fatalf("stored %q for the secret %q: want its SHA-256 only", stored, secret)
	}
	got, err := Authenticate(ctx, db, secret)
	if err != nil || got.Name != "erp" || !got.Allows(Orders) || got.Allows(Catalog) {
		t.Fatalf("authenticate: %+v, %v", got, err)
	}
	for _, bad := range []string{"", secret + "x", secret[:len(secret)-1], "Bearer " + secret, strings.ToUpper(secret)} {
		if _, err := Authenticate(ctx, db, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("authenticate %q: %v, want ErrInvalid", bad, err)
		}
	}
	if _, _, err := Create(ctx, db, "erp", []string{Orders}); apperror.Status(err) != 400 {
		t.Fatalf("a second token named erp: %v, want a 400", err)
	}
	if err := Revoke(ctx, db, "erp"); err != nil {
		t.Fatal(err)
	}
	if _, err := Authenticate(ctx, db, secret); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a revoked token: %v, want ErrInvalid", err)
	}
	if err := Revoke(ctx, db, "nobody"); !errors.Is(err, apperror.ErrNotFound) {
		t.Fatalf("revoke an unknown token: %v", err)
	}
	list, err := List(ctx, db)
	if err != nil || len(list) != 1 || list[0].Revoked == nil {
		t.Fatalf("list: %+v, %v", list, err)
	}
}

func TestParseScopes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		ok   bool
	}{
		{"orders,catalog", []string{Orders, Catalog}, true},
		{" orders , orders ,webhooks", []string{Orders, Webhooks}, true},
		{"", nil, false},
		{"orders,admin", nil, false},
	} {
		got, err := ParseScopes(c.in)
		if (err == nil) != c.ok || !slices.Equal(got, c.want) {
			t.Errorf("ParseScopes(%q) = %v, %v", c.in, got, err)
		}
	}
}
