package wishlist

import (
	"context"
	"database/sql"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/account"
	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/mail"
	"github.com/vitrin/vitrin/internal/ratelimit"
)

// guestAlertsPerClient bounds how many addresses one client can have
// mailed through guest alerts.
var guestAlertsPerClient = ratelimit.Limit{Max: 30, Window: time.Hour}

// AlertRequest asks to be told when a product is back in stock.
type AlertRequest struct {
	CustomerID int64  // 0 for a guest
	Email      string // a guest's address; a customer's own address is used
	ProductID  int64
	Language   string
	ClientAddr string
}

// Alerts lists a customer's open stock alerts, newest first.
func (s *Service) Alerts(ctx context.Context, customerID int64, limit, offset int) (*Page, error) {
	return s.page(ctx, `FROM product_alerts f JOIN products p ON p.id = f.product_id
		WHERE f.customer_id = $1 AND f.notified_at IS NULL AND p.active = TRUE`, customerID, limit, offset)
}

// AddAlert opens a stock alert; asking twice for the same product answers
// the alert already open.
func (s *Service) AddAlert(ctx context.Context, req AlertRequest) (Item, error) {
	email, language := req.Email, req.Language
	if req.CustomerID != 0 {
		var customerLanguage string
		if err := s.db.QueryRowContext(ctx, "SELECT email, language FROM customers WHERE id = $1", req.CustomerID).
			Scan(&email, &customerLanguage); err != nil {
			return Item{}, err
		}
		if customerLanguage != "" {
			language = customerLanguage
		}
	} else {
		normalized, err := account.NormalizeEmail(email)
		if err != nil {
			return Item{}, apperror.Field("email", err.Error())
		}
		email = normalized
	}
	stock, err := s.activeProduct(ctx, req.ProductID)
	if err != nil {
		return Item{}, err
	}
	if stock > 0 {
		return Item{}, apperror.Field("product", "This product is in stock.")
	}
	if req.CustomerID == 0 {
		if err := ratelimit.Hit(ctx, s.db, "alert-client:"+req.ClientAddr, guestAlertsPerClient); err != nil {
			return Item{}, err
		}
	}
	var owner any // NULL for a guest
	openAlert := "customer_id IS NULL AND email_lower = $2"
	if req.CustomerID != 0 {
		owner, openAlert = req.CustomerID, "customer_id = $2"
	}
	// The partial unique indexes make a second open alert a no-op.
	if _, err := s.db.ExecContext(ctx, `INSERT INTO product_alerts (customer_id, email, email_lower, language, product_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		owner, email, strings.ToLower(email), language, req.ProductID, s.now().UTC()); err != nil {
		return Item{}, err
	}
	var ownerKey any = strings.ToLower(email)
	if req.CustomerID != 0 {
		ownerKey = req.CustomerID
	}
	it := Item{ProductID: req.ProductID, Stock: stock}
	err = s.db.QueryRowContext(ctx, "SELECT id FROM product_alerts WHERE product_id = $1 AND "+openAlert+" AND notified_at IS NULL",
		req.ProductID, ownerKey).Scan(&it.ID)
	return it, err
}

// RemoveAlert deletes one of the customer's alerts.
func (s *Service) RemoveAlert(ctx context.Context, customerID, id int64) error {
	return deleteOwned(ctx, s.db, "product_alerts", customerID, id)
}

// fireBatch bounds the alerts one statement closes.
const fireBatch = 500

// FireRestocked closes the open alerts of products whose stock just went
// from zero to positive and queues their mails, in tx: the transaction
// that brought the stock back (an import, a cancelled order), so the mails
// exist exactly when the stock does.
func (s *Service) FireRestocked(ctx context.Context, tx *sql.Tx, productIDs []int64) (int, error) {
	total := 0
	for len(productIDs) > 0 {
		chunk := productIDs[:min(len(productIDs), fireBatch)]
		productIDs = productIDs[len(chunk):]
		args := make([]any, len(chunk))
		marks := make([]string, len(chunk))
		for i, id := range chunk {
			args[i] = id
			marks[i] = "$" + strconv.Itoa(i+2)
		}
		for {
			n, err := s.fire(ctx, tx, "a.product_id IN ("+strings.Join(marks, ", ")+")", args...)
			total += n
			if err != nil {
				return total, err
			}
			if n < fireBatch {
				break
			}
		}
	}
	return total, nil
}

// Sweep mails every open alert whose product is in stock, whatever
// brought the stock back without telling the alerts (an import whose
// process died mid-way). Nodes may sweep at the same time: each alert is
// claimed once.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	total := 0
	for {
		var n int
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			var err error
			n, err = s.fire(ctx, tx, "TRUE")
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < fireBatch {
			if total > 0 {
				slog.Info("stock alerts of products back in stock mailed by the sweep", "count", total)
			}
			return total, nil
		}
	}
}

// fire closes up to fireBatch open alerts of in-stock products matching
// filter and queues their mails in tx. The UPDATE … WHERE notified_at IS
// NULL claims each alert for exactly one caller (a concurrent claimer on
// PostgreSQL waits for the row and then finds it closed), and the mail is
// written with the closing.
func (s *Service) fire(ctx context.Context, tx *sql.Tx, filter string, filterArgs ...any) (int, error) {
	type fired struct {
		id, customerID, productID int64
		email, language           string
	}
	args := append([]any{s.now().UTC()}, filterArgs...)
	rows, err := tx.QueryContext(ctx, `UPDATE product_alerts SET notified_at = $1
		WHERE notified_at IS NULL AND id IN (
			SELECT a.id FROM product_alerts a JOIN products p ON p.id = a.product_id
			WHERE a.notified_at IS NULL AND p.stock > 0 AND p.active = TRUE AND `+filter+`
			ORDER BY a.id LIMIT `+strconv.Itoa(fireBatch)+`)
		RETURNING id, COALESCE(customer_id, 0), product_id, email, language`, args...)
	list, err := database.Collect(rows, err, func(row database.Scanner) (fired, error) {
		var f fired
		err := row.Scan(&f.id, &f.customerID, &f.productID, &f.email, &f.language)
		return f, err
	})
	if err != nil {
		return 0, err
	}
	for _, f := range list {
		if f.customerID != 0 {
			// A customer is mailed at the address they have now.
			var lang string
			if err := tx.QueryRowContext(ctx, "SELECT email, language FROM customers WHERE id = $1", f.customerID).
				Scan(&f.email, &lang); err != nil {
				return 0, err
			}
			if lang != "" {
				f.language = lang
			}
		}
		name, slug, err := catalog.ProductLabel(ctx, tx, f.productID, f.language)
		if err != nil {
			return 0, err
		}
		if err := s.mailer.Queue(ctx, tx, mail.Letter{
			Template: "stock_alert", Language: f.language, To: f.email,
			Data: map[string]any{"Product": name, "Link": s.mailer.Link("/" + slug + "/")},
		}); err != nil {
			return 0, err
		}
	}
	return len(list), nil
}
