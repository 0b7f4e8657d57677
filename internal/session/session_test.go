package session

import (
	"context"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/testdb"
)

func TestSessionLifecycle(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	for _, lifetime := range []time.Duration{336 * time.Hour, time.Hour} {
		now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
		st := NewStore(db, "secret", lifetime)
		st.now = func() time.Time { return now }

		guest := st.New()
		if !st.Signed(guest.ID) || st.Signed(guest.ID[:len(guest.ID)-1]+"x") || NewStore(db, "other", lifetime).Signed(guest.ID) {
			t.Fatal("signature check")
		}
		guest.Set("note", "kept")
		if err := st.Save(ctx, db, guest); err != nil {
			t.Fatal(err)
		}

		// A read soon after costs no write; one after a tenth of the
		// lifetime (at most a day) slides the expiry.
		now = now.Add(lifetime / 20)
		s, err := st.Load(ctx, guest.ID)
		if err != nil || s.Refreshed || s.Get("note") != "kept" {
			t.Fatalf("%v: early load: %+v %v", lifetime, s, err)
		}
		now = now.Add(min(24*time.Hour, lifetime/10))
		if s, err = st.Load(ctx, guest.ID); err != nil || !s.Refreshed || !s.ExpiresAt.Equal(now.Add(lifetime)) {
			t.Fatalf("%v: sliding load: %+v %v", lifetime, s, err)
		}

		// Rotation: a new id with the data; the old id is a blank guest.
		oldID := s.ID
		if err := st.Rotate(ctx, db, s, 0); err != nil || s.ID == oldID {
			t.Fatal("rotate", err)
		}
		if old, _ := st.Load(ctx, oldID); old.Get("note") != "" {
			t.Fatal("the old id still carries the data")
		}

		// Expired: a new session, and Purge deletes the row.
		now = now.Add(lifetime + time.Second)
		if s, err := st.Load(ctx, s.ID); err != nil || s.Get("note") != "" {
			t.Fatalf("expired session loaded: %+v %v", s, err)
		}
		if n, err := st.Purge(ctx); err != nil || n == 0 {
			t.Fatalf("purge: %d %v", n, err)
		}
	}
}

// TestGuestIDs: a guest's id is marked as such and known without a read;
// the id login gives is not; a session known by its id alone is never
// saved over its row, and Keep writes or slides the row without touching
// its data.
func TestGuestIDs(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	st := NewStore(db, "secret", 336*time.Hour)
	st.now = func() time.Time { return now }
	if _, err := db.ExecContext(ctx, `INSERT INTO customers (email, email_lower, date_joined) VALUES ('g@example.com', 'g@example.com', $1)`, now); err != nil {
		t.Fatal(err)
	}

	guest := st.New()
	if g := st.Guest(guest.ID); g == nil || !g.Unread() || g.IsCustomer() {
		t.Fatalf("a new visitor's id is not known as a guest's: %+v", g)
	}
	if NewStore(db, "other", time.Hour).Guest(guest.ID) != nil {
		t.Fatal("an id signed with another secret passed as a guest's")
	}
	if err := st.Save(ctx, db, st.Guest(guest.ID)); err == nil {
		t.Fatal("a session whose data was not read was saved")
	}

	keep := func(s *Session) bool {
		t.Helper()
		b := database.NewBatch(database.NewStmtCache(db))
		st.Keep(b, s)
		if err := db.RunRelaxed(ctx, b); err != nil {
			t.Fatal(err)
		}
		return s.Refreshed
	}
	if !keep(st.Guest(guest.ID)) {
		t.Fatal("Keep wrote no row for a new guest")
	}
	loaded, err := st.Load(ctx, guest.ID)
	if err != nil || loaded.IsCustomer() || loaded.Refreshed {
		t.Fatalf("the kept row: %+v %v", loaded, err)
	}
	loaded.Set("currency", "USD")
	if err := st.Save(ctx, db, loaded); err != nil {
		t.Fatal(err)
	}
	if keep(st.Guest(guest.ID)) {
		t.Fatal("Keep wrote a row that needed nothing")
	}
	now = now.Add(25 * time.Hour)
	if !keep(st.Guest(guest.ID)) {
		t.Fatal("Keep did not slide a day-old expiry")
	}
	if s, _ := st.Load(ctx, guest.ID); s.Get("currency") != "USD" || !s.ExpiresAt.Equal(now.Add(st.lifetime)) {
		t.Fatalf("after Keep: %+v", s)
	}
	// An expired row is not brought back to life with its data.
	now = now.Add(st.lifetime + time.Hour)
	if !keep(st.Guest(guest.ID)) {
		t.Fatal("Keep did not renew an expired row")
	}
	if s, _ := st.Load(ctx, guest.ID); s.Get("currency") != "" {
		t.Fatalf("an expired session's data came back: %+v", s)
	}

	if err := st.Rotate(ctx, db, loaded, 1); err != nil {
		t.Fatal(err)
	}
	if st.Guest(loaded.ID) != nil || !st.Signed(loaded.ID) {
		t.Fatal("a customer's id passed as a guest's, or not as signed")
	}
	if err := st.Rotate(ctx, db, loaded, 0); err != nil || st.Guest(loaded.ID) == nil {
		t.Fatalf("a rotation to a guest gave an unmarked id: %v", err)
	}
}

// BenchmarkLoad is the session lookup every customer request makes.
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	db := testdb.Open(b)
	st := NewStore(db, "secret", 336*time.Hour)
	for _, customer := range []bool{false, true} {
		s := st.New()
		s.Set("basket", "42")
		if err := st.Save(ctx, db, s); err != nil {
			b.Fatal(err)
		}
		name := "guest"
		if customer {
			name = "customer"
			if _, err := db.ExecContext(ctx, `INSERT INTO customers (email, email_lower, date_joined) VALUES ('b@example.com', 'b@example.com', $1)`, time.Now().UTC()); err != nil {
				b.Fatal(err)
			}
			if err := st.Rotate(ctx, db, s, 1); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := st.Load(ctx, s.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("unsigned", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			st.Load(ctx, "forged-id")
		}
	})
}
