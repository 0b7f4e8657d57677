// Package session keeps visitors' sessions in the database, so any number
// of Vitrin nodes can serve one store.
//
// A guest costs nothing until there is something to keep: a new visitor gets
// a signed id and no row; the row is written on the first Save. The
// signature lets a node recognise an id it handed out (or another node did)
// without a database write, and tells a guest's id from a customer's: an id
// is marked as a guest's when it is handed out, and only Rotate, at login,
// binds a session to a customer, under a new unmarked id. So a guest's
// basket change needs no session read at all (Guest).
package session

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/token"
)

const (
	randomLen = 24
	tagLen    = 16
	idLen     = randomLen + tagLen
)

// Session is one visitor's server-side state.
type Session struct {
	ID         string
	CustomerID int64 // 0 for a guest
	ExpiresAt  time.Time
	data       map[string]string
	persisted  bool
	// Refreshed is set when the expiry moved and the cookie must be sent again.
	Refreshed bool
	// PreviousID is the id Rotate replaced, for the login hooks to find
	// what the guest kept under it (the guest basket).
	PreviousID string
	// unread is set on a guest's session made from its id alone (Guest):
	// its data was not read.
	unread bool
}

// Unread reports whether s's data was not read (see Store.Guest): Get
// would answer "" for anything.
func (s *Session) Unread() bool { return s.unread }

// IsCustomer reports whether a customer is logged in on this session.
func (s *Session) IsCustomer() bool { return s.CustomerID != 0 }

// Get returns a value kept in the session, or "".
func (s *Session) Get(key string) string { return s.data[key] }

// Set keeps a value in the session; Save writes it. An empty value deletes.
func (s *Session) Set(key, value string) {
	if value == "" {
		delete(s.data, key)
		return
	}
	if s.data == nil {
		s.data = map[string]string{}
	}
	s.data[key] = value
}

// Store loads and saves sessions.
type Store struct {
	db       *database.DB
	stmts    *database.StmtCache // Load runs on every customer request
	secret   []byte
	lifetime time.Duration
	now      func() time.Time
}

// NewStore returns a store whose ids are signed with secret.
func NewStore(db *database.DB, secret string, lifetime time.Duration) *Store {
	return &Store{db: db, stmts: database.NewStmtCache(db), secret: []byte(secret), lifetime: lifetime, now: time.Now}
}

// Lifetime is how long an unused session lives.
func (st *Store) Lifetime() time.Duration { return st.lifetime }

// guestMark is signed with a guest's id, so that its tag differs from the
// tag of a customer's id (and of ids handed out before guests were marked).
const guestMark = "guest:"

func (st *Store) tag(random string, guest bool) string {
	mac := hmac.New(sha256.New, st.secret)
	if guest {
		mac.Write([]byte(guestMark))
	}
	mac.Write([]byte(random))
	return hex.EncodeToString(mac.Sum(nil))[:tagLen]
}

// newID returns a fresh signed session id, marked as a guest's or not.
func (st *Store) newID(guest bool) string {
	random := token.New(randomLen)
	return random + st.tag(random, guest)
}

// Signed reports whether id is one this store (or a node sharing its
// secret) handed out.
func (st *Store) Signed(id string) bool {
	return st.signedAs(id, false) || st.signedAs(id, true)
}

func (st *Store) signedAs(id string, guest bool) bool {
	if len(id) != idLen || !token.IsAlnum(id) {
		return false
	}
	return hmac.Equal([]byte(id[randomLen:]), []byte(st.tag(id[:randomLen], guest)))
}

// New returns a fresh guest session that exists only in memory.
func (st *Store) New() *Session {
	return &Session{ID: st.newID(true), ExpiresAt: st.now().Add(st.lifetime)}
}

// Guest returns the session of a guest's id without reading its row, or
// nil when id is not marked as a guest's. Who the visitor is is all it
// knows (its data is unread): it serves a request that needs nothing else
// and keeps the row with Keep.
func (st *Store) Guest(id string) *Session {
	if !st.signedAs(id, true) {
		return nil
	}
	return &Session{ID: id, ExpiresAt: st.now().Add(st.lifetime), unread: true}
}

// slideBefore is the expiry before which a session's expiry is moved
// on: at most once a day per session (more often only for lifetimes under
// ten days), so a read does not cost a write on every request.
func (st *Store) slideBefore(now time.Time) time.Time {
	return now.Add(st.lifetime - min(24*time.Hour, st.lifetime/10))
}

