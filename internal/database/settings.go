package database

import (
	"context"
	"database/sql"
	"errors"
)

// Setting returns the store-wide value under key, creating it with make()
// the first time. Every node reads the same value, so a secret generated
// here is shared by all nodes of one store.
func (db *DB) Setting(ctx context.Context, key string, make func() string) (string, error) {
	var value string
	err := db.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = $1", key).Scan(&value)
	if err == nil {
		return value, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", key, make()); err != nil {
		return "", err
	}
	err = db.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = $1", key).Scan(&value)
	return value, err
}
