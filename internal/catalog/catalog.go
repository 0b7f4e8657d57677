// Package catalog answers the storefront's catalog reads: listings with
// disjunctive facets, search, autocomplete, product pages with variants,
// menus, breadcrumbs, pretty URLs, content pages, retail stores and
// geography.
//
// Listings, facets, search and autocomplete never scan SQL per request:
// each node holds a read model of the catalog (Model) built from the shared
// database, at start (the node is not ready before). Every transaction
// that changes catalog rows bumps the settings row "catalog_version" and
// logs which products it changed (RecordChanges, changes.go). A node that
// sees a newer version, on a request (the check is cheap: concurrent
// requests share one query, see versionGate, and on SQLite it is skipped
// while the WAL index shows no commit, see sqliteChanges) or at the latest
// after RefreshPeriod (Refresh), updates its model in the background:
// it reloads just the changed products into a copy of the model, or builds
// a new model beside the one serving when more than products changed.
// Requests never wait for that; they are answered from the model being
// served until the new one is swapped in whole. The same check yields the
// database epoch, which tells when nothing at all was committed since an
// answer was made. Answers are cached per model (responseCache), so a new
// model starts with an empty cache.
//
// Stock: orders decrement products.stock without bumping the version, so
// the model's stock is the stock as of the last import and is never shown.
// Listings and product pages read the current stock of the products they
// show (one indexed query), except while the database epoch shows that
// nothing at all was committed since the same answer was made: a sale shows
// on the next request.
package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/promotion"
)

// Service owns the node's read model and the reads that go to SQL.
type Service struct {
	db     *database.DB
	gate   *versionGate
	promos *promotion.Service // the offers shown on product cards

	// model and settings are read without locks on every request.
	model    atomic.Pointer[Model]
	settings atomic.Pointer[StoreSettings]
	update   sync.Mutex  // one build or apply at a time
	updating atomic.Bool // a background update is running
	builds   atomic.Int64

	prepare     sync.Once
	versionStmt *sql.Stmt
	prepareErr  error
	// Change detection, used by the gate's rounds only: on SQLite the WAL
	// index (nil when unavailable), on PostgreSQL the transaction snapshot.
	changes   *sqliteChanges
	snapshots snapshotEpochs
}

// New returns the catalog of the store in db. Sync builds its first read
// model (the server calls it at start); until then the first request
// builds it.
func New(db *database.DB) *Service {
	s := &Service{db: db, promos: promotion.NewService(db)}
	s.gate = newVersionGate(s.currentState)
	return s
}

// StoreSettings are the store-wide choices that shape every answer.
type StoreSettings struct {
	Name            string
	DefaultCurrency string
	Currencies      []string
	DefaultLanguage string
	Languages       []string
	Country         string
}

// Currency returns the store currency that code names (any case), or ""
// when the store does not sell in it.
func (st StoreSettings) Currency(code string) string {
	code = strings.ToUpper(strings.TrimSpace(code))
	for _, c := range st.Currencies {
		if c == code {
			return c
		}
	}
	return ""
}

// Language returns the store language that tag names ("en-US", "en"), or
// "" when the store has no such language.
func (st StoreSettings) Language(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if tag == "" {
		return ""
	}
	for _, l := range st.Languages {
		if l == tag {
			return l
		}
	}
	primary, _, _ := strings.Cut(tag, "-")
	for _, l := range st.Languages {
		if p, _, _ := strings.Cut(l, "-"); p == primary {
			return l
		}
	}
	return ""
}

// Settings returns the store settings as of the last model build, reading
// them from the database when no model exists yet. Locale resolution calls
// this on every request, so it does not check the catalog version itself.
func (s *Service) Settings(ctx context.Context) StoreSettings {
	if st := s.settings.Load(); st != nil {
		return *st
	}
	st, err := LoadStoreSettings(ctx, s.db)
	if err != nil {
		// Not kept: the next request tries the database again.
		return StoreSettings{DefaultCurrency: "TRY", Currencies: []string{"TRY"}, DefaultLanguage: "tr-tr", Languages: []string{"tr-tr"}}
	}
	s.settings.CompareAndSwap(nil, &st)
	return st
}

// Current returns the read model being served.
func (s *Service) Current(ctx context.Context) (*Model, error) {
	m, _, err := s.Fresh(ctx)
	return m, err
}

// Served is the model being served, without asking the database for a
// newer version (Current does, and starts the update it finds, but answers
// from the same model meanwhile; the refresh loop finds it within
// RefreshPeriod anyway). For answers that take every price and stock from
// the database and the model only for product cards and options (baskets,
// checkout pages): it saves them a round trip. A node without a model yet
// syncs first, as Current does.
func (s *Service) Served(ctx context.Context) (*Model, error) {
	if m := s.model.Load(); m != nil {
		return m, nil
	}
	return s.Current(ctx)
}

// Epoch names a state of the whole database: while it stays the same,
// nothing was committed, so any answer computed under it (stock included)
// is still right. It comes from the SQLite WAL index or the PostgreSQL
// transaction snapshot; 0 means unknown, and nothing may be assumed.
type Epoch uint64

