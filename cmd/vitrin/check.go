package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/vitrin/vitrin/internal/config"
	"github.com/vitrin/vitrin/internal/database"
)

// runCheck is `vitrin check`: it validates what serve would start with
// (the configuration, the database connection, an up-to-date schema) and
// exits, 0 when all is well. Deploy scripts run it before moving traffic
// to a new release.
func runCheck(ctx context.Context, args []string) error {
	cfg, err := config.Parse("vitrin check", args, os.Getenv)
	if err != nil {
		return err
	}
	fmt.Println("configuration: ok")
	db, err := database.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer db.Close()
	fmt.Printf("database: %s, reachable\n", db.Engine)
	pending, err := db.Pending(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if len(pending) > 0 {
		return fmt.Errorf("migrations: %d not applied (%s): run vitrin migrate, or start serve, which migrates first",
			len(pending), strings.Join(pending, ", "))
	}
	fmt.Println("migrations: up to date")
	return nil
}
