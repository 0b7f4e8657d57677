package promotion

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/money"
)

// Voucher is a code a shopper types in.
type Voucher struct {
	ID   int64
	Code string
	Kind string // Percent or Amount
	// Value is basis points for Percent (1050 = 10.50 %), minor units of
	// Currency for Amount.
	Value            int64
	Currency         string // "" for any currency (percent vouchers only)
	MinBasket        money.Amount
	MaxDiscount      money.Amount // 0: no cap
	Starts, Ends     *time.Time
	UsageLimit       int64 // 0: unlimited
	PerCustomerLimit int64 // 0: unlimited
	UsedCount        int64
	Active           bool
	Categories       []int64 // empty: every product
}

// Offer is an automatic promotion: it applies whenever a basket qualifies.
type Offer struct {
	ID           int64
	Slug         string
	Label        string
	Kind         string // Percent, BuyXPayY or FreeShipping
	Value        int64  // basis points, for Percent
	Buy, Pay     int64  // for BuyXPayY
	MinBasket    map[string]money.Amount
	Starts, Ends *time.Time
	SortOrder    int64
	Active       bool
	Categories   []int64           // empty: every product
	Labels       map[string]string // Label in other languages
}

func coversAny(categories []int64, closure map[int64]bool) bool {
	if len(categories) == 0 {
		return true
	}
	for _, c := range categories {
		if closure[c] {
			return true
		}
	}
	return false
}

func (o Offer) covers(l Line) bool   { return coversAny(o.Categories, l.Categories) }
func (v Voucher) covers(l Line) bool { return coversAny(v.Categories, l.Categories) }

// Reaches reports whether the offer applies to a product whose categories
// and their ancestors are closure (see CategoryClosure): the rule the
// basket applies, for badges shown before anything is in a basket.
func (o Offer) Reaches(closure map[int64]bool) bool { return coversAny(o.Categories, closure) }

// AppliesIn reports whether the offer can apply to a basket in currency:
// free shipping needs a threshold in that currency.
func (o Offer) AppliesIn(currency string) bool {
	_, ok := o.MinBasket[currency]
	return o.Kind != FreeShipping || ok
}

// LiveAt reports whether the offer runs at t.
func (o Offer) LiveAt(t time.Time) bool { return live(o.Active, o.Starts, o.Ends, t) }

// LabelIn is the offer's text in lang, falling back to Description.
func (o Offer) LabelIn(lang, currency string) string {
	if l := o.Labels[lang]; l != "" {
		return l
	}
	return o.Description(currency)
}

// Description is the offer's text in discounts and badges.
func (o Offer) Description(currency string) string {
	if o.Label != "" {
		return o.Label
	}
	if o.Kind == FreeShipping {
		if t, ok := o.MinBasket[currency]; ok {
			return "Free shipping over " + t.String()
		}
		return "Free shipping"
	}
	return o.Slug
}

// Description is the voucher's text in discounts.
func (v Voucher) Description() string { return "Voucher " + v.Code }

func live(active bool, starts, ends *time.Time, now time.Time) bool {
	return active && (starts == nil || !starts.After(now)) && (ends == nil || ends.After(now))
}

// Check tells whether the voucher can be used now in currency, as far as
// the voucher alone decides (the basket's minimum and categories are
// Compute's part; per-customer use is CheckCustomer's). The error is a 400
// on voucher_code that says which rule failed.
func (v *Voucher) Check(now time.Time, currency string) error {
	switch {
	case !v.Active:
		return invalidVoucher(v.Code)
	case v.Starts != nil && v.Starts.After(now):
		return apperror.Field("voucher_code", fmt.Sprintf("Voucher code %s is not valid yet.", v.Code))
	case v.Ends != nil && !v.Ends.After(now):
		return apperror.Field("voucher_code", fmt.Sprintf("Voucher code %s has expired.", v.Code))
	case v.UsageLimit > 0 && v.UsedCount >= v.UsageLimit:
		return exhausted(v.Code)
	case v.Currency != "" && v.Currency != currency:
		return apperror.Field("voucher_code", fmt.Sprintf("Voucher code %s is not valid in %s.", v.Code, currency))
	}
	return nil
}

func invalidVoucher(code string) error {
	return apperror.Field("voucher_code", fmt.Sprintf("Voucher code %s is not valid.", code))
}

func exhausted(code string) error {
	return apperror.Field("voucher_code", fmt.Sprintf("Voucher code %s has reached its usage limit.", code))
}

