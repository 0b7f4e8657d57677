package main

import (
	"context"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
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
		// The limit follows the live heap from here on, never before: a
		// limit taken from the heap at start would starve the first build.
		limitMemory(true)
		go every(ctx, time.Minute, "follow the memory limit", func(context.Context) error {
			limitMemory(false)
			return nil
		})
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

// limitMemory sets the runtime's soft memory limit to one and a half times
// the live heap plus 256 MiB for requests, unless the operator set one
// (GOMEMLIMIT). Without a limit Go lets the heap grow to twice its peak
// live size, and a catalog build or a burst of changes under load peaks far
// above what the node keeps: a million-product node reached 1.9 GB RSS
// rebuilding its model without a limit, and 1.67 GB under load and changes
// with twice the live heap as its limit; with 512 MiB above one and a half
// times it, 1.49 GB. The price is more collections under load (README:
// Memory), which an operator with memory to spare lifts with GOMEMLIMIT.
func limitMemory(force bool) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	if force {
		runtime.GC()
	}
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	limit := int64(live[0].Value.Uint64()*3/2 + 256<<20)
	if previous := debug.SetMemoryLimit(limit); previous != limit {
		slog.Debug("memory limit", "bytes", limit, "live_heap", live[0].Value.Uint64())
	}
}