// Load returns the session a cookie names, or a new guest session when the
// cookie is missing, forged or expired.
func (st *Store) Load(ctx context.Context, id string) (*Session, error) {
	if !st.Signed(id) {
		return st.New(), nil
	}
	now := st.now()
	var (
		customerID sql.NullInt64
		raw        string
		expires    time.Time
	)
	err := st.stmts.QueryRowContext(ctx, st.db,
		"SELECT customer_id, data, expires_at FROM sessions WHERE id = $1", id).
		Scan(&customerID, &raw, &expires)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// Handed out to a guest who has kept nothing yet.
		return &Session{ID: id, ExpiresAt: now.Add(st.lifetime)}, nil
	case err != nil:
		return nil, err
	case !expires.After(now):
		return st.New(), nil
	}
	s := &Session{ID: id, CustomerID: customerID.Int64, ExpiresAt: expires, persisted: true}
	if err := json.Unmarshal([]byte(raw), &s.data); err != nil {
		return nil, err
	}
	if expires.Before(st.slideBefore(now)) {
		s.ExpiresAt = now.Add(st.lifetime)
		if _, err := st.db.ExecContext(ctx, "UPDATE sessions SET expires_at = $1 WHERE id = $2", s.ExpiresAt.UTC(), id); err != nil {
			return nil, err
		}
		s.Refreshed = true
	}
	return s, nil
}

// Save writes the session (creating its row on first use).
func (st *Store) Save(ctx context.Context, q database.Querier, s *Session) error {
	if s.unread {
		// Its data would overwrite the row's with nothing.
		return errors.New("session: save of a session whose data was not read")
	}
	_, err := q.ExecContext(ctx, `INSERT INTO sessions (id, customer_id, data, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, data = excluded.data, expires_at = excluded.expires_at`,
		s.ID, nullID(s.CustomerID), s.encode(), st.now().UTC(), s.ExpiresAt.UTC())
	if err == nil {
		s.persisted = true
	}
	return err
}

// Keep adds to b the writing of s's row when it has none yet (a guest who
// starts a basket keeps a session, without a round trip of its own), or
// the sliding of its expiry when it is due (see slideBefore). A row some
// other request wrote meanwhile is otherwise left as it is, so a guest's
// session known by its id alone (Guest) keeps its data; but a row that
// expired starts again empty, as Load would start a new session.
func (st *Store) Keep(b *database.Batch, s *Session) {
	if s.persisted {
		return
	}
	now := st.now().UTC()
	b.Query(func(database.Scanner) error { s.Refreshed = true; return nil },
		`INSERT INTO sessions (id, customer_id, data, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at,
			data = CASE WHEN sessions.expires_at <= excluded.created_at THEN excluded.data ELSE sessions.data END
		WHERE sessions.expires_at < $6 AND sessions.customer_id IS NULL
		RETURNING id`, s.ID, nullID(s.CustomerID), s.encode(), now, s.ExpiresAt.UTC(), st.slideBefore(now))
}

// encode is s's data as its row keeps it (a map of strings always
// encodes).
func (s *Session) encode() string {
	if s.data == nil {
		return "{}"
	}
	raw, _ := json.Marshal(s.data)
	return string(raw)
}

// Rotate replaces the session's id, carrying its data over to the new one,
// and binds it to customerID (0 for a guest). The old id stops working.
// It is the step of login and logout.
func (st *Store) Rotate(ctx context.Context, q database.Querier, s *Session, customerID int64) error {
	if s.persisted {
		if _, err := q.ExecContext(ctx, "DELETE FROM sessions WHERE id = $1", s.ID); err != nil {
			return err
		}
	}
	s.PreviousID, s.ID = s.ID, st.newID(customerID == 0)
	s.CustomerID = customerID
	s.ExpiresAt = st.now().Add(st.lifetime)
	s.persisted = false
	return st.Save(ctx, q, s)
}

// End is the step of logout: the session's row is deleted and s becomes a
// fresh, empty guest session under a new id, which costs no row until
// there is something to keep.
func (st *Store) End(ctx context.Context, q database.Querier, s *Session) error {
	if s.persisted {
		if _, err := q.ExecContext(ctx, "DELETE FROM sessions WHERE id = $1", s.ID); err != nil {
			return err
		}
	}
	*s = *st.New()
	return nil
}

// EndCustomerSessions deletes every session of a customer except keepID
// (password reset, anonymisation).
func (st *Store) EndCustomerSessions(ctx context.Context, q database.Querier, customerID int64, keepID string) error {
	_, err := q.ExecContext(ctx, "DELETE FROM sessions WHERE customer_id = $1 AND id <> $2", customerID, keepID)
	return err
}

// Purge deletes expired sessions and reports how many.
func (st *Store) Purge(ctx context.Context) (int64, error) {
	res, err := st.db.ExecContext(ctx, "DELETE FROM sessions WHERE expires_at < $1", st.now().UTC())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
