package storeimport

import (
	"context"
	"database/sql"
	"log/slog"
	"os"

	"github.com/vitrin/vitrin/internal/config"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/mail"
	"github.com/vitrin/vitrin/internal/wishlist"
)

func init() { OnRestock(mailStockAlerts) }

// mailStockAlerts closes the open stock alerts of the products an import
// brought back in stock and queues their mails in the import's
// transaction. The import may run in its own process, so mail settings
// come from the environment.
func mailStockAlerts(ctx context.Context, db *database.DB, tx *sql.Tx, productIDs []int64) error {
	cfg, err := config.Parse("vitrin", nil, os.Getenv)
	if err != nil {
		return err
	}
	alerts := wishlist.NewService(db, mail.NewMailer(db, mail.SettingsFrom(cfg)))
	n, err := alerts.FireRestocked(ctx, tx, productIDs)
	if n > 0 && err == nil {
		slog.Info("stock alerts closed by the import, mails queued", "count", n)
	}
	return err
}
