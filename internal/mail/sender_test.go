package mail

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/mailtest"
	"github.com/vitrin/vitrin/internal/testdb"
	"github.com/vitrin/vitrin/internal/token"
)

func TestEveryTemplateInEveryLanguage(t *testing.T) {
	data := map[string]any{
		"Store": "Mağaza", "Name": "Ada", "Link": "https://shop.example/x/?a=1&b=2", "Hours": 1, "Email": "a@example.com",
		"FullName": "Ada <script>", "Phone": "", "Customer": "guest", "Subject": "Genel", "Order": "", "Message": "<b>hi</b>",
		"Product": "Elbise", "UnsubscribeLink": "https://shop.example/u/", "Number": "V-1", "Discount": "5.00 TRY",
		"Items": []struct {
			Name     string
			Quantity int
			Total    string
		}{{"Elbise <i>", 1, "100.00 TRY"}}, "Shipping": "0.00 TRY", "Amount": "95.00 TRY",
		"Bank":    map[string]string{"Bank": "Banka", "Holder": "Mağaza", "IBAN": "TR00"},
		"Carrier": "Aras <b>", "TrackingNumber": "AR1", "TrackingURL": "https://track.example/AR1", "Count": 2, "Partial": true,
		"Reason": "<b>hi</b>", "Whole": false,
	}
	for _, name := range []string{"password_reset", "email_change", "email_changed", "account_confirm", "contact_message", "stock_alert", "subscription_confirm", "order_placed",
		"order_shipped", "order_cancelled"} {
		for _, lang := range []string{"tr-tr", "en-us"} {
			r, err := render(name, lang, data)
			if err != nil {
				t.Errorf("%s.%s: %v", name, lang, err)
				continue
			}
			if r.subject == "" || strings.ContainsAny(r.subject, "\r\n") || r.text == "" || !strings.Contains(r.html, "</html>") {
				t.Errorf("%s.%s: incomplete: %q / %q", name, lang, r.subject, r.text)
			}
			if strings.Contains(r.html, "<script>") || strings.Contains(r.html, "<b>hi</b>") {
				t.Errorf("%s.%s: HTML not escaped: %s", name, lang, r.html)
			}
		}
	}
	if len(templates) != 20 {
		t.Errorf("%d template files, want 10 templates × 2 languages", len(templates))
	}
}

func TestLanguage(t *testing.T) {
	for _, tt := range []struct{ lang, store, want string }{
		{"en-us", "tr-tr", "en-us"}, {"EN-GB", "tr-tr", "en-us"}, {"tr", "en-us", "tr-tr"},
		{"de-de", "en-us", "en-us"}, {"", "", "tr-tr"}, {"undefined", "tr-tr", "tr-tr"},
	} {
		if got := Language(tt.lang, tt.store); got != tt.want {
			t.Errorf("Language(%q, %q) = %q, want %q", tt.lang, tt.store, got, tt.want)
		}
	}
}

func TestSMTPURL(t *testing.T) {
	for _, tt := range []struct {
		url, addr    string
		tls, implied bool
		bad          bool
	}{
		{url: "smtp://127.0.0.1:1025", addr: "127.0.0.1:1025"},
		{url: "smtp://mail.example", addr: "mail.example:25"},
		{url: "smtp://u:p@mail.example:587?starttls=require", addr: "mail.example:587", tls: true},
		{url: "smtps://u:p@mail.example", addr: "mail.example:465", implied: true},
		{url: "smtp://mail.example?starttls=maybe", bad: true},
		{url: "http://mail.example", bad: true},
		{url: "smtp://", bad: true},
	} {
		tr, err := NewSMTPTransport(tt.url)
		if tt.bad {
			if err == nil {
				t.Errorf("%s: accepted", tt.url)
			}
			continue
		}
		if err != nil || tr.addr != tt.addr || tr.starttls != tt.tls || tr.implicit != tt.implied {
			t.Errorf("%s: %+v, %v", tt.url, tr, err)
		}
	}
}

func TestSenderRefusesABadFromAddress(t *testing.T) {
	db := testdb.Open(t)
	for _, from := range []string{"", "not an address", "Shop <shop@>"} {
		if _, err := NewSender(db, Settings{From: from}); err == nil {
			t.Errorf("mail-from %q accepted", from)
		}
	}
	if _, err := NewSender(db, Settings{From: "Test Mağaza <shop@shop.example>"}); err != nil {
		t.Error(err)
	}
}

// queue writes n mails to distinct addresses and returns their prefix.
func queue(t testing.TB, m *Mailer, n int) string {
	t.Helper()
	prefix := strings.ToLower(token.New(8))
	for i := 0; i < n; i++ {
		if err := m.Queue(context.Background(), m.db, Letter{Template: "stock_alert", To: fmt.Sprintf("%s-%d@example.com", prefix, i),
			Data: map[string]any{"Product": "Elbise", "Link": m.Link("/elbise/")}}); err != nil {
			t.Fatal(err)
		}
	}
	return prefix
}

