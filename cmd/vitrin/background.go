package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/vitrin/vitrin/internal/account"
	"github.com/vitrin/vitrin/internal/app"
	"github.com/vitrin/vitrin/internal/basket"
	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/checkout"
	"github.com/vitrin/vitrin/internal/config"
	"github.com/vitrin/vitrin/internal/credential"
	"github.com/vitrin/vitrin/internal/ratelimit"
)

// startBackground runs the store's background work until ctx ends: the
// outbox sender, the refund retries, the stock-alert sweep and the
// clean-ups.
func startBackground(ctx context.Context, cfg *config.Config, svc *app.Services) {
	db := svc.DB
	// Build the catalog's read model now, so the first shopper does not
	// wait for it (seconds for a large catalog).
	go func() {
		if _, err := svc.Catalog.Current(ctx); err != nil && ctx.Err() == nil {
			slog.Warn("catalog: building the read model at start", "err", err)
		}
		svc.Catalog.Refresh(ctx, catalog.RefreshPeriod)
	}()
	if cfg.SMTPURL == "" {
		slog.Info("no SMTP server configured (VITRIN_SMTP_URL): mails are written to the log")
	}
	go svc.Sender.Run(ctx)
	// The request that cancels an order sends its refund at once; this
	// retries the ones that failed or whose node died before sending.
	go svc.Refunder.Run(ctx)
	// A card payment whose shopper never came back (or whose node died
	// while the bank answered) is settled or released here, never in a
	// shopper's request.
	go every(ctx, time.Minute, "settle or release card payments left pending", svc.Checkout.ReleaseStale)
	go every(ctx, 30*time.Second, "stock alert sweep", func(ctx context.Context) error {
		_, err := svc.Wishlist.Sweep(ctx)
		return err
	})
	go every(ctx, time.Hour, "purge expired sessions and login failures", func(ctx context.Context) error {
		n, err := svc.Sessions.Purge(ctx)
		if n > 0 {
			slog.Info("expired sessions purged", "count", n)
		}
		if err != nil {
			return err
		}
		return account.NewThrottle(db).Purge(ctx)
	})
	go every(ctx, time.Hour, "purge abandoned guest baskets and checkouts", func(ctx context.Context) error {
		if _, err := basket.PurgeAbandoned(ctx, db); err != nil {
			return err
		}
		// A checkout untouched for as long as a session lives is abandoned.
		_, err := checkout.PurgeAbandoned(ctx, db, cfg.SessionLifetime)
		return err
	})
	go every(ctx, time.Hour, "purge expired links and rate counters", func(ctx context.Context) error {
		if err := credential.Purge(ctx, db); err != nil {
			return err
		}
		return ratelimit.Purge(ctx, db, 24*time.Hour)
	})
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
