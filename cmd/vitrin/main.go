// Command vitrin is the storefront commerce API server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/vitrin/vitrin/internal/api"
	"github.com/vitrin/vitrin/internal/app"
	"github.com/vitrin/vitrin/internal/config"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/demo"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `Usage: vitrin <command> [flags]

Commands:
  serve     run the API server (migrates the database first)
  migrate   apply database migrations and exit
  import    load a store from an import file (FILE, or - for standard input)
  demo      write a demo store import file to standard output (--products N)
  check     validate the configuration, the database connection and the schema, and exit
  backup    write a consistent copy of the live database to FILE
  token     create, list or revoke tokens of the management API
  version   print the version and the commit it was built from

Run "vitrin <command> -h" for the flags of a command.
`

func main() {
	err := run(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return // the flag package has printed the usage
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vitrin:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errors.New("no command given")
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "version":
		fmt.Println(versionText(debug.ReadBuildInfo()))
		return nil
	case "check", "backup", "token":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		switch cmd {
		case "check":
			return runCheck(ctx, args)
		case "token":
			return runToken(ctx, args, os.Stdout)
		}
		return runBackup(ctx, args)
	case "import", "demo":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if cmd == "demo" {
			return runDemo(args)
		}
		return runImport(ctx, args)
	case "serve", "migrate":
	case "-h", "--help", "help":
		fmt.Print(usage)
		return nil
	default:
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
	cfg, err := config.Parse("vitrin "+cmd, args, os.Getenv)
	if err != nil {
		return err
	}
	setupLogging(cfg)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := database.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	if cmd == "migrate" {
		slog.Info("database is up to date", "engine", db.Engine)
		return nil
	}
	if cfg.Demo {
		if loaded, err := demo.LoadIfEmpty(ctx, db, demo.DefaultProducts); err != nil {
			return fmt.Errorf("load the demo store: %w", err)
		} else if loaded {
			slog.Info("demo store loaded", "products", demo.DefaultProducts, "login", "demo@vitrin.dev / "+demo.Password)
		}
	}
	return serve(ctx, cfg, db)
}

func serve(ctx context.Context, cfg *config.Config, db *database.DB) error {
	svc, err := app.New(ctx, cfg, db)
	if err != nil {
		return err
	}
	handler := api.New(cfg, svc)
	startBackground(ctx, cfg, svc)
	shutdownAdmin, err := startAdmin(ctx, cfg, svc)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	slog.Info("vitrin listening", "addr", cfg.Addr, "engine", db.Engine, "version", version)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down: finishing in-flight requests", "timeout", cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	adminDone := make(chan error, 1)
	go func() { adminDone <- shutdownAdmin(shutdownCtx) }()
	return errors.Join(srv.Shutdown(shutdownCtx), <-adminDone)
}

func setupLogging(cfg *config.Config) {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel)) // config.Parse accepts only valid levels
	opts := &slog.HandlerOptions{Level: level}
	format := cfg.LogFormat
	if format == "auto" {
		format = "json"
		if isatty.IsTerminal(os.Stderr.Fd()) {
			format = "text"
		}
	}
	var h slog.Handler = slog.NewJSONHandler(os.Stderr, opts)
	if format == "text" {
		h = slog.NewTextHandler(os.Stderr, opts)
	}
	slog.SetDefault(slog.New(h))
}