func usedUp(code string) error {
	return apperror.Field("voucher_code", fmt.Sprintf("You have already used voucher code %s the maximum number of times.", code))
}

// NormalizeCode is the form codes are stored and compared in.
func NormalizeCode(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

// Service reads and writes promotions.
type Service struct {
	db    *database.DB
	stmts *database.StmtCache
	now   func() time.Time
	// known are the active offers as last read, under their version.
	known struct {
		sync.Mutex
		version string
		offers  []Offer
	}
}

// NewService returns the promotions of the store in db.
func NewService(db *database.DB) *Service {
	return &Service{db: db, stmts: database.NewStmtCache(db), now: time.Now}
}

// Now is the clock promotions are judged by.
func (s *Service) Now() time.Time { return s.now() }

const voucherColumns = `id, code, kind, value, currency, min_basket, max_discount, starts_at, ends_at,
	usage_limit, per_customer_limit, used_count, active`

// Voucher returns the voucher with code, or a 400 saying it is not valid.
func (s *Service) Voucher(ctx context.Context, q database.Querier, code string) (*Voucher, error) {
	code = NormalizeCode(code)
	if code == "" {
		return nil, apperror.Field("voucher_code", "This field may not be blank.")
	}
	v := &Voucher{}
	var starts, ends sql.NullTime
	err := s.stmts.QueryRowContext(ctx, q, "SELECT "+voucherColumns+" FROM vouchers WHERE code = $1", code).Scan(
		&v.ID, &v.Code, &v.Kind, &v.Value, &v.Currency, &v.MinBasket, &v.MaxDiscount, &starts, &ends,
		&v.UsageLimit, &v.PerCustomerLimit, &v.UsedCount, &v.Active)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, invalidVoucher(code)
	}
	if err != nil {
		return nil, err
	}
	v.Starts, v.Ends = timePtr(starts), timePtr(ends)
	rows, err := s.stmts.QueryContext(ctx, q, "SELECT category_id FROM voucher_categories WHERE voucher_id = $1", v.ID)
	if v.Categories, err = database.Collect(rows, err, database.Scalar[int64]); err != nil {
		return nil, err
	}
	return v, nil
}

// CheckCustomer refuses the voucher to a customer (or a guest's e-mail)
// who used it up. A customer's uses include the guest orders placed under
// their e-mail, as MarkUsed counts them. A guest with no e-mail yet is not
// limited here; checkout checks again with the e-mail.
func (s *Service) CheckCustomer(ctx context.Context, q database.Querier, v *Voucher, customerID int64, email string) error {
	if v.PerCustomerLimit == 0 || (customerID == 0 && email == "") {
		return nil
	}
	var used int64
	err := s.stmts.QueryRowContext(ctx, q, `SELECT COUNT(*) FROM voucher_uses
		WHERE voucher_id = $1 AND (customer_id = $2 OR (email <> '' AND
			email IN ($3, (SELECT email_lower FROM customers WHERE id = $2))))`,
		v.ID, customerID, strings.ToLower(email)).Scan(&used)
	if err != nil {
		return err
	}
	if used >= v.PerCustomerLimit {
		return usedUp(v.Code)
	}
	return nil
}

