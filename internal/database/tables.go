package database

import "context"

// TableExists reports whether the schema in use has a table of that name.
// Domains that optionally touch another domain's table (anonymisation
// rewriting orders, for one) ask before they write.
func (db *DB) TableExists(ctx context.Context, name string) (bool, error) {
	query := "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1"
	if db.Engine == Postgres {
		query = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
	}
	var n int
	err := db.QueryRowContext(ctx, query, name).Scan(&n)
	return n > 0, err
}
