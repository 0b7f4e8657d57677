package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/vitrin/vitrin/internal/config"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/demo"
	"github.com/vitrin/vitrin/internal/mail"
	"github.com/vitrin/vitrin/internal/storeimport"
	"github.com/vitrin/vitrin/internal/wishlist"
)

// parseFlags parses flags wherever they stand among the positional
// arguments ("vitrin import store.json --database …" works too).
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// databaseFlag adds --database with $VITRIN_DATABASE_URL as its default.
func databaseFlag(fs *flag.FlagSet) *string {
	for _, o := range config.Options {
		if o.Flag == "database" {
			def := o.Default
			if v := os.Getenv(o.Env); v != "" {
				def = v
			}
			return fs.String(o.Flag, def, o.Usage+" ($"+o.Env+")")
		}
	}
	panic("config has no database option")
}

// runImport is `vitrin import FILE|-`.
func runImport(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("vitrin import", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: vitrin import [--database URL] FILE   (FILE - reads standard input)")
		fs.PrintDefaults()
	}
	dbURL := databaseFlag(fs)
	files, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		fs.Usage()
		return errors.New("import needs exactly one FILE (or - for standard input)")
	}
	var in io.Reader = os.Stdin
	var size int64
	if files[0] != "-" {
		f, err := os.Open(files[0])
		if err != nil {
			return err
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
		in = f
	}
	db, err := database.Open(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	// Mail settings come from the environment, as for serve: stock alerts
	// of products the import brings back are queued in its transaction.
	cfg, err := config.Parse("vitrin import", nil, os.Getenv)
	if err != nil {
		return err
	}
	alerts := wishlist.NewService(db, mail.NewMailer(db, mail.SettingsFrom(cfg)))
	opts := storeimport.Options{Restocked: func(ctx context.Context, tx *sql.Tx, productIDs []int64) error {
		n, err := alerts.FireRestocked(ctx, tx, productIDs)
		if n > 0 && err == nil {
			slog.Info("stock alerts closed by the import, mails queued", "count", n)
		}
		return err
	}}
	started := time.Now()
	tty := isatty.IsTerminal(os.Stderr.Fd())
	if tty {
		opts.Progress = progressBar(size, started)
	}
	summary, err := storeimport.Run(ctx, db, bufio.NewReaderSize(in, 1<<20), opts)
	if tty {
		fmt.Fprintln(os.Stderr)
	}
	var problems storeimport.Errors
	if errors.As(err, &problems) {
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, p.Error())
		}
		return fmt.Errorf("import rejected with %d errors; nothing was written", len(problems))
	}
	if err != nil {
		return err
	}
	printSummary(os.Stdout, summary, time.Since(started))
	return nil
}

// progressBar redraws one status line on the terminal, at most ten times a second.
func progressBar(size int64, started time.Time) func(storeimport.Progress) {
	var last time.Time
	return func(p storeimport.Progress) {
		if time.Since(last) < 100*time.Millisecond {
			return
		}
		last = time.Now()
		mb := float64(p.BytesRead) / (1 << 20)
		line := fmt.Sprintf("%.1f MB  %d records  %s  %s", mb, p.Records, p.Section, time.Since(started).Round(time.Second))
		if size > 0 {
			frac := min(float64(p.BytesRead)/float64(size), 1)
			const width = 30
			done := int(frac * width)
			line = fmt.Sprintf("[%s%s] %3.0f%%  %s", strings.Repeat("#", done), strings.Repeat(".", width-done), frac*100, line)
		}
		fmt.Fprintf(os.Stderr, "\r%-100s", line)
	}
}

func printSummary(w io.Writer, s *storeimport.Summary, took time.Duration) {
	const row = "%-22s %9v %9v %9v %9v\n"
	fmt.Fprintf(w, row, "section", "created", "updated", "unchanged", "removed")
	for _, sec := range s.Sections {
		fmt.Fprintf(w, row, sec.Name, sec.Created, sec.Updated, sec.Unchanged, sec.Removed)
	}
	if s.Changed() {
		fmt.Fprintf(w, "imported in %s; catalog version %d\n", took.Round(time.Millisecond), s.CatalogVersion)
	} else {
		fmt.Fprintf(w, "no changes (%s)\n", took.Round(time.Millisecond))
	}
}

// runDemo is `vitrin demo --products N`: a demo store on standard output.
func runDemo(args []string) error {
	fs := flag.NewFlagSet("vitrin demo", flag.ContinueOnError)
	products := fs.Int("products", demo.DefaultProducts, "number of products (variants) to generate")
	seed := fs.Int64("seed", 1, "random seed: the same seed writes the same store")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *products < 0 {
		return errors.New("--products must not be negative")
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	if err := demo.Write(w, demo.Options{Products: *products, Seed: *seed}); err != nil {
		return err
	}
	return w.Flush()
}