// MarkUsed records one use of the voucher by an order, inside the order's
// transaction. The counter moves atomically, so two orders racing for a
// voucher's last use get it once; the loser gets the usage-limit 400 and
// its transaction must roll back.
func (s *Service) MarkUsed(ctx context.Context, tx *sql.Tx, code string, customerID int64, email, orderRef string) error {
	code = NormalizeCode(code)
	var id, perCustomer int64
	err := tx.QueryRowContext(ctx, `UPDATE vouchers SET used_count = used_count + 1
		WHERE code = $1 AND active AND (usage_limit = 0 OR used_count < usage_limit)
		RETURNING id, per_customer_limit`, code).Scan(&id, &perCustomer)
	if errors.Is(err, sql.ErrNoRows) {
		return exhausted(code)
	}
	if err != nil {
		return err
	}
	// The update above holds the voucher's row lock, so this count cannot
	// race with another use of the same voucher.
	if err := s.CheckCustomer(ctx, tx, &Voucher{ID: id, Code: code, PerCustomerLimit: perCustomer}, customerID, email); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO voucher_uses (voucher_id, customer_id, email, order_ref, used_at)
		VALUES ($1, $2, $3, $4, $5)`, id, nullID(customerID), strings.ToLower(email), orderRef, s.now().UTC())
	return err
}

// VersionQuery is a scalar subquery of the offers' version, which every
// change to offers moves in its own transaction (a trigger, migration
// 0530). A caller reads it in the same statement as its other rows and
// hands it to LiveOffersAt, saving the round trips of the offers.
const VersionQuery = "(SELECT value FROM settings WHERE key = 'offers_version')"

// LiveOffersAt returns the offers running now, in their order of
// application, for a caller that read the offers' version (VersionQuery;
// "" when it read none): the offers last read under that
// version are used again, else they are read from q and kept. Offers read
// after the version was are never older than it, so a request never
// prices with offers older than what it saw.
func (s *Service) LiveOffersAt(ctx context.Context, q database.Querier, version string) ([]Offer, error) {
	s.known.Lock()
	all, hit := s.known.offers, version != "" && version == s.known.version
	s.known.Unlock()
	if !hit {
		var err error
		if all, err = s.offers(ctx, q); err != nil {
			return nil, err
		}
		if version != "" {
			s.known.Lock()
			s.known.version, s.known.offers = version, all
			s.known.Unlock()
		}
	}
	now := s.now()
	var live []Offer
	for _, o := range all {
		if o.LiveAt(now) {
			live = append(live, o)
		}
	}
	return live, nil
}

// Offers returns the active offers, running now or within their own time
// window later or earlier, in their order of application.
func (s *Service) Offers(ctx context.Context, q database.Querier) ([]Offer, error) {
	return s.offers(ctx, q)
}

// offers returns the active offers.
func (s *Service) offers(ctx context.Context, q database.Querier) ([]Offer, error) {
	rows, err := s.stmts.QueryContext(ctx, q, `SELECT o.id, o.slug, o.label, o.kind, o.value, o.buy, o.pay, o.starts_at, o.ends_at,
			o.sort_order, o.translations, oc.category_id
		FROM offers o LEFT JOIN offer_categories oc ON oc.offer_id = o.id
		WHERE o.active ORDER BY o.sort_order, o.id`)
	var offers []Offer
	byID := map[int64]int{}
	err = database.Each(rows, err, func(row database.Scanner) error {
		var o Offer
		var starts, ends sql.NullTime
		var category sql.NullInt64
		var translations string
		if err := row.Scan(&o.ID, &o.Slug, &o.Label, &o.Kind, &o.Value, &o.Buy, &o.Pay, &starts, &ends, &o.SortOrder, &translations, &category); err != nil {
			return err
		}
		o.Starts, o.Ends, o.Active = timePtr(starts), timePtr(ends), true
		i, seen := byID[o.ID]
		if !seen {
			o.Labels = decodeLabels(translations)
			i = len(offers)
			byID[o.ID] = i
			offers = append(offers, o)
		}
		if category.Valid {
			offers[i].Categories = append(offers[i].Categories, category.Int64)
		}
		return nil
	})
	if err != nil || len(offers) == 0 {
		return nil, err
	}
	thresholds, err := s.stmts.QueryContext(ctx, q, "SELECT offer_id, currency, amount FROM offer_thresholds")
	err = database.Each(thresholds, err, func(row database.Scanner) error {
		var id int64
		var cur string
		var amount money.Amount
		if err := row.Scan(&id, &cur, &amount); err != nil {
			return err
		}
		if i, ok := byID[id]; ok {
			if offers[i].MinBasket == nil {
				offers[i].MinBasket = map[string]money.Amount{}
			}
			offers[i].MinBasket[cur] = amount
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return offers, nil
}

// SaveVoucher creates or updates the voucher with v.Code (the import's
// upsert); it reports whether anything changed. UsedCount is kept.
func (s *Service) SaveVoucher(ctx context.Context, q database.Querier, v *Voucher) (created bool, err error) {
	v.Code = NormalizeCode(v.Code)
	err = q.QueryRowContext(ctx, "SELECT id FROM vouchers WHERE code = $1", v.Code).Scan(&v.ID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		created = true
		err = q.QueryRowContext(ctx, `INSERT INTO vouchers (code, kind, value, currency, min_basket, max_discount, starts_at, ends_at,
				usage_limit, per_customer_limit, active) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			v.Code, v.Kind, v.Value, v.Currency, v.MinBasket, v.MaxDiscount, utc(v.Starts), utc(v.Ends),
			v.UsageLimit, v.PerCustomerLimit, v.Active).Scan(&v.ID)
	case err == nil:
		_, err = q.ExecContext(ctx, `UPDATE vouchers SET kind = $2, value = $3, currency = $4, min_basket = $5, max_discount = $6,
				starts_at = $7, ends_at = $8, usage_limit = $9, per_customer_limit = $10, active = $11 WHERE id = $1`,
			v.ID, v.Kind, v.Value, v.Currency, v.MinBasket, v.MaxDiscount, utc(v.Starts), utc(v.Ends),
			v.UsageLimit, v.PerCustomerLimit, v.Active)
	}
	if err != nil {
		return false, err
	}
	return created, replaceLinks(ctx, q, "voucher_categories", "voucher_id", v.ID, v.Categories)
}

