// Package basket keeps shoppers' baskets: a guest's (found through the
// session) and a customer's (one per customer, the same on every device).
//
// Every change runs in one transaction that first locks the basket's row
// (the statement that claims or creates it stamps its modification time;
// SQLite transactions hold the write lock from their first statement
// anyway), so two tabs changing one basket at once never lose an update,
// and a line never holds more than the stock had at that moment (checked
// in the same upsert that adds). Prices and discounts come from package
// promotion, the same computation checkout and orders use.
package basket

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/money"
	"github.com/vitrin/vitrin/internal/promotion"
	"github.com/vitrin/vitrin/internal/session"
)

// Why a line cannot be bought now. It stays in the basket, shown as such.
const (
	Inactive          = "inactive"           // the product was withdrawn
	Unpriced          = "unpriced"           // no price in the basket's currency
	OutOfStock        = "out_of_stock"       // none left
	InsufficientStock = "insufficient_stock" // fewer left than the line holds
)

// Line is one product in a basket, priced in the basket's currency.
type Line struct {
	ID          int64
	ProductID   int64
	Quantity    int64
	Attributes  json.RawMessage
	Stock       int64 // the product's stock now
	UnitPrice   money.Amount
	RetailPrice money.Amount
	TaxRate     string
	// AddedPrice is the unit price when the shopper last chose the line,
	// in AddedCurrency. PriceChanged is set when the price in that
	// currency is not what it was: the line is charged at UnitPrice, and
	// shown with both.
	AddedPrice    money.Amount
	AddedCurrency string
	PriceChanged  bool
	Problem       string // "" when the line can be bought; else one of the constants above
	Discount      money.Amount
	Total         money.Amount // UnitPrice × Quantity − Discount
	Badges        []promotion.Applied
	Created       time.Time
}

// Available reports whether the line counts in the totals and can be ordered.
func (l *Line) Available() bool { return l.Problem == "" }

// Basket is a priced basket. Totals and discounts cover the available
// lines only.
type Basket struct {
	ID          int64 // 0 while nothing was ever stored
	CustomerID  int64
	Currency    string
	VoucherCode string
	Created     time.Time
	Modified    time.Time
	Lines       []Line
	Pricing     promotion.Result
	// TotalQuantity counts the units of the available lines.
	TotalQuantity int64
	// VoucherProblem says why VoucherCode gives no discount now (expired,
	// minimum no longer reached, ...); nil when it applies or none is set.
	VoucherProblem error
}

// HasUnavailable reports whether some line cannot be bought as it is.
func (b *Basket) HasUnavailable() bool {
	for i := range b.Lines {
		if !b.Lines[i].Available() {
			return true
		}
	}
	return false
}

// Service reads and changes baskets.
type Service struct {
	db       *database.DB
	stmts    *database.StmtCache
	sessions *session.Store
	promos   *promotion.Service
}

// New returns the basket service.
func New(db *database.DB, sessions *session.Store, promos *promotion.Service) *Service {
	return &Service{db: db, stmts: database.NewStmtCache(db), sessions: sessions, promos: promos}
}

// Promotions is the promotion service the baskets are priced with.
func (s *Service) Promotions() *promotion.Service { return s.promos }

// header is a basket row.
type header struct {
	id         int64
	customerID int64
	voucher    string
	created    time.Time
	modified   time.Time
}

// owner selects one basket row: cond is a condition on baskets whose
// argument is $1, key the unique column a new basket is created under.
type owner struct {
	cond string
	arg  any
	key  string
}

// ownerOf is the owner of the session's basket: a customer's, or the
// guest basket this session created (a guest's basket is keyed by its
// session id; login carries it over, see MergeOnLogin).
func ownerOf(sess *session.Session) owner {
	if sess.IsCustomer() {
		return owner{"customer_id = $1", sess.CustomerID, "customer_id"}
	}
	return guestKeyed(sess.ID)
}

// guestKeyed is the guest basket that session sessionID created.
func guestKeyed(sessionID string) owner {
	return owner{"guest_key = $1 AND customer_id IS NULL", sessionID, "guest_key"}
}

