package database

import (
	"context"
	"fmt"
)

// Pending lists the migrations this binary carries that the database has
// not applied, oldest first: empty when the schema is up to date.
func (db *DB) Pending(ctx context.Context) ([]string, error) {
	list, err := db.migrations()
	if err != nil {
		return nil, err
	}
	exists := "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
	if db.Engine == Postgres {
		exists = "SELECT COUNT(*) FROM (SELECT to_regclass('schema_migrations') AS t) r WHERE t IS NOT NULL"
	}
	var tables int
	if err := db.QueryRowContext(ctx, exists).Scan(&tables); err != nil {
		return nil, fmt.Errorf("read the schema: %w", err)
	}
	applied := map[int]bool{}
	if tables > 0 {
		rows, err := db.QueryContext(ctx, "SELECT version FROM schema_migrations")
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				return nil, err
			}
			applied[v] = true
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	var pending []string
	for _, m := range list {
		if !applied[m.version] {
			pending = append(pending, m.name)
		}
	}
	return pending, nil
}
