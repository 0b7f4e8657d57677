package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/vitrin/vitrin/internal/config"
	"github.com/vitrin/vitrin/internal/credential"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/mail"
	"github.com/vitrin/vitrin/internal/ratelimit"
	"github.com/vitrin/vitrin/internal/wishlist"
)

// startMail runs the outbox sender, the stock-alert sweep and the
// clean-up of expired links and rate counters until ctx ends.
func startMail(ctx context.Context, cfg *config.Config, db *database.DB) error {
	settings := mail.SettingsFrom(cfg)
	sender, err := mail.NewSender(db, settings)
	if err != nil {
		return err
	}
	if settings.SMTPURL == "" {
		slog.Info("no SMTP server configured (VITRIN_SMTP_URL): mails are written to the log")
	}
	go sender.Run(ctx)
	alerts := wishlist.NewService(db, mail.NewMailer(db, settings))
	go every(ctx, 30*time.Second, "stock alert sweep", func(ctx context.Context) error {
		_, err := alerts.Sweep(ctx)
		return err
	})
	go every(ctx, time.Hour, "purge expired links and rate counters", func(ctx context.Context) error {
		if err := credential.Purge(ctx, db); err != nil {
			return err
		}
		return ratelimit.Purge(ctx, db, 24*time.Hour)
	})
	return nil
}

// every runs fn now and then at each interval until ctx ends.
func every(ctx context.Context, interval time.Duration, what string, fn func(context.Context) error) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if err := fn(ctx); err != nil && ctx.Err() == nil {
			slog.Warn(what, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