// id is a subquery of o's basket id, for a statement that runs after the
// basket was claimed in the same transaction.
func (o owner) id() string { return "(SELECT id FROM baskets WHERE " + o.cond + ")" }

// findQuery reads o's basket row.
func findQuery(o owner) string { return "SELECT " + headerColumns + " FROM baskets WHERE " + o.cond }

// claim locks the session's basket row for a change and stamps its
// modification time in one statement (an UPDATE takes the row lock on
// both engines); nil when the session has no basket yet.
func (s *Service) claim(ctx context.Context, tx *sql.Tx, sess *session.Session) (*header, error) {
	o := ownerOf(sess)
	return scanHeader(s.stmts.QueryRowContext(ctx, tx, claimQuery(o), o.arg, time.Now().UTC()))
}

func claimQuery(o owner) string {
	return `UPDATE baskets SET updated_at = $2 WHERE ` + o.cond + `
		RETURNING ` + headerColumns
}

// headerColumns are the columns scanHeader reads.
const headerColumns = "id, COALESCE(customer_id, 0), voucher_code, created_at, updated_at"

// scanHeader reads a basket row; nil when there is none.
func scanHeader(row *sql.Row) (*header, error) {
	h := &header{}
	err := h.scan(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return h, err
}

func (h *header) scan(row database.Scanner) error {
	return row.Scan(&h.id, &h.customerID, &h.voucher, &h.created, &h.modified)
}

// claimOrCreate is claim, creating the basket first when there is none:
// an upsert on the owner's unique key that also claims the row, so two
// requests creating one basket at once end with the same row.
func (s *Service) claimOrCreate(ctx context.Context, tx *sql.Tx, sess *session.Session) (*header, error) {
	o := ownerOf(sess)
	h, err := scanHeader(s.stmts.QueryRowContext(ctx, tx, upsertQuery(o), o.arg, time.Now().UTC()))
	if err == nil && h == nil {
		err = sql.ErrNoRows
	}
	return h, err
}

// upsertQuery creates o's basket, or claims it when it exists. A guest's
// key never claims a customer's basket.
func upsertQuery(o owner) string {
	guestsOnly := ""
	if o.key == "guest_key" {
		guestsOnly = " WHERE baskets.customer_id IS NULL"
	}
	return `INSERT INTO baskets (` + o.key + `, created_at, updated_at) VALUES ($1, $2, $2)
		ON CONFLICT (` + o.key + `) DO UPDATE SET updated_at = excluded.updated_at` + guestsOnly + `
		RETURNING ` + headerColumns
}

// product is what a basket change needs to know about a product.
type product struct {
	active      bool
	stock       int64
	priced      bool
	price       money.Amount
	retailPrice money.Amount
}

func (s *Service) product(ctx context.Context, q database.Querier, id int64, currency string) (*product, error) {
	p := &product{}
	var price, retail sql.NullInt64
	err := s.stmts.QueryRowContext(ctx, q, `SELECT p.active, p.stock, pp.price, pp.retail_price
		FROM products p LEFT JOIN product_prices pp ON pp.product_id = p.id AND pp.currency = $2
		WHERE p.id = $1`, id, currency).Scan(&p.active, &p.stock, &price, &retail)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperror.Field("product", fmt.Sprintf(`Invalid pk "%d" - object does not exist.`, id))
	}
	if err != nil {
		return nil, err
	}
	p.priced, p.price, p.retailPrice = price.Valid, money.Amount(price.Int64), money.Amount(retail.Int64)
	return p, nil
}

// buyable refuses a product that cannot go into a basket in currency.
func (p *product) buyable(currency string) error {
	switch {
	case !p.active:
		return apperror.Field("product", "This product is no longer available.")
	case !p.priced:
		return apperror.Field("product", "This product cannot be bought in "+currency+".")
	}
	return nil
}

// stockError is the 400 for a quantity above the stock.
func stockError(stock, inBasket int64) error {
	switch {
	case stock == 0:
		return apperror.Field("quantity", "This product is out of stock.")
	case inBasket > 0:
		return apperror.Field("quantity", fmt.Sprintf("Only %d left in stock, and your basket already holds %d.", stock, inBasket))
	}
	return apperror.Field("quantity", fmt.Sprintf("Only %d left in stock.", stock))
}

