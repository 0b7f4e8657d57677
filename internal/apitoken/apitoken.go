// Package apitoken keeps the bearer tokens of the management API. A token
// is shown once, when it is made; only its SHA-256 is stored, so a leaked
// table opens nothing. Each token carries scopes that say which parts of
// the API it may use, and is revoked, never deleted, so the log of its
// uses keeps a name to point at.
package apitoken

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/token"
)

// Scopes a token may carry.
const (
	Orders    = "orders"
	Catalog   = "catalog"
	Customers = "customers"
	Webhooks  = "webhooks"
)

// AllScopes lists every scope, in the order `vitrin token list` shows them.
var AllScopes = []string{Orders, Catalog, Customers, Webhooks}

// prefix marks a Vitrin management token, so a secret scanner or a person
// reading a config file knows what it is.
const prefix = "vtk_"

// Token is a stored token, without its secret.
type Token struct {
	ID      int64
	Name    string
	Scopes  []string
	Created time.Time
	Revoked *time.Time
}

// Allows reports whether the token carries scope.
func (t *Token) Allows(scope string) bool { return slices.Contains(t.Scopes, scope) }

// ErrInvalid answers a missing, forged or revoked token; the three are not
// told apart, so a caller learns nothing about which tokens exist.
var ErrInvalid = &apperror.Problem{Status: http.StatusUnauthorized, Detail: "Invalid or missing token.", Code: "invalid_token"}

// ParseScopes reads a comma-separated scope list.
func ParseScopes(list string) ([]string, error) {
	var scopes []string
	for s := range strings.SplitSeq(list, ",") {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
		case !slices.Contains(AllScopes, s):
			return nil, apperror.Field("scope", "Unknown scope "+s+"; the scopes are "+strings.Join(AllScopes, ", ")+".")
		case !slices.Contains(scopes, s):
			scopes = append(scopes, s)
		}
	}
	if len(scopes) == 0 {
		return nil, apperror.Field("scope", "A token needs at least one scope.")
	}
	return scopes, nil
}

// Create stores a new token and returns its secret, which is not kept.
func Create(ctx context.Context, db *database.DB, name string, scopes []string) (string, *Token, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", nil, apperror.Field("name", "A token needs a name.")
	}
	if len(scopes) == 0 {
		return "", nil, apperror.Field("scope", "A token needs at least one scope.")
	}
	secret := prefix + token.New(40)
	t := &Token{Name: name, Scopes: scopes, Created: time.Now().UTC()}
	err := db.QueryRowContext(ctx, "INSERT INTO api_tokens (name, token_hash, scopes, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
		t.Name, hash(secret), strings.Join(scopes, ","), t.Created).Scan(&t.ID)
	if database.IsUniqueViolation(err) {
		return "", nil, apperror.Field("name", "A token named "+name+" exists already.")
	}
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

func hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

const selectToken = "SELECT id, name, token_hash, scopes, created_at, revoked_at FROM api_tokens "

func scan(row interface{ Scan(...any) error }) (*Token, string, error) {
	var t Token
	var stored, scopes string
	var revoked sql.NullTime
	if err := row.Scan(&t.ID, &t.Name, &stored, &scopes, &t.Created, &revoked); err != nil {
		return nil, "", err
	}
	t.Scopes = strings.Split(scopes, ",")
	if revoked.Valid {
		t.Revoked = &revoked.Time
	}
	return &t, stored, nil
}

// Authenticate returns the live token whose secret this is.
func Authenticate(ctx context.Context, q database.Querier, secret string) (*Token, error) {
	if !strings.HasPrefix(secret, prefix) {
		return nil, ErrInvalid
	}
	want := hash(secret)
	t, stored, err := scan(q.QueryRowContext(ctx, selectToken+"WHERE token_hash = $1", want))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrInvalid
	}
	if err != nil {
		return nil, err
	}
	// The lookup by hash already found it; the constant-time comparison
	// keeps the answer's timing free of the stored value should the
	// database's comparison ever be made looser (a collation, a prefix).
	if subtle.ConstantTimeCompare([]byte(stored), []byte(want)) != 1 || t.Revoked != nil {
		return nil, ErrInvalid
	}
	return t, nil
}

// List returns every token, revoked ones included, oldest first.
func List(ctx context.Context, q database.Querier) ([]*Token, error) {
	rows, err := q.QueryContext(ctx, selectToken+"ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []*Token
	for rows.Next() {
		t, _, err := scan(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, t)
	}
	return list, rows.Err()
}

// Revoke ends the token of that name at once; revoking twice is no error.
func Revoke(ctx context.Context, q database.Querier, name string) error {
	res, err := q.ExecContext(ctx, "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE name = $2", time.Now().UTC(), name)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = apperror.ErrNotFound
	}
	return err
}
