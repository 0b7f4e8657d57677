package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"

	"github.com/vitrin/vitrin/internal/database"
)

// runBackup is `vitrin backup FILE`: a consistent copy of the live
// database, taken while the store keeps serving. SQLite writes a compact
// database file (VACUUM INTO, one read transaction); PostgreSQL runs
// pg_dump in its custom format, for pg_restore. The README says how to
// restore each.
func runBackup(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("vitrin backup", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: vitrin backup [--database URL] FILE")
		fs.PrintDefaults()
	}
	dbURL := databaseFlag(fs)
	files, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		fs.Usage()
		return errors.New("backup: name one FILE to write")
	}
	file := files[0]
	if _, err := os.Stat(file); err == nil {
		return fmt.Errorf("backup: %s exists; a backup never overwrites a file", file)
	}
	db, err := database.Open(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if db.Engine == database.SQLite {
		if _, err := db.ExecContext(ctx, "VACUUM INTO $1", file); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	} else if err := pgDump(ctx, *dbURL, file); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "backup written to", file)
	return nil
}

// pgDump runs pg_dump on the URL. A search_path parameter (which pgx
// understands and libpq does not) becomes pg_dump's --schema.
func pgDump(ctx context.Context, rawURL, file string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	args := []string{"--format=custom", "--no-owner", "--file=" + file}
	q := u.Query()
	if schema := q.Get("search_path"); schema != "" {
		args = append(args, "--schema="+schema)
		q.Del("search_path")
		u.RawQuery = q.Encode()
	}
	cmd := exec.CommandContext(ctx, "pg_dump", append(args, "--dbname="+u.String())...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		os.Remove(file) // a partial dump must not pass for a backup
		return fmt.Errorf("backup: pg_dump: %w", err)
	}
	return nil
}