func lineQuantity(ctx context.Context, q database.Querier, basketID, productID int64) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, "SELECT quantity FROM basket_items WHERE basket_id = $1 AND product_id = $2", basketID, productID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

// writeLineQuery sets a line of o's basket to $3 of product $2 (with
// add, adds $3 to it), recording the product's current price in currency
// $5 as the one the shopper chose; $4 is the line's attributes, kept as
// they were unless $7. One statement reads the product and writes the
// line: it writes nothing, and returns no row, when the product is not
// active, has no price in the currency, or has less stock than the line
// would hold (checked without overflowing the column).
func writeLineQuery(o owner, add bool) string {
	stock := "(SELECT stock FROM products WHERE id = excluded.product_id)"
	newQuantity, within := "excluded.quantity", "excluded.quantity <= "+stock
	if add {
		newQuantity, within = "basket_items.quantity + excluded.quantity", "basket_items.quantity <= "+stock+" - excluded.quantity"
	}
	return `INSERT INTO basket_items (basket_id, product_id, quantity, attributes, added_currency, added_price, created_at, updated_at)
		SELECT ` + o.id() + `, p.id, $3, $4, $5, pp.price, $6, $6
		FROM products p JOIN product_prices pp ON pp.product_id = p.id AND pp.currency = $5
		WHERE p.id = $2 AND p.active AND $3 <= p.stock
		ON CONFLICT (basket_id, product_id) DO UPDATE SET quantity = ` + newQuantity + `,
			attributes = CASE WHEN $7 THEN excluded.attributes ELSE basket_items.attributes END,
			added_currency = excluded.added_currency, added_price = excluded.added_price, updated_at = excluded.updated_at
		WHERE ` + within + `
		RETURNING quantity`
}

// refusal says why writeLine wrote nothing: the product's own problem, or
// the stock against what the basket already holds.
func (s *Service) refusal(ctx context.Context, q database.Querier, basketID int64, c Change, currency string) error {
	p, err := s.product(ctx, q, c.ProductID, currency)
	if err != nil {
		return err
	}
	if err := p.buyable(currency); err != nil {
		return err
	}
	if c.Quantity > p.stock {
		return stockError(p.stock, 0)
	}
	inBasket, err := lineQuantity(ctx, q, basketID, c.ProductID)
	if err != nil {
		return err
	}
	return stockError(p.stock, inBasket)
}

// Change is one shopper's change to a line.
type Change struct {
	ProductID  int64
	Quantity   int64
	Attributes json.RawMessage // nil: keep
}

// Add puts c.Quantity more of a product in the session's basket.
func (s *Service) Add(ctx context.Context, sess *session.Session, currency string, c Change) (*Basket, error) {
	if c.Quantity < 1 {
		return nil, apperror.Field("quantity", "Ensure this value is greater than or equal to 1.")
	}
	return s.change(ctx, sess, currency, c, true)
}

// SetQuantity sets a line's quantity; 0 removes the line.
func (s *Service) SetQuantity(ctx context.Context, sess *session.Session, currency string, c Change) (*Basket, error) {
	if c.Quantity < 0 {
		return nil, apperror.Field("quantity", "Ensure this value is greater than or equal to 0.")
	}
	return s.change(ctx, sess, currency, c, false)
}

