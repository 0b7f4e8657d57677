package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/database"
)

// invariant is one check from the database, with what broke it.
type invariant struct {
	name   string
	broken []string
}

type report []invariant

func (r report) broken() int {
	n := 0
	for _, inv := range r {
		if len(inv.broken) > 0 {
			n++
		}
	}
	return n
}

func (r report) ok() bool { return r.broken() == 0 }

func stockLevels(ctx context.Context, db *database.DB) (map[int64]int64, error) {
	rows, err := db.QueryContext(ctx, "SELECT id, stock FROM products")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	levels := map[int64]int64{}
	for rows.Next() {
		var id, stock int64
		if err := rows.Scan(&id, &stock); err != nil {
			return nil, err
		}
		levels[id] = stock
	}
	return levels, rows.Err()
}

// checkInvariants checks, once the load has stopped and the mail queue
// has drained (or o.mailDrain has passed), that nothing was lost.
func checkInvariants(ctx context.Context, db *database.DB, o options, rec *recorder, initial map[int64]int64) report {
	checks := []struct {
		name string
		run  func() ([]string, error)
	}{
		{fmt.Sprintf("every thank-you'd order (%d) exists, whole, with its payment", len(rec.orders)),
			func() ([]string, error) { return thankedOrders(ctx, db, rec.orders) }},
		{"stock = initial - sold, for every product", func() ([]string, error) { return stock(ctx, db, initial) }},
		{"no payment without an order", func() ([]string, error) {
			return rowsOf(ctx, db, `SELECT c.reference FROM sandbox_charges c
				WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.gateway_reference = c.reference)`)
		}},
		{"no order charged twice", func() ([]string, error) {
			return rowsOf(ctx, db, `SELECT gateway_reference FROM orders WHERE gateway_reference <> ''
				GROUP BY gateway_reference HAVING COUNT(*) > 1`)
		}},
		{"every mail queued was delivered once", func() ([]string, error) { return mailDelivered(ctx, db, o) }},
	}
	var r report
	for _, c := range checks {
		broken, err := c.run()
		if err != nil {
			broken = append(broken, "check failed: "+err.Error())
		}
		r = append(r, invariant{c.name, broken})
	}
	return r
}

func rowsOf(ctx context.Context, db *database.DB, query string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// thankedOrders: the order exists, is not pending, has its lines, and a
// card order has its sandbox charge for the order's amount.
func thankedOrders(ctx context.Context, db *database.DB, orders []thankedOrder) ([]string, error) {
	var broken []string
	for _, o := range orders {
		var status, reference string
		var amount, lines int64
		err := db.QueryRowContext(ctx, `SELECT status, gateway_reference, amount,
			(SELECT COUNT(*) FROM order_items i WHERE i.order_id = o.id) FROM orders o WHERE token = $1`, o.token).
			Scan(&status, &reference, &amount, &lines)
		if err != nil {
			broken = append(broken, fmt.Sprintf("order %s (%s): %v", o.token, o.payment, err))
			continue
		}
		if status == "pending" || lines == 0 {
			broken = append(broken, fmt.Sprintf("order %s (%s): status %s, %d lines", o.token, o.payment, status, lines))
		}
		if o.payment != "credit_card" {
			continue
		}
		var charged int64
		if err := db.QueryRowContext(ctx, "SELECT amount FROM sandbox_charges WHERE reference = $1", reference).Scan(&charged); err != nil || charged != amount {
			broken = append(broken, fmt.Sprintf("order %s: charge %q of %d for an amount of %d (%v)", o.token, reference, charged, amount, err))
		}
	}
	return broken, nil
}

// stock: what each product lost is what its orders hold (cancelled
// orders gave theirs back; released ones are gone with their lines).
func stock(ctx context.Context, db *database.DB, initial map[int64]int64) ([]string, error) {
	now, err := stockLevels(ctx, db)
	if err != nil {
		return nil, err
	}
	sold := map[int64]int64{}
	rows, err := db.QueryContext(ctx, `SELECT i.product_id, SUM(i.quantity) FROM order_items i JOIN orders o ON o.id = i.order_id
		WHERE o.status <> 'cancelled' GROUP BY i.product_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		sold[id] = n
	}
	var broken []string
	for id, before := range initial {
		if now[id] != before-sold[id] {
			broken = append(broken, fmt.Sprintf("product %d: stock %d, want %d - %d sold", id, now[id], before, sold[id]))
		}
	}
	return broken, rows.Err()
}

// mailDelivered waits for the outbox to drain, then finds each queued
// mail's Message-ID in mailpit exactly once.
func mailDelivered(ctx context.Context, db *database.DB, o options) ([]string, error) {
	deadline := time.Now().Add(o.mailDrain)
	for {
		var waiting int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL").Scan(&waiting); err != nil {
			return nil, err
		}
		if waiting == 0 {
			break
		}
		if time.Now().After(deadline) {
			return []string{fmt.Sprintf("%d mails still queued after %s", waiting, o.mailDrain)}, nil
		}
		log.Printf("%d mails queued", waiting)
		time.Sleep(5 * time.Second)
	}
	queued, err := rowsOf(ctx, db, "SELECT message_id FROM mail_outbox")
	if err != nil {
		return nil, err
	}
	delivered, err := mailpitMessageIDs()
	if err != nil {
		return nil, err
	}
	var broken []string
	for _, id := range queued {
		if n := delivered[trimBrackets(id)]; n != 1 {
			broken = append(broken, fmt.Sprintf("mail %s delivered %d times", id, n))
		}
	}
	failed, err := rowsOf(ctx, db, "SELECT message_id FROM mail_outbox WHERE failed_at IS NOT NULL")
	for _, id := range failed {
		broken = append(broken, "mail "+id+" failed for good")
	}
	return broken, err
}

func mailpitMessageIDs() (map[string]int, error) {
	ids := map[string]int{}
	for start := 0; ; start += 500 {
		res, err := http.Get(fmt.Sprintf("http://127.0.0.1:8125/api/v1/messages?start=%d&limit=500", start))
		if err != nil {
			return nil, err
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var page struct {
			Messages []struct{ MessageID string }
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return nil, fmt.Errorf("mailpit: %v: %s", err, raw)
		}
		for _, m := range page.Messages {
			ids[trimBrackets(m.MessageID)]++
		}
		if len(page.Messages) < 500 {
			return ids, nil
		}
	}
}

func printInvariants(w io.Writer, r report) {
	fmt.Fprintln(w)
	for _, inv := range r {
		mark := "ok    "
		if len(inv.broken) > 0 {
			mark = "BROKEN"
		}
		fmt.Fprintf(w, "%s %s\n", mark, inv.name)
		for i, b := range inv.broken {
			if i == 10 {
				fmt.Fprintf(w, "         … %d more\n", len(inv.broken)-10)
				break
			}
			fmt.Fprintf(w, "         %s\n", strings.TrimSpace(b))
		}
	}
}