// Fresh is Current with the database epoch it was checked at. It never
// waits for a model to be built, except on a node that has none yet
// (which is not ready, so a balancer sends it nothing): when the database
// holds a newer catalog version, it answers from the model it has and
// starts the update in the background.
func (s *Service) Fresh(ctx context.Context) (*Model, Epoch, error) {
	st, err := s.gate.current(ctx)
	if err != nil {
		return nil, 0, err
	}
	m := s.model.Load()
	if m == nil {
		if m, err = s.Sync(ctx); err != nil {
			return nil, 0, err
		}
	}
	if m.Version < st.version {
		s.updateInBackground()
	}
	return m, st.epoch, nil
}

// Ready reports whether the node has a model to serve from.
func (s *Service) Ready() bool { return s.model.Load() != nil }

// Builds counts the full builds of the model so far (an applied change
// is not one).
func (s *Service) Builds() int64 { return s.builds.Load() }

// Sync brings the model up to the catalog version in the database now and
// returns it: by applying the changes logged since the model's version,
// or by building a new model. The model being replaced serves meanwhile.
func (s *Service) Sync(ctx context.Context) (*Model, error) {
	s.update.Lock()
	defer s.update.Unlock()
	// The update serves every request to come: one leaving must not stop it.
	ctx = context.WithoutCancel(ctx)
	version, err := s.readVersion(ctx)
	if err != nil {
		return nil, err
	}
	m := s.model.Load()
	if m != nil && m.Version >= version {
		return m, nil
	}
	var next *Model
	if m != nil {
		if next, err = m.applyChanges(ctx, s.db, version); err != nil {
			return nil, err
		}
	}
	if next == nil {
		return s.install(ctx, version)
	}
	next.installed = time.Now()
	s.model.Store(next)
	return next, nil
}

// minModelLife is how long a model serves at least before a request
// starts its update: under a stream of changes (an ERP's feed) each swap
// empties the answer cache, so a node takes the changes of this period
// together, well within RefreshPeriod.
const minModelLife = 200 * time.Millisecond

// updateInBackground starts Sync unless one is running already.
func (s *Service) updateInBackground() {
	if !s.updating.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer s.updating.Store(false)
		if m := s.model.Load(); m != nil {
			time.Sleep(minModelLife - time.Since(m.installed))
		}
		if _, err := s.Sync(context.Background()); err != nil {
			slog.Warn("catalog: updating the read model", "err", err)
		}
	}()
}

// RefreshPeriod bounds how stale a node's catalog may be: every node
// checks the catalog version this often (and on every request), so a
// change is served everywhere within about this period plus the time to
// apply it (milliseconds for a few products, a build for a new category).
const RefreshPeriod = time.Second

// Refresh keeps the model up to date until ctx ends, checking the catalog
// version every period even when no request comes.
func (s *Service) Refresh(ctx context.Context, period time.Duration) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if _, err := s.Sync(ctx); err != nil && ctx.Err() == nil {
				slog.Warn("catalog: refreshing the read model", "err", err)
			}
		}
	}
}

// install builds the model of version and makes it current; the caller
// holds s.update.
func (s *Service) install(ctx context.Context, version int64) (*Model, error) {
	m, err := load(ctx, s.db, s.promos, version, s.model.Load())
	if err != nil {
		return nil, err
	}
	s.builds.Add(1)
	m.installed = time.Now()
	s.model.Store(m)
	s.settings.Store(&m.Store)
	return m, nil
}

// LoadStoreSettings reads the store's currencies, languages and country.
func LoadStoreSettings(ctx context.Context, q database.Querier) (StoreSettings, error) {
	var st StoreSettings
	var currencies, languages string
	err := q.QueryRowContext(ctx, `SELECT name, default_currency, currencies, default_language, languages, country FROM store WHERE id = 1`).
		Scan(&st.Name, &st.DefaultCurrency, &currencies, &st.DefaultLanguage, &languages, &st.Country)
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
		st = StoreSettings{DefaultCurrency: "TRY", DefaultLanguage: "tr-tr", Country: "tr"}
		currencies, languages = "[]", "[]"
	}
	if err != nil {
		return st, err
	}
	_ = json.Unmarshal([]byte(currencies), &st.Currencies)
	_ = json.Unmarshal([]byte(languages), &st.Languages)
	st.DefaultCurrency = strings.ToUpper(st.DefaultCurrency)
	st.DefaultLanguage = strings.ToLower(st.DefaultLanguage)
	for i := range st.Currencies {
		st.Currencies[i] = strings.ToUpper(st.Currencies[i])
	}
	for i := range st.Languages {
		st.Languages[i] = strings.ToLower(st.Languages[i])
	}
	if st.Currency(st.DefaultCurrency) == "" {
		st.Currencies = append(st.Currencies, st.DefaultCurrency)
	}
	if st.Language(st.DefaultLanguage) == "" {
		st.Languages = append(st.Languages, st.DefaultLanguage)
	}
	return st, nil
}

// Rebuild builds the model afresh from the database, whatever the version.
func (s *Service) Rebuild(ctx context.Context) (*Model, error) {
	version, err := s.readVersion(ctx)
	if err != nil {
		return nil, err
	}
	s.update.Lock()
	defer s.update.Unlock()
	return s.install(ctx, version)
}