// change writes line c of the session's basket and reads the basket back,
// in one transaction sent as one batch (one round trip on PostgreSQL,
// commit included): the basket claimed or created, the guest's session
// row kept (it keeps the basket from the purge), the line written, the
// lines read. A refused line rolls it all back, so a refused first add
// leaves nothing; then a second read says why.
func (s *Service) change(ctx context.Context, sess *session.Session, currency string, c Change, add bool) (*Basket, error) {
	if c.Quantity > math.MaxInt32 {
		// More than any stock (an INTEGER column), and more than the
		// statement could bind.
		return nil, s.refusal(ctx, s.db, 0, c, currency)
	}
	o, now := ownerOf(sess), time.Now().UTC()
	var h *header
	claimed := func(row database.Scanner) error { h = &header{}; return h.scan(row) }
	b := database.NewBatch(s.stmts)
	if !add && c.Quantity == 0 {
		b.Query(claimed, claimQuery(o), o.arg, now)
		b.Query(nil, "DELETE FROM basket_items WHERE basket_id = "+o.id()+" AND product_id = $2", o.arg, c.ProductID)
	} else {
		b.Query(claimed, upsertQuery(o), o.arg, now)
		s.sessions.Keep(b, sess)
		attrs := "{}"
		if c.Attributes != nil {
			attrs = string(c.Attributes)
		}
		b.Require(writeLineQuery(o, add), o.arg, c.ProductID, c.Quantity, attrs, currency, now, c.Attributes != nil)
	}
	read := linesRead{currency: currency}
	b.Query(read.row, linesQuery(o.id()), o.arg, currency)
	switch err := s.db.RunRelaxed(ctx, b); {
	case errors.Is(err, database.ErrNoRequiredRow):
		return nil, s.refusal(ctx, s.db, h.id, c, currency)
	case err != nil:
		return nil, err
	}
	return s.pricedFrom(ctx, s.db, sess, h, Terms{Currency: currency}, read)
}

