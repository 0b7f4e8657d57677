// Package checkout is the page-by-page checkout of the Akinon wire format:
// each step is a page the shopper submits; the state lives in the
// checkouts table, found through a key in the session. Every answer names
// the page to show next, and a step whose inputs no longer hold (address
// deleted, option withdrawn, basket changed) sends the shopper back.
package checkout

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vitrin/vitrin/internal/address"
	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/basket"
	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/mail"
	"github.com/vitrin/vitrin/internal/order"
	"github.com/vitrin/vitrin/internal/payment"
	"github.com/vitrin/vitrin/internal/session"
	"github.com/vitrin/vitrin/internal/token"
)

// SessionKey is the session data key naming the shopper's checkout row.
const SessionKey = "checkout_key"

// Page names of the wire format.
const (
	IndexPage       = "IndexPage"
	DeliveryPage    = "DeliveryOptionSelectionPage"
	AddressPage     = "AddressSelectionPage"
	RetailStorePage = "RetailStoreSelectionPage"
	ShippingPage    = "ShippingOptionSelectionPage"
	PaymentPage     = "PaymentOptionSelectionPage"
	BinPage         = "BinNumberPage"
	InstallmentPage = "InstallmentSelectionPage"
	CardPage        = "CreditCardConfirmationPage"
	ThreeDPage      = "CreditCardThreeDSecurePage"
	RedirectionPage = "RedirectionPaymentSelectedPage"
	// RedirectionReturnPage is the shopper back from a hosted payment
	// page, forwarded by the storefront (middlewares/redirection-payment.ts).
	RedirectionReturnPage = "RedirectionPageCompletePage"
	TransferChoicePage    = "FundsTransferChoicePage"
	TransferPage          = "FundsTransferPage"
	DeliveryChoicePage    = "PayOnDeliveryPaymentChoicePage"
	PayOnDeliveryPage     = "PayOnDeliveryPage"
	CouponPage            = "CouponSelectionPage"
	LoyaltyUsagePage      = "LoyaltyMoneyUsagePage"
	LoyaltyPage           = "LoyaltyPaymentSelectedPage"
	NotePage              = "OrderNotePage"
	ThankYouPage          = "ThankYouPage"
)

var knownPages = map[string]bool{IndexPage: true, DeliveryPage: true, AddressPage: true, RetailStorePage: true,
	ShippingPage: true, PaymentPage: true, BinPage: true, InstallmentPage: true, CardPage: true, ThreeDPage: true,
	TransferChoicePage: true, TransferPage: true, DeliveryChoicePage: true, PayOnDeliveryPage: true,
	CouponPage: true, NotePage: true, RedirectionPage: true, RedirectionReturnPage: true, LoyaltyUsagePage: true, LoyaltyPage: true,
	ProviderIndexPage: true, ProviderSelectionPage: true}

// Pay-on-delivery choices.
var deliveryChoices = []string{"cash", "credit_card"}

// State is one checkout in progress.
type State struct {
	Email        string `json:"email,omitempty"`
	Phone        string `json:"phone,omitempty"`
	Delivery     int64  `json:"delivery,omitempty"`
	ShippingAddr int64  `json:"shipping_address,omitempty"`
	BillingAddr  int64  `json:"billing_address,omitempty"`
	RetailStore  int64  `json:"retail_store,omitempty"`
	Shipping     int64  `json:"shipping,omitempty"`
	Payment      int64  `json:"payment,omitempty"`
	Bin          string `json:"bin,omitempty"`
	Installments int    `json:"installments,omitempty"`
	Bank         int64  `json:"bank,omitempty"`
	Choice       string `json:"choice,omitempty"`
	Notes        string `json:"notes,omitempty"`
	// Loyalty is the loyalty money, in minor units, the customer chose to
	// pay part of the order with (LoyaltyMoneyUsagePage).
	Loyalty int64 `json:"loyalty,omitempty"`
	// Attempt is the idempotency key of the final step; it is renewed
	// whenever the checkout changes, so a retried final POST of the same
	// checkout finds the order (and the charge) it made.
	Attempt string `json:"attempt"`
	// Fingerprint is the basket as the shopper last saw it in checkout.
	Fingerprint string `json:"fingerprint,omitempty"`
	// ThreeDOrder is the pending order waiting for the bank, or for a
	// hosted payment page (ThreeDAction is then the page's URL).
	ThreeDOrder  int64             `json:"three_d_order,omitempty"`
	ThreeDAction string            `json:"three_d_action,omitempty"`
	ThreeDFields map[string]string `json:"three_d_fields,omitempty"`
	// Placed is the order this checkout placed.
	Placed int64 `json:"placed,omitempty"`
}