// SaveOffer creates or updates the offer with o.Slug.
func (s *Service) SaveOffer(ctx context.Context, q database.Querier, o *Offer) (created bool, err error) {
	err = q.QueryRowContext(ctx, "SELECT id FROM offers WHERE slug = $1", o.Slug).Scan(&o.ID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		created = true
		err = q.QueryRowContext(ctx, `INSERT INTO offers (slug, label, kind, value, buy, pay, starts_at, ends_at, sort_order, active, translations)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			o.Slug, o.Label, o.Kind, o.Value, o.Buy, o.Pay, utc(o.Starts), utc(o.Ends), o.SortOrder, o.Active, encodeLabels(o.Labels)).Scan(&o.ID)
	case err == nil:
		_, err = q.ExecContext(ctx, `UPDATE offers SET label = $2, kind = $3, value = $4, buy = $5, pay = $6,
				starts_at = $7, ends_at = $8, sort_order = $9, active = $10, translations = $11 WHERE id = $1`,
			o.ID, o.Label, o.Kind, o.Value, o.Buy, o.Pay, utc(o.Starts), utc(o.Ends), o.SortOrder, o.Active, encodeLabels(o.Labels))
	}
	if err != nil {
		return false, err
	}
	if err := replaceLinks(ctx, q, "offer_categories", "offer_id", o.ID, o.Categories); err != nil {
		return false, err
	}
	if _, err := q.ExecContext(ctx, "DELETE FROM offer_thresholds WHERE offer_id = $1", o.ID); err != nil {
		return false, err
	}
	for cur, amount := range o.MinBasket {
		if _, err := q.ExecContext(ctx, "INSERT INTO offer_thresholds (offer_id, currency, amount) VALUES ($1, $2, $3)", o.ID, cur, amount); err != nil {
			return false, err
		}
	}
	return created, nil
}

// replaceLinks sets the category links of one promotion. table and owner
// are constants of this package, never input.
func replaceLinks(ctx context.Context, q database.Querier, table, owner string, id int64, categories []int64) error {
	if _, err := q.ExecContext(ctx, "DELETE FROM "+table+" WHERE "+owner+" = $1", id); err != nil {
		return err
	}
	for _, c := range categories {
		if _, err := q.ExecContext(ctx, "INSERT INTO "+table+" ("+owner+", category_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", id, c); err != nil {
			return err
		}
	}
	return nil
}

// CategoryIDs resolves category codes; missing lists the unknown ones.
func CategoryIDs(ctx context.Context, q database.Querier, codes []string) (ids []int64, missing []string, err error) {
	for _, code := range codes {
		var id int64
		err := q.QueryRowContext(ctx, "SELECT id FROM categories WHERE code = $1", code).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			missing = append(missing, code)
		case err != nil:
			return nil, nil, err
		default:
			ids = append(ids, id)
		}
	}
	return ids, missing, nil
}

// CategoryClosure turns a category's materialised path ("0000000001/
// 0000000005", ancestors first, its own id last) into the set of ids a
// promotion on any of them reaches.
func CategoryClosure(into map[int64]bool, categoryID int64, path string) {
	into[categoryID] = true
	for seg := range strings.SplitSeq(path, "/") {
		if id, err := strconv.ParseInt(seg, 10, 64); err == nil {
			into[id] = true
		}
	}
}

// Offer translations are stored as {"en-us": {"label": "..."}}, the
// import format's shape.
func decodeLabels(raw string) map[string]string {
	var t map[string]struct {
		Label string `json:"label"`
	}
	if json.Unmarshal([]byte(raw), &t) != nil || len(t) == 0 {
		return nil
	}
	labels := make(map[string]string, len(t))
	for lang, f := range t {
		if f.Label != "" {
			labels[lang] = f.Label
		}
	}
	return labels
}

func encodeLabels(labels map[string]string) string {
	t := make(map[string]map[string]string, len(labels))
	for lang, label := range labels {
		t[lang] = map[string]string{"label": label}
	}
	b, _ := json.Marshal(t)
	return string(b)
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.Time
}

func utc(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