// Clear empties the session's basket and drops its voucher.
func (s *Service) Clear(ctx context.Context, sess *session.Session, currency string) (*Basket, error) {
	err := s.db.TxRelaxed(ctx, func(tx *sql.Tx) error {
		h, err := s.claim(ctx, tx, sess)
		if err != nil || h == nil {
			return err
		}
		return s.ClearTx(ctx, tx, h.id)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, sess, currency)
}

// ClearTx empties basket basketID inside tx (an order that was placed).
func (s *Service) ClearTx(ctx context.Context, tx *sql.Tx, basketID int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM basket_items WHERE basket_id = $1", basketID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "UPDATE baskets SET voucher_code = '', updated_at = $1 WHERE id = $2", time.Now().UTC(), basketID)
	return err
}

// ApplyVoucher sets the basket's voucher after checking that it gives a
// discount on this basket now; otherwise a 400 on voucher_code says why.
// email is a guest's checkout e-mail, for the per-customer limit ("" when
// none).
func (s *Service) ApplyVoucher(ctx context.Context, sess *session.Session, currency, email, code string) (*Basket, error) {
	err := s.db.TxRelaxed(ctx, func(tx *sql.Tx) error {
		v, err := s.promos.Voucher(ctx, tx, code)
		if err != nil {
			return err
		}
		if err := v.Check(s.promos.Now(), currency); err != nil {
			return err
		}
		if err := s.promos.CheckCustomer(ctx, tx, v, sess.CustomerID, email); err != nil {
			return err
		}
		h, err := s.claim(ctx, tx, sess)
		if err != nil {
			return err
		}
		if h == nil {
			return apperror.Field("voucher_code", fmt.Sprintf("Voucher code %s does not apply to any product in your basket.", v.Code))
		}
		read, err := s.lines(ctx, tx, h.id, currency)
		if err != nil {
			return err
		}
		b, err := s.price(ctx, tx, h, read, 0, v)
		if err != nil {
			return err
		}
		if b.VoucherProblem != nil {
			return b.VoucherProblem
		}
		_, err = tx.ExecContext(ctx, "UPDATE baskets SET voucher_code = $1 WHERE id = $2", v.Code, h.id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, sess, currency)
}

// RemoveVoucher drops the basket's voucher.
func (s *Service) RemoveVoucher(ctx context.Context, sess *session.Session, currency string) (*Basket, error) {
	err := s.db.TxRelaxed(ctx, func(tx *sql.Tx) error {
		h, err := s.claim(ctx, tx, sess)
		if err != nil || h == nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE baskets SET voucher_code = '' WHERE id = $1", h.id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, sess, currency)
}

// Get returns the session's basket priced in currency, without shipping.
// A session without a basket gets an empty one and nothing is written.
func (s *Service) Get(ctx context.Context, sess *session.Session, currency string) (*Basket, error) {
	return s.Priced(ctx, sess, Terms{Currency: currency})
}

// Priced returns the session's basket priced on pr, without locking it:
// its row and its lines are read together (one round trip on PostgreSQL).
func (s *Service) Priced(ctx context.Context, sess *session.Session, pr Terms) (*Basket, error) {
	o := ownerOf(sess)
	var h *header
	read := linesRead{currency: pr.Currency}
	b := database.NewBatch(s.stmts)
	b.Query(func(row database.Scanner) error { h = &header{}; return h.scan(row) }, findQuery(o), o.arg)
	b.Query(read.row, linesQuery(o.id()), o.arg, pr.Currency)
	if err := s.db.Read(ctx, b); err != nil {
		return nil, err
	}
	return s.pricedFrom(ctx, s.db, sess, h, pr, read)
}

// Terms are what a basket is priced on (its Pricing is the result).
type Terms struct {
	Currency string
	// Shipping is the chosen shipping amount (free-shipping offers
	// discount it).
	Shipping money.Amount
	// Email is a guest's checkout e-mail: a voucher's per-customer limit
	// counts the uses under it, as the order will ("" before the guest
	// gave one; a customer is known by the session).
	Email string
}

// Lock returns the session's basket priced on terms pr, its row locked
// until transaction tx ends: checkout prices and places an order from it.
func (s *Service) Lock(ctx context.Context, tx *sql.Tx, sess *session.Session, pr Terms) (*Basket, error) {
	o := ownerOf(sess)
	h, err := scanHeader(s.stmts.QueryRowContext(ctx, tx, findQuery(o)+s.db.ForUpdate(), o.arg))
	if err != nil {
		return nil, err
	}
	if h == nil {
		return s.pricedFrom(ctx, tx, sess, nil, pr, linesRead{})
	}
	read, err := s.lines(ctx, tx, h.id, pr.Currency)
	if err != nil {
		return nil, err
	}
	return s.pricedFrom(ctx, tx, sess, h, pr, read)
}

// pricedFrom is priced of lines already read.
func (s *Service) pricedFrom(ctx context.Context, q database.Querier, sess *session.Session, h *header, pr Terms, read linesRead) (*Basket, error) {
	currency, shipping := pr.Currency, pr.Shipping
	if h == nil {
		b := &Basket{CustomerID: sess.CustomerID, Currency: currency, Created: time.Now().UTC(), Lines: []Line{}}
		b.Modified = b.Created
		b.Pricing = promotion.Compute(promotion.Input{Currency: currency, Shipping: shipping})
		return b, nil
	}
	var voucher *promotion.Voucher
	var voucherProblem error
	if h.voucher != "" {
		voucher, voucherProblem = s.promos.Voucher(ctx, q, h.voucher)
		if voucherProblem == nil {
			voucherProblem = voucher.Check(s.promos.Now(), currency)
		}
		if voucherProblem == nil {
			voucherProblem = s.promos.CheckCustomer(ctx, q, voucher, h.customerID, pr.Email)
		}
		if voucherProblem != nil {
			if apperror.Status(voucherProblem) != 400 {
				return nil, voucherProblem
			}
			voucher = nil
		}
	}
	b, err := s.price(ctx, q, h, read, shipping, voucher)
	if err != nil {
		return nil, err
	}
	b.VoucherCode = h.voucher
	if voucherProblem != nil {
		b.VoucherProblem = voucherProblem
	}
	return b, nil
}

// price prices the basket's lines with the live offers and voucher. The
// lines came with the offers' version, so the offers themselves are read
// only when they changed.
func (s *Service) price(ctx context.Context, q database.Querier, h *header, read linesRead, shipping money.Amount, voucher *promotion.Voucher) (*Basket, error) {
	currency, lines := read.currency, read.lines
	b := &Basket{ID: h.id, CustomerID: h.customerID, Currency: currency, Created: h.created, Modified: h.modified}
	offers, err := s.promos.LiveOffersAt(ctx, q, read.version.String)
	if err != nil {
		return nil, err
	}
	in := promotion.Input{Currency: currency, Offers: offers, Voucher: voucher, Shipping: shipping}
	var available []int
	for i := range lines {
		b.Lines = append(b.Lines, lines[i].Line)
		if lines[i].Available() {
			available = append(available, i)
			in.Lines = append(in.Lines, promotion.Line{Quantity: lines[i].Quantity, UnitPrice: lines[i].UnitPrice, Categories: lines[i].categories})
			b.TotalQuantity += lines[i].Quantity
		}
	}
	if b.Lines == nil {
		b.Lines = []Line{}
	}
	b.Pricing = promotion.Compute(in)
	for k, i := range available {
		r := b.Pricing.Lines[k]
		b.Lines[i].Discount, b.Lines[i].Total, b.Lines[i].Badges = r.Discount, r.Total, r.Badges
	}
	b.VoucherProblem = b.Pricing.VoucherProblem
	return b, nil
}

// pricedLine is a line with its product's categories and their ancestors.
type pricedLine struct {
	Line
	categories map[int64]bool
}

// linesQuery reads the lines of the basket whose id is basket ($1) priced
// in currency $2, with their products' categories (for offers and
// vouchers limited to some) and the offers' version. A line comes once
// per category of its product.
func linesQuery(basket string) string {
	return `SELECT bi.id, bi.product_id, bi.quantity, bi.attributes, bi.added_currency, bi.added_price, bi.created_at,
			p.active, p.stock, p.tax_rate, pp.price, pp.retail_price, c.id, c.path, ` + promotion.VersionQuery + `
		FROM basket_items bi JOIN products p ON p.id = bi.product_id
		LEFT JOIN product_prices pp ON pp.product_id = bi.product_id AND pp.currency = $2
		LEFT JOIN product_categories pc ON pc.product_id = bi.product_id
		LEFT JOIN categories c ON c.id = pc.category_id
		WHERE bi.basket_id = ` + basket + ` ORDER BY bi.id`
}

// linesRead collects linesQuery's rows: a basket's lines priced in
// currency, and the offers' version (none for an empty basket: no row
// carries it).
type linesRead struct {
	currency string
	lines    []pricedLine
	version  sql.NullString
}

func (r *linesRead) row(row database.Scanner) error {
	l, err := scanLine(row, r.currency, &r.version)
	if err != nil {
		return err
	}
	if n := len(r.lines); n == 0 || r.lines[n-1].ID != l.ID {
		r.lines = append(r.lines, pricedLine{Line: l.Line, categories: map[int64]bool{}})
	}
	if l.categoryID.Valid {
		promotion.CategoryClosure(r.lines[len(r.lines)-1].categories, l.categoryID.Int64, l.categoryPath.String)
	}
	return nil
}

// lines reads basket basketID's lines priced in currency.
func (s *Service) lines(ctx context.Context, q database.Querier, basketID int64, currency string) (linesRead, error) {
	read := linesRead{currency: currency}
	rows, err := s.stmts.QueryContext(ctx, q, linesQuery("$1"), basketID, currency)
	err = database.Each(rows, err, read.row)
	return read, err
}

// lineRow is one row of lines: a line and one category of its product.
type lineRow struct {
	Line
	categoryID   sql.NullInt64
	categoryPath sql.NullString
}

// scanLine reads a basket line priced in currency, with what keeps it
// from being bought, if anything.
func scanLine(row database.Scanner, currency string, version *sql.NullString) (lineRow, error) {
	var l lineRow
	var attrs string
	var active bool
	var price, retail sql.NullInt64
	if err := row.Scan(&l.ID, &l.ProductID, &l.Quantity, &attrs, &l.AddedCurrency, &l.AddedPrice, &l.Created,
		&active, &l.Stock, &l.TaxRate, &price, &retail, &l.categoryID, &l.categoryPath, version); err != nil {
		return l, err
	}
	l.Attributes = json.RawMessage(attrs)
	l.UnitPrice, l.RetailPrice = money.Amount(price.Int64), money.Amount(retail.Int64)
	l.PriceChanged = price.Valid && l.AddedCurrency == currency && l.AddedPrice != l.UnitPrice
	switch {
	case !active:
		l.Problem = Inactive
	case !price.Valid:
		l.Problem = Unpriced
	case l.Stock == 0:
		l.Problem = OutOfStock
	case l.Quantity > l.Stock:
		l.Problem = InsufficientStock
	}
	return l, nil
}
