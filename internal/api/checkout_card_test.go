package api

import (
	"bytes"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/vitrin/vitrin/internal/database"
)

// No card number is stored or logged: after card payments (approved,
// through 3-D Secure, declined) no table and no log line holds one; the
// order keeps the brand and the last four digits.
func TestCheckoutKeepsNoCardNumber(t *testing.T) {
	var logged bytes.Buffer
	previous := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(previous) })

	cs := newCheckoutStore(t)
	numbers := []string{"4242 4242 4242 4242", "4000 0000 0000 3220", "4000 0000 0000 0002"}
	id, _ := placed(t, payByCard(t, cs, cs.buyer(t, false, "ada@example.com", "TEE-B", 1), numbers[0], 1, false))
	guest := cs.buyer(t, true, "guest@example.com", "TEE-B", 1)
	placed(t, threeD(t, guest, payByCard(t, cs, guest, numbers[1], 1, true), "approve"))
	payByCard(t, cs, cs.buyer(t, false, "eve@example.com", "TEE-B", 1), numbers[2], 1, false).must(t, 400)

	var brand, lastFour string
	if err := cs.db.QueryRow("SELECT card_brand, card_last_four FROM orders WHERE id = $1", id).Scan(&brand, &lastFour); err != nil {
		t.Fatal(err)
	}
	if brand == "" || lastFour != "4242" {
		t.Fatalf("order keeps brand %q and last four %q", brand, lastFour)
	}
	var stored strings.Builder
	for _, table := range tables(t, cs.db) {
		rows, err := cs.db.Query("SELECT * FROM " + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		values := make([]any, len(cols))
		for i := range values {
			values[i] = new(any)
		}
		for rows.Next() {
			if err := rows.Scan(values...); err != nil {
				t.Fatal(err)
			}
			for _, v := range values {
				fmt.Fprintf(&stored, "%s\n", *v.(*any))
			}
		}
		rows.Close()
	}
	// The scans see what they should: the orders' last digits, the requests.
	if !strings.Contains(stored.String(), "3220") || !strings.Contains(logged.String(), "/orders/checkout/") {
		t.Fatal("the table or log scan sees nothing")
	}
	for _, n := range numbers {
		for _, form := range []string{n, strings.ReplaceAll(n, " ", "")} {
			if strings.Contains(stored.String(), form) {
				t.Errorf("card number %s stored", form)
			}
			if strings.Contains(logged.String(), form) {
				t.Errorf("card number %s logged", form)
			}
		}
	}
}

// tables lists the store's tables on either engine.
func tables(t *testing.T, db *database.DB) []string {
	t.Helper()
	query := "SELECT name FROM sqlite_master WHERE type = 'table'"
	if db.Engine == database.Postgres {
		query = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
	}
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name sql.NullString
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		out = append(out, name.String)
	}
	return out
}
