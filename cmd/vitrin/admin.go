package main

import (
	"context"
	"database/sql"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/vitrin/vitrin/internal/admin"
	"github.com/vitrin/vitrin/internal/config"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/mail"
	"github.com/vitrin/vitrin/internal/order"
	"github.com/vitrin/vitrin/internal/webhook"
	"github.com/vitrin/vitrin/internal/wishlist"
)

// startAdmin runs the webhook sender and, when --admin-addr is set, serves
// the management API there. It returns what shuts the server down,
// finishing its requests in flight.
func startAdmin(ctx context.Context, cfg *config.Config, db *database.DB, refunder *order.Refunder) (shutdown func(context.Context) error, err error) {
	go webhook.NewSender(db).Run(ctx)
	if cfg.AdminAddr == "" {
		return func(context.Context) error { return nil }, nil
	}
	mailer := mail.NewMailer(db, mail.SettingsFrom(cfg))
	alerts := wishlist.NewService(db, mailer)
	restocked := func(ctx context.Context, tx *sql.Tx, productIDs []int64) error {
		_, err := alerts.FireRestocked(ctx, tx, productIDs)
		return err
	}
	srv := &http.Server{
		Handler:           admin.New(db, order.NewLifecycle(db, mailer, refunder, restocked)),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	ln, err := net.Listen("tcp", cfg.AdminAddr)
	if err != nil {
		return nil, err
	}
	go func() {
		if err := srv.Serve(ln); err != http.ErrServerClosed {
			slog.Error("management API stopped", "err", err)
		}
	}()
	slog.Info("management API listening", "addr", cfg.AdminAddr)
	return srv.Shutdown, nil
}