// Form is a submitted page's fields.
type Form interface {
	Get(key string) string
	Has(key string) bool
}

// Shopper is who checks out.
type Shopper struct {
	Sess       *session.Session
	Owner      address.Owner // whose addresses may be used
	Currency   string
	Language   string
	RemoteAddr string
	// read holds what this request's quotes read (nil: nothing is kept).
	read *requestReads
}

// requestReads keeps the basket and addresses one request's quotes read,
// so that a step's second quote (the answer, after the choice was saved)
// reads again only what the choice changed: a new address, the basket
// under a new shipping amount. The order is never placed from them: the
// final step quotes inside its transaction, with the rows locked.
type requestReads struct {
	baskets   map[basket.Terms]*basket.Basket
	addresses map[int64]*address.Address
}

// Context is one entry of context_list.
type Context struct {
	PageName    string         `json:"page_name"`
	PageSlug    string         `json:"page_slug"`
	PageContext map[string]any `json:"page_context"`
}

// Result is one answer of the checkout.
type Result struct {
	Status      int
	Basket      *basket.Basket
	PreOrder    map[string]any // without the basket, which the API renders
	Contexts    []Context
	Errors      any
	RedirectURL string
}

// Service runs checkouts.
type Service struct {
	db        *database.DB
	sessions  *session.Store
	stmts     *database.StmtCache
	baskets   *basket.Service
	addresses *address.Service
	catalog   *catalog.Service
	gateways  map[string]payment.Gateway
	mailer    *mail.Mailer
	refunder  *order.Refunder
	restocked order.Restocked
	// The imported options change only with an import, which moves the
	// catalog version: they are read once per version.
	optionsMu      sync.Mutex
	optionsVersion int64
	cachedOptions  *options
	// ThreeDReturnURL is where the bank sends the shopper back (the
	// storefront forwards it to the CreditCardThreeDSecurePage step).
	ThreeDReturnURL string
	// HostedReturnURL is where a hosted payment page sends the shopper
	// back (forwarded to the RedirectionPageCompletePage step).
	HostedReturnURL string
}

// New returns the checkout service. restocked may be nil.
func New(db *database.DB, sessions *session.Store, baskets *basket.Service, addresses *address.Service,
	cat *catalog.Service, gateways map[string]payment.Gateway, mailer *mail.Mailer,
	refunder *order.Refunder, restocked order.Restocked) *Service {
	return &Service{db: db, stmts: database.NewStmtCache(db), sessions: sessions, baskets: baskets, addresses: addresses, catalog: cat, gateways: gateways,
		mailer: mailer, refunder: refunder, restocked: restocked, ThreeDReturnURL: "/orders/checkout/?page=" + ThreeDPage,
		HostedReturnURL: "/orders/checkout/?page=" + RedirectionReturnPage}
}

// stepError is a refused step: status, field errors and the page to show.
type stepError struct {
	status int
	errors apperror.Fields
	page   string
}

func (e *stepError) Error() string { return e.errors.Error() }

func refuse(page, field, msg string) *stepError {
	return &stepError{status: 400, errors: apperror.Field(field, msg), page: page}
}

// load returns the shopper's checkout state (a fresh one when none).
func (s *Service) load(ctx context.Context, q database.Querier, key string, lock string) (*State, error) {
	st, _, err := s.loadStored(ctx, q, key, lock)
	return st, err
}

// loadStored is load that also returns the stored JSON ("" when there is
// none): the base a later swap checks the checkout against.
func (s *Service) loadStored(ctx context.Context, q database.Querier, key string, lock string) (*State, string, error) {
	st := &State{}
	if key == "" {
		return st, "", nil
	}
	var raw string
	err := q.QueryRowContext(ctx, "SELECT data FROM checkouts WHERE key = $1"+lock, key).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return st, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	return st, raw, json.Unmarshal([]byte(raw), st)
}

func (s *Service) save(ctx context.Context, q database.Querier, key string, st *State) error {
	raw, _ := json.Marshal(st)
	_, err := q.ExecContext(ctx, `INSERT INTO checkouts (key, data, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`, key, string(raw), time.Now().UTC())
	return err
}