// received lists every message a private mailpit holds, by recipient.
func received(t testing.TB, mp *mailtest.Mailpit) map[string]int {
	t.Helper()
	resp, err := http.Get(mp.APIURL + "/api/v1/messages?limit=100000")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Messages []struct {
			To []mailtest.Address `json:"To"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, m := range list.Messages {
		for _, to := range m.To {
			out[to.Address]++
		}
	}
	return out
}

// TestSendersNeverSendTwice runs several senders, as several nodes would,
// on one outbox: every mail goes out once.
func TestSendersNeverSendTwice(t *testing.T) {
	mp := mailtest.Start(t)
	db := testdb.Open(t)
	settings := Settings{SMTPURL: mp.SMTPURL(), From: "Shop <shop@example.com>", StorefrontURL: "https://shop.example"}
	const n = 300
	prefix := queue(t, NewMailer(db, settings), n)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		s, err := NewSender(db, settings)
		if err != nil {
			t.Fatal(err)
		}
		s.Batch = 7
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				claimed, err := s.DeliverDue(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				if claimed == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	var unsent int
	db.QueryRow("SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL").Scan(&unsent)
	if unsent != 0 {
		t.Fatalf("%d mails unsent", unsent)
	}
	got := received(t, mp)
	for i := 0; i < n; i++ {
		if c := got[fmt.Sprintf("%s-%d@example.com", prefix, i)]; c != 1 {
			t.Errorf("mail %d delivered %d times", i, c)
		}
	}
}

// TestPermanentRefusalIsNotRetried: a 5xx from the server marks the mail
// failed at once; the rest of the batch still goes out.
func TestPermanentRefusalIsNotRetried(t *testing.T) {
	db := testdb.Open(t)
	mp := mailtest.Start(t)
	m := NewMailer(db, Settings{StorefrontURL: "https://shop.example", From: "shop@example.com"})
	queue(t, m, 2)
	if err := m.Queue(context.Background(), db, Letter{Template: "stock_alert", To: "nobody@invalid",
		Data: map[string]any{"Product": "x", "Link": "y"}}); err != nil {
		t.Fatal(err)
	}
	s, err := NewSender(db, Settings{SMTPURL: mp.SMTPURL(), From: "shop@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	s.transport = refusing{s.transport, "nobody@invalid"}
	if n, err := s.DeliverDue(context.Background()); n != 3 || err != nil {
		t.Fatalf("claimed %d, %v", n, err)
	}
	var sent, failed, pending int
	db.QueryRow(`SELECT COUNT(sent_at), COUNT(failed_at), COUNT(*) - COUNT(sent_at) - COUNT(failed_at) FROM mail_outbox`).Scan(&sent, &failed, &pending)
	if sent != 2 || failed != 1 || pending != 0 {
		t.Errorf("sent %d failed %d pending %d", sent, failed, pending)
	}
}

// refusing is the real transport, except that one recipient gets the 550
// a mail server answers for an unknown mailbox.
type refusing struct {
	Transport
	recipient string
}

func (r refusing) Send(ctx context.Context, from string, mails []outgoing) []error {
	var pass []outgoing
	for _, m := range mails {
		if m.to != r.recipient {
			pass = append(pass, m)
		}
	}
	sent := r.Transport.Send(ctx, from, pass)
	out := make([]error, 0, len(mails))
	for _, m := range mails {
		if m.to == r.recipient {
			out = append(out, classify(&textprotoError550))
			continue
		}
		out, sent = append(out, sent[0]), sent[1:]
	}
	return out
}

var textprotoError550 = textproto.Error{Code: 550, Msg: "5.1.1 mailbox unavailable"}

// BenchmarkDeliver measures mails delivered per second to mailpit by one
// sender and by four (four nodes), each claiming, sending over SMTP and
// recording, on the engine under test.
func BenchmarkDeliver(b *testing.B) {
	for _, senders := range []int{1, 4} {
		b.Run(fmt.Sprintf("senders=%d", senders), func(b *testing.B) {
			mp := mailtest.Start(b)
			db := testdb.Open(b)
			settings := Settings{SMTPURL: mp.SMTPURL(), From: "shop@example.com", StorefrontURL: "https://shop.example"}
			queue(b, NewMailer(db, settings), b.N)
			b.ResetTimer()
			var wg sync.WaitGroup
			for i := 0; i < senders; i++ {
				s, err := NewSender(db, settings)
				if err != nil {
					b.Fatal(err)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						n, err := s.DeliverDue(context.Background())
						if err != nil {
							b.Error(err)
							return
						}
						if n == 0 {
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
		})
	}
}

// A node that dies between claiming mails and sending them loses nothing:
// once its lease ends, another sender delivers them.
func TestMailsOfADeadSenderAreDelivered(t *testing.T) {
	mp := mailtest.Start(t)
	db := testdb.Open(t)
	settings := Settings{SMTPURL: mp.SMTPURL(), From: "shop@example.com", StorefrontURL: "https://shop.example"}
	prefix := queue(t, NewMailer(db, settings), 5)
	dead, err := NewSender(db, settings)
	if err != nil {
		t.Fatal(err)
	}
	if claimed, err := dead.claim(context.Background()); err != nil || len(claimed) != 5 {
		t.Fatalf("claimed %d, %v", len(claimed), err)
	}
	survivor, err := NewSender(db, settings)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := survivor.DeliverDue(context.Background()); n != 0 || err != nil {
		t.Fatalf("took %d mails still leased to the other sender (%v)", n, err)
	}
	survivor.now = func() time.Time { return time.Now().Add(survivor.Lease + time.Second) }
	if n, err := survivor.DeliverDue(context.Background()); n != 5 || err != nil {
		t.Fatalf("delivered %d after the lease, %v", n, err)
	}
	got := received(t, mp)
	for i := 0; i < 5; i++ {
		if c := got[fmt.Sprintf("%s-%d@example.com", prefix, i)]; c != 1 {
			t.Errorf("mail %d delivered %d times", i, c)
		}
	}
}
