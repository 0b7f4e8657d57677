// Package app is Vitrin's composition root: it builds each service of one
// store exactly once and wires the hooks between them. `vitrin serve` and
// the API's tests both build the store here, so the tests run the wiring
// that production runs.
package app

import (
	"context"
	"database/sql"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vitrin/vitrin/internal/account"
	"github.com/vitrin/vitrin/internal/address"
	"github.com/vitrin/vitrin/internal/basket"
	"github.com/vitrin/vitrin/internal/captcha"
	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/checkout"
	"github.com/vitrin/vitrin/internal/config"
	"github.com/vitrin/vitrin/internal/credential"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/inventory"
	"github.com/vitrin/vitrin/internal/mail"
	"github.com/vitrin/vitrin/internal/order"
	"github.com/vitrin/vitrin/internal/payment"
	"github.com/vitrin/vitrin/internal/privacy"
	"github.com/vitrin/vitrin/internal/promotion"
	"github.com/vitrin/vitrin/internal/session"
	"github.com/vitrin/vitrin/internal/subscription"
	"github.com/vitrin/vitrin/internal/support"
	"github.com/vitrin/vitrin/internal/token"
	"github.com/vitrin/vitrin/internal/webhook"
	"github.com/vitrin/vitrin/internal/wishlist"
)

// Services are the services of one store, each built once.
type Services struct {
	DB       *database.DB
	Sessions *session.Store
	// Mailer queues mails in the outbox; Sender delivers them.
	Mailer *mail.Mailer
	Sender *mail.Sender

	Accounts    *account.Service
	Captcha     *captcha.Verifier // the login captcha; nil when no reCAPTCHA keys are configured
	Credentials *credential.Service
	Privacy     *privacy.Service
	Catalog     *catalog.Service
	Promotions  *promotion.Service
	Baskets     *basket.Service
	Addresses   *address.Service
	Sandbox     *payment.Sandbox
	// Stripe is the configured Stripe account; nil without a secret key.
	Stripe        *payment.Stripe
	Gateways      map[string]payment.Gateway
	Refunder      *order.Refunder    // the API sends refunds with it, the serve loop retries them
	Lifecycle     *order.Lifecycle   // the merchant's moves of an order (management API)
	Inventory     *inventory.Service // bulk stock and price updates (management API)
	Webhooks      *webhook.Sender
	Checkout      *checkout.Service
	Wishlist      *wishlist.Service
	Support       *support.Service
	Subscriptions *subscription.Service

	// Collectors are the domain's Prometheus metrics, served on /metrics
	// with the HTTP ones.
	Collectors []prometheus.Collector

	// Restocked fires the stock alerts of products that a cancelled or
	// released order brought back from zero, in that transaction.
	Restocked order.Restocked
	// OnLogin runs after a customer logs in on a session, with the guest
	// session's data already carried over.
	OnLogin []func(ctx context.Context, sess *session.Session) error
	// OnRegister runs in the transaction that creates a customer; an error
	// undoes the registration.
	OnRegister []func(ctx context.Context, q database.Querier, c *account.Customer) error
}

// New builds the store's services on db.
func New(ctx context.Context, cfg *config.Config, db *database.DB) (*Services, error) {
	secret, err := db.Setting(ctx, "secret_key", func() string { return token.New(50) })
	if err != nil {
		return nil, err
	}
	settings := mail.SettingsFrom(cfg)
	sender, err := mail.NewSender(db, settings)
	if err != nil {
		return nil, err
	}
	s := &Services{DB: db, Sessions: session.NewStore(db, secret, cfg.SessionLifetime), Mailer: mail.NewMailer(db, settings), Sender: sender}
	s.Accounts = account.NewService(db)
	if cfg.RecaptchaSiteKey != "" {
		s.Captcha = captcha.New(cfg.RecaptchaSiteKey, cfg.RecaptchaSecret, cfg.RecaptchaVerifyURL)
	}
	s.Credentials = credential.NewService(db, s.Accounts, s.Sessions, s.Mailer)
	s.Privacy = privacy.NewService(db, s.Sessions)
	s.Catalog = catalog.New(db)
	s.Promotions = promotion.NewService(db)
	s.Baskets = basket.New(db, s.Sessions, s.Promotions)
	s.Addresses = address.New(db)
	s.Wishlist = wishlist.NewService(db, s.Mailer)
	s.Support = support.NewService(db, s.Mailer)
	s.Subscriptions = subscription.NewService(db, s.Mailer)
	s.Sandbox = payment.NewSandbox(db)
	s.Stripe = payment.StripeFrom(cfg, db)
	s.Gateways = payment.Gateways(s.Sandbox, s.Stripe)
	s.Refunder = order.NewRefunder(db, s.Gateways)
	s.Restocked = func(ctx context.Context, tx *sql.Tx, productIDs []int64) error {
		_, err := s.Wishlist.FireRestocked(ctx, tx, productIDs)
		return err
	}
	s.Lifecycle = order.NewLifecycle(db, s.Mailer, s.Refunder, s.Restocked)
	s.Inventory = inventory.New(db, inventory.Restocked(s.Restocked))
	s.Webhooks = webhook.NewSender(db)
	s.Checkout = checkout.New(db, s.Sessions, s.Baskets, s.Addresses, s.Catalog, s.Gateways, s.Mailer, s.Refunder, s.Restocked)
	if cfg.StorefrontURL != "" {
		// The bank and hosted payment pages send the shopper back to the
		// storefront, whose middlewares forward the post to the checkout.
		front := strings.TrimRight(cfg.StorefrontURL, "/")
		s.Checkout.ThreeDReturnURL = front + s.Checkout.ThreeDReturnURL
		s.Checkout.HostedReturnURL = front + s.Checkout.HostedReturnURL
	}
	s.Collectors = []prometheus.Collector{order.NewRefundCollector(db), mail.NewOutboxCollector(db)}

	s.OnLogin = []func(context.Context, *session.Session) error{s.Baskets.MergeOnLogin, s.adoptGuestAddresses}
	s.OnRegister = []func(context.Context, database.Querier, *account.Customer) error{
		func(ctx context.Context, q database.Querier, c *account.Customer) error {
			return s.Credentials.QueueAccountConfirmation(ctx, q, c, c.Language)
		},
	}
	return s, nil
}

// adoptGuestAddresses moves the addresses a guest gave at checkout to the
// customer who logged in on that session.
func (s *Services) adoptGuestAddresses(ctx context.Context, sess *session.Session) error {
	key := sess.Get(address.GuestSessionKey)
	if key == "" {
		return nil
	}
	sess.Set(address.GuestSessionKey, "")
	if err := s.Addresses.AdoptGuest(ctx, s.DB, key, sess.CustomerID); err != nil {
		return err
	}
	return s.Sessions.Save(ctx, s.DB, sess)
}
