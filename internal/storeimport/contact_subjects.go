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

func init() {
	Register("contact_subjects", loadContactSubjects)
	OnRestock(mailStockAlerts)
}

// loadContactSubjects upserts the contact form's subjects by code. Messages
// point at subjects, so a replace import deactivates the rest.
func loadContactSubjects(ctx context.Context, imp *Import) error {
	var keep idSet
	replace, err := imp.Items(func(r *Record) error {
		code := code(r, "code")
		text := r.String("text")
		orderNeeded := r.Bool("is_order_needed", false)
		sortOrder := r.Int("sort_order", 0, 0, 1<<31-1)
		translations := r.Translations()
		if !r.Done() || !imp.Ok() {
			return nil
		}
		id, _, err := imp.upsert(row{table: "contact_subjects", keyCols: []string{"code"}, keyVals: []any{code},
			hash: r.Hash(), cols: []string{"text", "is_order_needed", "sort_order", "translations"},
			vals: []any{text, orderNeeded, sortOrder, translations}, activeCol: "active"})
		if keep.has(id) {
			r.Fail("code", "given twice")
		}
		keep.add(id)
		return err
	})
	if err != nil || !replace || !imp.Ok() {
		return err
	}
	return imp.removeRest("contact_subjects", &keep, "active")
}

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
