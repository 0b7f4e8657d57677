// Package catalog answers the storefront's catalog reads: listings with
// disjunctive facets, search, autocomplete, product pages with variants,
// menus, breadcrumbs, pretty URLs, content pages, retail stores and
// geography.
//
// Listings, facets, search and autocomplete never scan SQL per request:
// each node holds a read model of the catalog (Model) built from the shared
// database and rebuilt when the settings row "catalog_version" changes (the
// importer bumps it in every import transaction). Before answering, every
// request learns the current version from the database, so no node answers
// from a model older than the last finished import; concurrent requests
// share one version query (see versionGate), and on SQLite the query is
// skipped while the WAL index shows no commit (see sqliteChanges), which
// keeps that check cheap. The same check yields the database epoch, which
// tells when nothing at all was committed since an answer was made. Answers are cached per model (responseCache), so
// a new model starts with an empty cache.
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
	"strings"
	"sync"
	"sync/atomic"

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
	rebuild  sync.Mutex // one rebuild at a time

	prepare     sync.Once
	versionStmt *sql.Stmt
	prepareErr  error
	// Change detection, used by the gate's rounds only: on SQLite the WAL
	// index (nil when unavailable), on PostgreSQL the transaction snapshot.
	changes   *sqliteChanges
	snapshots snapshotEpochs
}

// New returns the catalog of the store in db. The read model is built on
// first use.
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
	st, err := loadStoreSettings(ctx, s.db)
	if err != nil {
		// Not kept: the next request tries the database again.
		return StoreSettings{DefaultCurrency: "TRY", Currencies: []string{"TRY"}, DefaultLanguage: "tr-tr", Languages: []string{"tr-tr"}}
	}
	s.settings.CompareAndSwap(nil, &st)
	return st
}

// Current returns the read model for the catalog version in the database
// now, rebuilding it first when an import changed the catalog.
func (s *Service) Current(ctx context.Context) (*Model, error) {
	m, _, err := s.Fresh(ctx)
	return m, err
}

// Epoch names a state of the whole database: while it stays the same,
// nothing was committed, so any answer computed under it (stock included)
// is still right. It comes from the SQLite WAL index or the PostgreSQL
// transaction snapshot; 0 means unknown, and nothing may be assumed.
type Epoch uint64

// Fresh is Current with the database epoch it was checked at.
func (s *Service) Fresh(ctx context.Context) (*Model, Epoch, error) {
	st, err := s.gate.current(ctx)
	if err != nil {
		return nil, 0, err
	}
	m, err := s.modelFor(ctx, st.version)
	return m, st.epoch, err
}

func (s *Service) modelFor(ctx context.Context, version int64) (*Model, error) {
	if m := s.model.Load(); m != nil && m.Version >= version {
		return m, nil
	}
	s.rebuild.Lock()
	defer s.rebuild.Unlock()
	if m := s.model.Load(); m != nil && m.Version >= version {
		return m, nil // another request rebuilt it meanwhile
	}
	// The build serves every waiting request: one leaving must not stop it.
	return s.install(context.WithoutCancel(ctx), version)
}

// install builds the model of version and makes it current; the caller
// holds s.rebuild.
func (s *Service) install(ctx context.Context, version int64) (*Model, error) {
	m, err := load(ctx, s.db, s.promos, version)
	if err != nil {
		return nil, err
	}
	s.model.Store(m)
	s.settings.Store(&m.Store)
	return m, nil
}

func loadStoreSettings(ctx context.Context, q database.Querier) (StoreSettings, error) {
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
	s.rebuild.Lock()
	defer s.rebuild.Unlock()
	return s.install(ctx, version)
}
