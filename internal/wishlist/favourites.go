// Package wishlist owns a customer's favourite products and the stock
// alerts of customers and guests. Every object is reached through its
// owner: another customer's favourite or alert does not exist for you.
package wishlist

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/mail"
)

// Service reads and writes favourites and alerts.
type Service struct {
	db     *database.DB
	mailer *mail.Mailer
	now    func() time.Time
}

func NewService(db *database.DB, mailer *mail.Mailer) *Service {
	return &Service{db: db, mailer: mailer, now: time.Now}
}

// Item is a favourite or an alert: its pk, its product and the product's
// stock now (the catalog's read model may be older).
type Item struct {
	ID        int64
	ProductID int64
	Stock     int64
}

// Page is a slice of a customer's list.
type Page struct {
	Items []Item
	Total int
}

// Favourites lists a customer's favourites, newest first.
func (s *Service) Favourites(ctx context.Context, customerID int64, limit, offset int) (*Page, error) {
	return s.page(ctx, `FROM favourite_products f JOIN products p ON p.id = f.product_id WHERE f.customer_id = $1 AND p.active = TRUE`,
		customerID, limit, offset)
}

func (s *Service) page(ctx context.Context, from string, customerID int64, limit, offset int) (*Page, error) {
	page := &Page{}
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) "+from, customerID).Scan(&page.Total); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT f.id, f.product_id, p.stock "+from+" ORDER BY f.id DESC LIMIT $2 OFFSET $3",
		customerID, limit, offset)
	page.Items, err = database.Collect(rows, err, func(row database.Scanner) (Item, error) {
		var it Item
		err := row.Scan(&it.ID, &it.ProductID, &it.Stock)
		return it, err
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// AddFavourite adds a product to a customer's favourites. Adding one that
// is already there answers the existing favourite.
func (s *Service) AddFavourite(ctx context.Context, customerID, productID int64) (Item, error) {
	stock, err := s.activeProduct(ctx, productID)
	if err != nil {
		return Item{}, err
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO favourite_products (customer_id, product_id, created_at)
		VALUES ($1, $2, $3) ON CONFLICT (customer_id, product_id) DO NOTHING`, customerID, productID, s.now().UTC()); err != nil {
		return Item{}, err
	}
	it := Item{ProductID: productID, Stock: stock}
	err = s.db.QueryRowContext(ctx, "SELECT id FROM favourite_products WHERE customer_id = $1 AND product_id = $2",
		customerID, productID).Scan(&it.ID)
	return it, err
}

// RemoveFavourite deletes one of the customer's favourites.
func (s *Service) RemoveFavourite(ctx context.Context, customerID, id int64) error {
	return deleteOwned(ctx, s.db, "favourite_products", customerID, id)
}

func deleteOwned(ctx context.Context, q database.Querier, table string, customerID, id int64) error {
	res, err := q.ExecContext(ctx, "DELETE FROM "+table+" WHERE id = $1 AND customer_id = $2", id, customerID)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = apperror.ErrNotFound
	}
	return err
}

// activeProduct returns the stock of a product shoppers can see, or a
// field error naming the product.
func (s *Service) activeProduct(ctx context.Context, productID int64) (int64, error) {
	var stock int64
	err := s.db.QueryRowContext(ctx, "SELECT stock FROM products WHERE id = $1 AND active = TRUE", productID).Scan(&stock)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, apperror.Field("product", `Invalid pk "`+strconv.FormatInt(productID, 10)+`" - object does not exist.`)
	}
	return stock, err
}
