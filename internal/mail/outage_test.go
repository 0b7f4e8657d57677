package mail

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/mailtest"
	"github.com/vitrin/vitrin/internal/testdb"
)

// TestMeasureOutage is a measurement, not a check of timing: with the
// production settings it queues mails while the SMTP server is down for
// VITRIN_MEASURE_OUTAGE (e.g. 120s), brings it back and logs how long the
// backlog took to drain and how often each mail was tried. It asserts
// only that every mail arrived exactly once. Run it with -v.
func TestMeasureOutage(t *testing.T) {
	outage, err := time.ParseDuration(os.Getenv("VITRIN_MEASURE_OUTAGE"))
	if err != nil {
		t.Skip("set VITRIN_MEASURE_OUTAGE=120s to measure an SMTP outage")
	}
	mp := mailtest.Start(t)
	db := testdb.Open(t)
	settings := Settings{SMTPURL: mp.SMTPURL(), From: "shop@example.com", StorefrontURL: "https://shop.example"}
	sender, err := NewSender(db, settings)
	if err != nil {
		t.Fatal(err)
	}
	mp.Stop()
	const before, during = 500, 500
	prefix := queue(t, NewMailer(db, settings), before)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); sender.Run(ctx) }()
	defer func() { cancel(); wg.Wait() }()
	// More mails keep coming while the server is down.
	time.Sleep(outage / 2)
	prefix2 := queue(t, NewMailer(db, settings), during)
	time.Sleep(outage - outage/2)
	var attempts int
	db.QueryRow("SELECT COALESCE(SUM(attempts), 0) FROM mail_outbox").Scan(&attempts)
	back := time.Now()
	mp.Restart()
	for {
		var pending int
		db.QueryRow("SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL").Scan(&pending)
		if pending == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	drain := time.Since(back)
	got := received(t, mp)
	dupes, missing := 0, 0
	for _, batch := range []struct {
		prefix string
		n      int
	}{{prefix, before}, {prefix2, during}} {
		for i := 0; i < batch.n; i++ {
			switch c := got[fmt.Sprintf("%s-%d@example.com", batch.prefix, i)]; {
			case c == 0:
				missing++
			case c > 1:
				dupes += c - 1
			}
		}
	}
	t.Logf("engine %s: %d mails queued over a %s outage; %d delivery attempts during it (%.2f per mail); "+
		"all delivered %s after the server came back; %d missing, %d duplicates",
		db.Engine, before+during, outage, attempts, float64(attempts)/float64(before+during), drain.Round(time.Millisecond), missing, dupes)
	if missing+dupes > 0 {
		t.Fail()
	}
}
