package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/vitrin/vitrin/internal/admin"
	"github.com/vitrin/vitrin/internal/app"
	"github.com/vitrin/vitrin/internal/config"
)

// startAdmin runs the webhook sender and, when --admin-addr is set, serves
// the management API there. It returns what shuts the server down,
// finishing its requests in flight.
func startAdmin(ctx context.Context, cfg *config.Config, svc *app.Services) (shutdown func(context.Context) error, err error) {
	go svc.Webhooks.Run(ctx)
	if cfg.AdminAddr == "" {
		return func(context.Context) error { return nil }, nil
	}
	srv := &http.Server{
		Handler:           admin.New(svc.DB, svc.Lifecycle, svc.Inventory),
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