// swap saves st under key only if the stored checkout is still base (as
// loadStored returned it), in one statement. The real client submits
// several steps at once (its pre-order middleware fires one request per
// missing choice); each step reads the checkout, so without this check
// the later write would drop the earlier one's choice. It reports false,
// writing nothing, when another request changed the checkout meanwhile.
func (s *Service) swap(ctx context.Context, q database.Querier, key, base string, st *State) (bool, error) {
	query, args := swapStatement(key, base, st)
	var written string
	err := q.QueryRowContext(ctx, query, args...).Scan(&written)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// swapStatement is swap's statement: it returns the key when it wrote.
func swapStatement(key, base string, st *State) (string, []any) {
	raw, _ := json.Marshal(st)
	now := time.Now().UTC()
	if base == "" {
		return `INSERT INTO checkouts (key, data, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO NOTHING RETURNING key`, []any{key, string(raw), now}
	}
	return "UPDATE checkouts SET data = $2, updated_at = $3 WHERE key = $1 AND data = $4 RETURNING key",
		[]any{key, string(raw), now, base}
}

// key returns the session's checkout key, creating it when asked.
func (s *Service) key(ctx context.Context, sh Shopper, create bool) (string, error) {
	key := sh.Sess.Get(SessionKey)
	if key == "" && create {
		key = token.New(32)
		sh.Sess.Set(SessionKey, key)
		if err := s.sessions.Save(ctx, s.db, sh.Sess); err != nil {
			return "", err
		}
	}
	return key, nil
}

func fingerprint(b *basket.Basket) string {
	var sb strings.Builder
	for _, l := range b.Lines {
		sb.WriteString(strconv.FormatInt(l.ProductID, 10) + "x" + strconv.FormatInt(l.Quantity, 10) + "@" + strconv.FormatInt(int64(l.UnitPrice), 10) + ";")
	}
	sb.WriteString(b.VoucherCode + "|" + b.Currency)
	return sb.String()
}

// Handle answers GET /orders/checkout/ (submit == false) and the POST of
// one page: a step that records a choice (takeStep), or the last one,
// which places the order (place).
func (s *Service) Handle(ctx context.Context, sh Shopper, page string, submit bool, form Form) (*Result, error) {
	if page != "" && !knownPages[page] {
		return s.show(ctx, sh, "", &stepError{status: 400, errors: apperror.Field("page", `Page "`+page+`" does not exist.`)})
	}
	if !submit || page == ProviderIndexPage {
		// The provider index records nothing: its POST only shows it.
		return s.show(ctx, sh, page, nil)
	}
	key, err := s.key(ctx, sh, true)
	if err != nil {
		return nil, err
	}
	if isFinal(page) {
		return s.place(ctx, sh, key, page, form)
	}
	sh.read = &requestReads{baskets: map[basket.Terms]*basket.Basket{}, addresses: map[int64]*address.Address{}}
	if page == ProviderSelectionPage {
		return s.selectProvider(ctx, sh, key, form)
	}
	return s.takeStep(ctx, sh, key, page, form)
}

// isFinal reports whether a page places the order.
func isFinal(page string) bool {
	return page == CardPage || page == TransferPage || page == PayOnDeliveryPage || page == RedirectionPage || page == LoyaltyPage || returning(page)
}

// returning reports whether a page is the shopper back from paying
// elsewhere (the bank's 3-D page, a hosted payment page): it completes
// the payment waiting there, whose gateway, not the post, says whether
// it was paid.
func returning(page string) bool {
	return page == ThreeDPage || page == RedirectionReturnPage
}

// asStepError turns a domain error into a refused step on page.
func asStepError(err error, page string) (*stepError, bool) {
	var se *stepError
	if errors.As(err, &se) {
		return se, true
	}
	var fields apperror.Fields
	if errors.As(err, &fields) {
		return &stepError{status: 400, errors: fields, page: page}, true
	}
	return nil, false
}

// PurgeAbandoned deletes the checkouts nobody touched for maxAge and
// reports how many. A shopper who comes back after that starts a fresh
// checkout; payments and orders live elsewhere and are not affected.
func PurgeAbandoned(ctx context.Context, db *database.DB, maxAge time.Duration) (int64, error) {
	res, err := db.ExecContext(ctx, "DELETE FROM checkouts WHERE updated_at < $1", time.Now().UTC().Add(-maxAge))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
