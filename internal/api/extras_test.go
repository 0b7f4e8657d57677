package api

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vitrin/vitrin/internal/config"
	"github.com/vitrin/vitrin/internal/mail"
	"github.com/vitrin/vitrin/internal/mailtest"
	"github.com/vitrin/vitrin/internal/token"
	"github.com/vitrin/vitrin/internal/wishlist"
)

// These tests drive the account extras through HTTP and read the mails
// that a real SMTP server (mailpit) received, following their links.

const supportAddress = "support@shop.example"

// mailStore is a test store whose outbox is delivered to mp by a sender
// with short waits, the way `vitrin serve` delivers it.
func mailStore(t *testing.T, mp *mailtest.Mailpit) *testStore {
	t.Helper()
	ts := newTestStore(t, func(c *config.Config) {
		c.SMTPURL = mp.SMTPURL()
		c.SupportEmail = supportAddress
		c.StorefrontURL = "https://shop.example"
	})
	startSender(t, ts, mp)
	return ts
}

func startSender(t *testing.T, ts *testStore, mp *mailtest.Mailpit) {
	t.Helper()
	sender, err := mail.NewSender(ts.db, mail.Settings{SMTPURL: mp.SMTPURL(), From: "Test Mağaza <shop@shop.example>"})
	if err != nil {
		t.Fatal(err)
	}
	sender.Poll, sender.RetryBase, sender.RetryMax = 10*time.Millisecond, 20*time.Millisecond, 200*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); sender.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// drained waits until the outbox has nothing left to send, so counting the
// mails mailpit holds afterwards shows duplicates, if any.
func drained(t *testing.T, ts *testStore) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var pending int
		if err := ts.db.QueryRow("SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL").Scan(&pending); err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox still holds %d mails", pending)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// unique makes an address no other test (or earlier run against a shared
// mailpit) uses.
func unique(name string) string {
	return name + "-" + strings.ToLower(token.New(10)) + "@example.com"
}

func extrasProduct(sku string, stock int) map[string]any {
	return map[string]any{"sku": sku, "base_code": sku, "name": "Ürün " + sku, "slug": strings.ToLower(sku),
		"prices": map[string]any{"TRY": map[string]any{"price": "100.00", "retail_price": "120.00"}}, "stock": stock,
		"translations": map[string]any{"en-us": map[string]any{"name": "Product " + sku}}}
}

// extrasStore has two products and the contact subjects.
func extrasStore(t *testing.T, ts *testStore, stockA, stockB int) {
	t.Helper()
	ts.importStore(map[string]any{
		"store": map[string]any{"name": "Test Mağaza", "default_currency": "TRY", "currencies": []string{"TRY"},
			"default_language": "tr-tr", "languages": []string{"tr-tr", "en-us"}, "country": "tr"},
		"products": []any{extrasProduct("A-1", stockA), extrasProduct("B-1", stockB)},
		"contact_subjects": []any{
			map[string]any{"code": "general", "text": "Genel", "translations": map[string]any{"en-us": map[string]any{"text": "General"}}},
			map[string]any{"code": "order", "text": "Siparişim", "is_order_needed": true, "sort_order": 1},
		},
	})
}

func productID(t *testing.T, ts *testStore, sku string) int64 {
	t.Helper()
	var id int64
	if err := ts.db.QueryRow("SELECT id FROM products WHERE sku = $1", sku).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestPasswordResetByMail(t *testing.T) {
	mp := mailtest.Shared(t)
	ts := mailStore(t, mp)
	alice := unique("alice")
	sh := ts.shopper()
	sh.register(alice, "first-Secret-9")

	// Registration mails a confirmation link; opening it confirms.
	confirm := mp.Await(t, alice, 1)[0]
	if !strings.Contains(confirm.Subject, "onaylayın") {
		t.Errorf("confirmation subject %q: want the store's language (tr-tr)", confirm.Subject)
	}
	if u := sh.do("GET", "/current_user/", nil).must(t, 200).json(); u["email_verified"] != false {
		t.Fatalf("email_verified before confirmation: %v", u["email_verified"])
	}
	guest := ts.shopper()
	guest.do("GET", mailtest.Link(t, confirm, "/users/registration/account-confirm-email/"), nil).must(t, 200)
	if u := sh.do("GET", "/current_user/", nil).must(t, 200).json(); u["email_verified"] != true {
		t.Fatalf("email_verified after confirmation: %v", u["email_verified"])
	}

	// Another device logged in with the old password.
	phone := ts.shopper()
	phone.login(alice, "first-Secret-9")

	// The same answer for a known and an unknown address.
	known := guest.do("POST", "/users/password/reset/", map[string]any{"email": alice}).must(t, 200)
	stranger := unique("nobody")
	unknown := guest.do("POST", "/users/password/reset/", map[string]any{"email": stranger}).must(t, 200)
	if string(known.body) != string(unknown.body) {
		t.Errorf("answers differ: %s vs %s", known.body, unknown.body)
	}
	guest.do("POST", "/users/password/reset/", map[string]any{"email": "not-an-address"}).must(t, 400)

	mails := mp.Await(t, alice, 2)
	reset := mails[1]
	if !strings.Contains(reset.Subject, "şifrenizi sıfırlayın") || !strings.Contains(reset.HTML, "<a href=\"https://shop.example/users/reset/") {
		t.Errorf("reset mail: %s\n%s", reset.Subject, reset.HTML)
	}
	link := mailtest.Link(t, reset, "/users/reset/")
	slug := strings.Trim(strings.TrimPrefix(link, "/users/reset/"), "/")
	path := "/users/reset/" + slug // the real client posts without the slash

	for _, tt := range []struct {
		name   string
		body   url.Values
		status int
		field  string
	}{
		{"missing", url.Values{}, 400, "new_password1"},
		{"mismatch", url.Values{"new_password1": {"second-Secret-9"}, "new_password2": {"other-Secret-9"}}, 400, "new_password2"},
		{"too common", url.Values{"new_password1": {"password1"}, "new_password2": {"password1"}}, 400, "new_password2"},
		{"numeric", url.Values{"new_password1": {"1234567890123"}, "new_password2": {"1234567890123"}}, 400, "new_password2"},
		{"good", url.Values{"new_password1": {"second-Secret-9"}, "new_password2": {"second-Secret-9"}}, 200, ""},
		{"used twice", url.Values{"new_password1": {"third-Secret-9"}, "new_password2": {"third-Secret-9"}}, 400, "non_field_errors"},
	} {
		r := guest.do("POST", path, tt.body).must(t, tt.status)
		if tt.field != "" {
			if _, ok := r.json()[tt.field]; !ok {
				t.Errorf("%s: no %s error in %s", tt.name, tt.field, r.body)
			}
		}
	}
	guest.do("POST", "/users/reset/"+strings.Repeat("x", len(slug))+"/", url.Values{
		"new_password1": {"third-Secret-9"}, "new_password2": {"third-Secret-9"}}).must(t, 400)
	guest.do("POST", "/users/reset/short", url.Values{}).must(t, 400)

	// Every session of the customer ended.
	phone.do("GET", "/current_user/", nil).must(t, 401)
	sh.do("GET", "/current_user/", nil).must(t, 401)
	ts.shopper().do("POST", "/users/login/", map[string]any{"email": alice, "password": "first-Secret-9"}).must(t, 400)
	ts.shopper().login(alice, "second-Secret-9")

	drained(t, ts)
	if n := mp.Count(t, stranger); n != 0 {
		t.Errorf("an unknown address got %d mails", n)
	}
	if n := mp.Count(t, alice); n != 2 {
		t.Errorf("alice got %d mails, want 2 (confirmation, reset)", n)
	}
	var stored string
	if err := ts.db.QueryRow("SELECT token_hash FROM customer_tokens WHERE purpose = 'password_reset'").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored == slug || stored != token.Hash(slug) {
		t.Error("the reset token must be stored as its hash only")
	}

	// An expired link is refused like a used one.
	guest.do("POST", "/users/password/reset/", map[string]any{"email": alice}).must(t, 200)
	expiring := mailtest.Link(t, mp.Await(t, alice, 3)[2], "/users/reset/")
	if _, err := ts.db.Exec("UPDATE customer_tokens SET expires_at = $1 WHERE purpose = 'password_reset' AND used_at IS NULL",
		time.Now().UTC().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	r := guest.do("POST", expiring, url.Values{"new_password1": {"fourth-Secret-9"}, "new_password2": {"fourth-Secret-9"}}).must(t, 400)
	if _, ok := r.json()["non_field_errors"]; !ok {
		t.Errorf("expired link: %s", r.body)
	}

	// Throttled per address: five requests an hour.
	for i := 0; i < 3; i++ {
		guest.do("POST", "/users/password/reset/", map[string]any{"email": alice}).must(t, 200)
	}
	guest.do("POST", "/users/password/reset/", map[string]any{"email": alice}).must(t, 429)
}

func TestEmailChangeByMail(t *testing.T) {
	mp := mailtest.Shared(t)
	ts := mailStore(t, mp)
	bob, taken, fresh := unique("bob"), unique("taken"), unique("bob-new")
	ts.shopper().register(taken, "taken-Secret-9")
	sh := ts.shopper()
	sh.register(bob, "bob-Secret-99")

	ts.shopper().do("POST", "/users/email-change/", map[string]any{"email": fresh, "emailConfirm": fresh, "password": "bob-Secret-99"}).must(t, 401)
	for _, tt := range []struct {
		name, email, confirm, password, field string
	}{
		{"wrong password", fresh, fresh, "wrong-Secret-9", "password"},
		{"confirmation differs", fresh, unique("other"), "bob-Secret-99", "emailConfirm"},
		{"taken", taken, taken, "bob-Secret-99", "email"},
		{"invalid", "nope", "nope", "bob-Secret-99", "email"},
		{"own address", bob, bob, "bob-Secret-99", "email"},
	} {
		r := sh.do("POST", "/users/email-change/", map[string]any{"email": tt.email, "emailConfirm": tt.confirm, "password": tt.password}).must(t, 400)
		if _, ok := r.json()[tt.field]; !ok {
			t.Errorf("%s: no %s error in %s", tt.name, tt.field, r.body)
		}
	}
	sh.do("POST", "/users/email-change/", map[string]any{"email": fresh, "emailConfirm": fresh, "password": "bob-Secret-99"}).must(t, 200)
	// Nothing changes before the link is opened.
	if u := sh.do("GET", "/current_user/", nil).must(t, 200).json(); u["email"] != bob {
		t.Fatalf("email changed before confirmation: %v", u["email"])
	}
	msg := mp.Await(t, fresh, 1)[0]
	link := mailtest.Link(t, msg, "/users/email-set-primary/")
	ts.shopper().do("GET", link, nil).must(t, 200)
	ts.shopper().do("GET", link, nil).must(t, 400)
	u := sh.do("GET", "/current_user/", nil).must(t, 200).json()
	if u["email"] != fresh || u["email_verified"] != true {
		t.Fatalf("after confirmation: email %v verified %v", u["email"], u["email_verified"])
	}
	// The old address is told (after its registration confirmation).
	if notice := mp.Await(t, bob, 2)[1]; !strings.Contains(notice.Text, fresh) {
		t.Errorf("notice to the old address: %s\n%s", notice.Subject, notice.Text)
	}
	ts.shopper().login(fresh, "bob-Secret-99")
	ts.shopper().do("POST", "/users/login/", map[string]any{"email": bob, "password": "bob-Secret-99"}).must(t, 400)
	// The old address is free again.
	ts.shopper().register(bob, "bob-Secret-99")
}

func TestStockAlertsFiredByImport(t *testing.T) {
	mp := mailtest.Shared(t)
	ts := mailStore(t, mp)
	extrasStore(t, ts, 0, 4)
	a, b := productID(t, ts, "A-1"), productID(t, ts, "B-1")
	carol, dave, visitor := unique("carol"), unique("dave"), unique("visitor")

	customer := ts.shopper()
	customer.register(carol, "carol-Secret-9")
	first := customer.do("POST", "/wishlists/product-alerts/", url.Values{"product": {itoa(a)}}).must(t, 201).json()
	again := customer.do("POST", "/wishlists/product-alerts/", url.Values{"product": {itoa(a)}}).must(t, 201).json()
	if first["pk"] != again["pk"] || first["product"] != float64(a) {
		t.Fatalf("alerts not idempotent: %v then %v", first, again)
	}
	customer.do("POST", "/wishlists/product-alerts/", url.Values{"product": {itoa(b)}}).must(t, 400) // in stock
	customer.do("POST", "/wishlists/product-alerts/", url.Values{"product": {"999999"}}).must(t, 400)
	list := customer.do("GET", "/wishlists/product-alerts/?limit=12&page=1", nil).must(t, 200).json()
	if list["count"] != float64(1) {
		t.Fatalf("alert list: %v", list)
	}

	guest := ts.shopper()
	guest.do("POST", "/wishlists/product-alerts/", url.Values{"product": {itoa(a)}}).must(t, 400) // no address
	guest.do("POST", "/wishlists/product-alerts/", url.Values{"product": {itoa(a)}, "email": {visitor}}).must(t, 201)
	guest.do("POST", "/wishlists/product-alerts/", url.Values{"product": {itoa(a)}, "email": {strings.ToUpper(visitor)}}).must(t, 201)
	guest.do("GET", "/wishlists/product-alerts/", nil).must(t, 401)

	other := ts.shopper()
	other.register(dave, "dave-Secret-99")
	other.do("DELETE", "/wishlists/product-alerts/"+itoa(int64(first["pk"].(float64)))+"/", nil).must(t, 404)

	// Several nodes sweep while the import brings the product back.
	alerts := wishlist.NewService(ts.db, mail.NewMailer(ts.db, mail.Settings{StorefrontURL: "https://shop.example"}))
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := alerts.Sweep(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	ts.importStore(map[string]any{"products": []any{extrasProduct("A-1", 3)}})
	wg.Wait()
	if _, err := alerts.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}

	// The import's restock hook queued the mails (the sweeps may have
	// beaten it to some alerts); either way each alert mails once.
	for _, msg := range []mailtest.Message{mp.Await(t, carol, 2)[1], mp.Await(t, visitor, 1)[0]} {
		if !strings.Contains(msg.Subject, "Ürün A-1") || !strings.HasSuffix(mailtest.Link(t, msg, "/a-1/"), "/a-1/") {
			t.Errorf("alert mail: %s\n%s", msg.Subject, msg.Text)
		}
	}
	// Out of stock and back again: the alerts are closed, nobody is mailed twice.
	ts.importStore(map[string]any{"products": []any{extrasProduct("A-1", 0)}})
	ts.importStore(map[string]any{"products": []any{extrasProduct("A-1", 5)}})
	drained(t, ts)
	if n := mp.Count(t, carol); n != 2 {
		t.Errorf("carol got %d mails, want confirmation + one alert", n)
	}
	if n := mp.Count(t, visitor); n != 1 {
		t.Errorf("the guest got %d alert mails, want 1", n)
	}
	if list := customer.do("GET", "/wishlists/product-alerts/", nil).must(t, 200).json(); list["count"] != float64(0) {
		t.Errorf("fired alerts still listed: %v", list)
	}
}

func TestContactUsByMail(t *testing.T) {
	mp := mailtest.Shared(t)
	ts := mailStore(t, mp)
	extrasStore(t, ts, 1, 1)
	guest := ts.shopper()
	var subjects []map[string]any
	guest.do("GET", "/users/contact-us-subjects/", nil, "Accept-Language", "en-us").must(t, 200).decode(t, &subjects)
	if len(subjects) != 2 || subjects[0]["text"] != "General" || subjects[1]["is_order_needed"] != true {
		t.Fatalf("subjects: %v", subjects)
	}
	general, orderSubject := itoa(int64(subjects[0]["id"].(float64))), itoa(int64(subjects[1]["id"].(float64)))
	erin := unique("erin")

	for _, tt := range []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"missing fields", map[string]any{"email": erin}, 400, "message"},
		{"unknown subject", map[string]any{"full_name": "Erin", "email": erin, "subject": "999", "message": "Hi"}, 400, "subject"},
		{"order needed", map[string]any{"full_name": "Erin", "email": erin, "subject": orderSubject, "message": "Where is it?"}, 400, "order"},
		{"not my order", map[string]any{"full_name": "Erin", "email": erin, "subject": orderSubject, "message": "Hi", "order": "1001"}, 400, "order"},
		{"json", map[string]any{"full_name": "Erin Example", "email": erin, "phone": "05551112233", "subject": general,
			"message": "Do you ship\nto Cyprus?"}, 200, ""},
		{"form", url.Values{"full_name": {"Erin Example"}, "email": {erin}, "subject": {general}, "message": {"And <b>Malta</b>?"}}, 200, ""},
	} {
		r := guest.do("POST", "/users/contact-us", tt.body).must(t, tt.status)
		if tt.field != "" {
			if _, ok := r.json()[tt.field]; !ok {
				t.Errorf("%s: no %s error in %s", tt.name, tt.field, r.body)
			}
		}
	}
	var mine []mailtest.Message
	deadline := time.Now().Add(60 * time.Second)
	for len(mine) < 2 && time.Now().Before(deadline) {
		mine = mine[:0]
		for _, m := range mp.Messages(t, supportAddress) {
			if len(m.ReplyTo) == 1 && m.ReplyTo[0].Address == erin {
				mine = append(mine, m)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(mine) != 2 {
		t.Fatalf("support got %d messages from erin, want 2", len(mine))
	}
	if mine[0].ReplyTo[0].Name != "Erin Example" || !strings.Contains(strings.ReplaceAll(mine[0].Text, "\r\n", "\n"), "Do you ship\nto Cyprus?") ||
		!strings.Contains(mine[0].Subject, "Genel") {
		t.Errorf("support mail: %+v %q\n%q", mine[0], mine[0].ReplyTo, mine[0].Text)
	}
	if !strings.Contains(mine[1].HTML, "And &lt;b&gt;Malta&lt;/b&gt;?") {
		t.Errorf("the customer's text must be escaped in HTML: %s", mine[1].HTML)
	}
	var stored int
	ts.db.QueryRow("SELECT COUNT(*) FROM contact_messages WHERE email = $1", erin).Scan(&stored)
	if stored != 2 {
		t.Errorf("%d messages stored, want 2", stored)
	}
	// Guests are throttled per address: four requests above passed
	// validation and counted (the two order checks come after the
	// throttle), so the fifth is the last of the hour.
	again := map[string]any{"full_name": "Erin", "email": erin, "subject": general, "message": "again"}
	guest.do("POST", "/users/contact-us", again).must(t, 200)
	guest.do("POST", "/users/contact-us", again).must(t, 429)

	// A customer may leave out the name and address the shop knows.
	nora := unique("nora")
	customer := ts.shopper()
	customer.register(nora, "nora-Secret-99")
	customer.do("POST", "/users/contact-us", map[string]any{"subject": general, "message": "From my account"}).must(t, 200)
	var name string
	ts.db.QueryRow("SELECT full_name FROM contact_messages WHERE email = $1 AND customer_id IS NOT NULL", nora).Scan(&name)
	if name != "Ada Lovelace" {
		t.Errorf("customer's message stored with name %q", name)
	}

	// A subject that needs an order takes only the caller's own order.
	olga := unique("olga")
	var noraID int64
	ts.db.QueryRow("SELECT id FROM customers WHERE email_lower = $1", nora).Scan(&noraID)
	now := time.Now().UTC()
	for i, o := range []struct {
		number string
		owner  any
		email  string
	}{{"V-100", noraID, nora}, {"V-200", nil, "someone@example.com"}, {"V-300", nil, olga}} {
		if _, err := ts.db.Exec(`INSERT INTO orders (number, token, idempotency_key, customer_id, email, status, currency,
			product_amount, amount, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'approved', 'TRY', 100, 100, $6, $6)`,
			o.number, "tok"+itoa(int64(i)), "idem"+itoa(int64(i)), o.owner, o.email, now); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		who    *shopper
		order  string
		status int
	}{{customer, "V-100", 200}, {customer, "V-200", 400}, {customer, "V-300", 400}, {ts.shopper(), "V-300", 200}, {ts.shopper(), "V-100", 400}} {
		tt.who.do("POST", "/users/contact-us", map[string]any{"full_name": "Olga", "email": olga, "subject": orderSubject,
			"order": tt.order, "message": "Where is my order?"}).must(t, tt.status)
	}
}

func TestEmailSubscriptionByMail(t *testing.T) {
	mp := mailtest.Shared(t)
	ts := mailStore(t, mp)
	extrasStore(t, ts, 1, 1)
	frank := unique("frank")
	guest := ts.shopper()
	guest.do("POST", "/email-subscription/", map[string]any{"email": frank}).must(t, 400) // no consent
	guest.do("POST", "/email-subscription/", map[string]any{"email": "x", "subscribe_contract": true}).must(t, 400)
	guest.do("POST", "/email-subscription/", map[string]any{"email": frank, "subscribe_contract": true}, "Accept-Language", "en-us").must(t, 200)
	msg := mp.Await(t, frank, 1)[0]
	if !strings.Contains(msg.Subject, "Confirm your") {
		t.Errorf("subscription mail subject %q: want English", msg.Subject)
	}
	confirm := mailtest.Link(t, msg, "/email-subscription/confirm/")
	unsubscribe := mailtest.Link(t, msg, "/email-subscription/unsubscribe/")
	headers := mp.Headers(t, msg)
	if got := headers["List-Unsubscribe"]; len(got) != 1 || !strings.Contains(got[0], unsubscribe) {
		t.Errorf("List-Unsubscribe %v, want the link %s", got, unsubscribe)
	}
	if got := headers["List-Unsubscribe-Post"]; len(got) != 1 || got[0] != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %v", got)
	}
	guest.do("GET", confirm, nil).must(t, 200)
	guest.do("GET", confirm, nil).must(t, 400)
	// Confirmed: asking again mails nothing.
	guest.do("POST", "/email-subscription/", map[string]any{"email": strings.ToUpper(frank), "subscribe_contract": "true"}).must(t, 200)
	drained(t, ts)
	if n := mp.Count(t, frank); n != 1 {
		t.Errorf("frank got %d mails, want 1", n)
	}
	var status string
	ts.db.QueryRow("SELECT status FROM email_subscriptions WHERE email_lower = $1", frank).Scan(&status)
	if status != "confirmed" {
		t.Fatalf("status %q", status)
	}
	guest.do("GET", unsubscribe[:len(unsubscribe)-3]+"00/", nil).must(t, 404)
	guest.do("GET", unsubscribe, nil).must(t, 200)
	// One-click, as a mailbox provider does it: a bare POST, no cookies.
	oneClick := ts.shopper()
	oneClick.noCSRF = true
	oneClick.do("POST", unsubscribe, "List-Unsubscribe=One-Click").must(t, 200)
	ts.db.QueryRow("SELECT status FROM email_subscriptions WHERE email_lower = $1", frank).Scan(&status)
	if status != "unsubscribed" {
		t.Fatalf("status %q after unsubscribing", status)
	}
}

func TestFavourites(t *testing.T) {
	ts := newTestStore(t)
	extrasStore(t, ts, 0, 4)
	a, b := productID(t, ts, "A-1"), productID(t, ts, "B-1")
	sh := ts.shopper()
	ts.shopper().do("GET", "/wishlists/favourite-products/", nil).must(t, 401)
	sh.register(unique("gina"), "gina-Secret-99")
	first := sh.do("POST", "/wishlists/favourite-products/", url.Values{"product": {itoa(a)}}).must(t, 201).json()
	again := sh.do("POST", "/wishlists/favourite-products/", map[string]any{"product": a}).must(t, 201).json()
	if first["pk"] != again["pk"] {
		t.Fatalf("add is not idempotent: %v then %v", first, again)
	}
	sh.do("POST", "/wishlists/favourite-products/", url.Values{"product": {itoa(b)}}).must(t, 201)
	sh.do("POST", "/wishlists/favourite-products/", url.Values{"product": {"abc"}}).must(t, 400)
	sh.do("POST", "/wishlists/favourite-products/", url.Values{}).must(t, 400)

	var page struct {
		Count    int     `json:"count"`
		Next     *string `json:"next"`
		Previous *string `json:"previous"`
		Results  []struct {
			PK      int64          `json:"pk"`
			Product map[string]any `json:"product"`
		} `json:"results"`
	}
	sh.do("GET", "/wishlists/favourite-products/?limit=1&page=1", nil, "Accept-Language", "en-us").must(t, 200).decode(t, &page)
	if page.Count != 2 || len(page.Results) != 1 || page.Next == nil || page.Previous != nil {
		t.Fatalf("page 1: %+v", page)
	}
	if p := page.Results[0].Product; p["name"] != "Product B-1" || p["price"] != "100.00" || p["in_stock"] != true || p["absolute_url"] != "/b-1/" {
		t.Errorf("product card: %v", p)
	}
	sh.do("GET", *page.Next, nil).must(t, 200).decode(t, &page)
	if len(page.Results) != 1 || page.Results[0].Product["pk"] != float64(a) || page.Next != nil || page.Previous == nil {
		t.Fatalf("page 2: %+v", page)
	}

	other := ts.shopper()
	other.register(unique("hank"), "hank-Secret-99")
	other.do("DELETE", "/wishlists/favourite-products/"+itoa(int64(first["pk"].(float64)))+"/", nil).must(t, 404)
	if n := other.do("GET", "/wishlists/favourite-products/", nil).must(t, 200).json()["count"]; n != float64(0) {
		t.Errorf("another customer sees %v favourites", n)
	}
	sh.do("DELETE", "/wishlists/favourite-products/"+itoa(int64(first["pk"].(float64)))+"/", nil).must(t, 200)
	sh.do("DELETE", "/wishlists/favourite-products/"+itoa(int64(first["pk"].(float64))), nil).must(t, 404)
	if n := sh.do("GET", "/wishlists/favourite-products/", nil).must(t, 200).json()["count"]; n != float64(1) {
		t.Errorf("%v favourites after removing one of two", n)
	}
}

func TestAnonymize(t *testing.T) {
	ts := newTestStore(t)
	extrasStore(t, ts, 0, 4)
	ivy := unique("ivy")
	sh := ts.shopper()
	sh.register(ivy, "ivy-Secret-999")
	a := productID(t, ts, "A-1")
	sh.do("POST", "/wishlists/favourite-products/", url.Values{"product": {itoa(a)}}).must(t, 201)
	sh.do("POST", "/wishlists/product-alerts/", url.Values{"product": {itoa(a)}}).must(t, 201)
	var subjects []map[string]any
	sh.do("GET", "/users/contact-us-subjects/", nil).must(t, 200).decode(t, &subjects)
	sh.do("POST", "/users/contact-us", map[string]any{"full_name": "Ivy Example", "email": ivy,
		"subject": itoa(int64(subjects[0]["id"].(float64))), "message": "Hello"}).must(t, 200)
	sh.do("POST", "/email-subscription/", map[string]any{"email": ivy, "subscribe_contract": true}).must(t, 200)
	tablet := ts.shopper()
	tablet.login(ivy, "ivy-Secret-999")
	var id int64
	ts.db.QueryRow("SELECT id FROM customers WHERE email_lower = $1", ivy).Scan(&id)
	ts.importStore(map[string]any{"geography": map[string]any{"countries": []any{map[string]any{"code": "tr", "name": "Türkiye",
		"cities": []any{map[string]any{"name": "İstanbul"}}}}}})
	res, err := ts.db.Exec(`INSERT INTO customer_addresses (customer_id, first_name, last_name, phone_number, country_id, city_id,
		line, created_at, updated_at) SELECT $1, 'Ivy', 'Example', '05551112233', c.country_id, c.id, 'Moda Cd. 1', $2, $2
		FROM cities c`, id, time.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("address book: %d rows inserted", n)
	}
	if _, err := ts.db.Exec(`INSERT INTO vouchers (code, kind, value) VALUES ('IVY10', 'percent', 1000)`); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.db.Exec(`INSERT INTO voucher_uses (voucher_id, customer_id, email, order_ref, used_at)
		SELECT id, $1, $2, 'V-1', $3 FROM vouchers WHERE code = 'IVY10'`, id, ivy, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	// A reset request leaves a throttle counter keyed by the address.
	ts.shopper().do("POST", "/users/password/reset/", map[string]any{"email": ivy}).must(t, 200)

	ts.shopper().do("PATCH", "/users/anonymize/", nil).must(t, 401)
	sh.do("PATCH", "/users/anonymize/", nil).must(t, 200)
	sh.do("GET", "/current_user/", nil).must(t, 401)
	tablet.do("GET", "/current_user/", nil).must(t, 401)
	tablet.do("PATCH", "/users/anonymize/", nil).must(t, 401)
	ts.shopper().do("POST", "/users/login/", map[string]any{"email": ivy, "password": "ivy-Secret-999"}).must(t, 400)

	var email, first, last, hash string
	ts.db.QueryRow("SELECT email, first_name, last_name, password_hash FROM customers WHERE id = $1", id).Scan(&email, &first, &last, &hash)
	if strings.Contains(email, "ivy") || first != "" || last != "" || hash != "" {
		t.Errorf("personal data left: %q %q %q %q", email, first, last, hash)
	}
	for _, q := range []string{
		"SELECT COUNT(*) FROM contact_messages WHERE customer_id = $1 OR email = $2",
		"SELECT COUNT(*) FROM favourite_products WHERE customer_id = $1 AND $2 <> ''",
		"SELECT COUNT(*) FROM product_alerts WHERE customer_id = $1 OR email_lower = $2",
		"SELECT COUNT(*) FROM email_subscriptions WHERE email_lower = $2 AND $1 > 0",
		"SELECT COUNT(*) FROM mail_outbox WHERE (recipient = $2 OR reply_to LIKE '%' || $2 || '%') AND $1 > 0",
		"SELECT COUNT(*) FROM rate_limits WHERE key LIKE '%' || $2 AND $1 > 0",
		"SELECT COUNT(*) FROM voucher_uses WHERE email = $2 AND $1 > 0",
		"SELECT COUNT(*) FROM sessions WHERE customer_id = $1 AND $2 <> ''",
		"SELECT COUNT(*) FROM customer_addresses WHERE customer_id = $1 AND $2 <> ''",
	} {
		var n int
		if err := ts.db.QueryRow(q, id, ivy).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s: %d rows left (%v)", q, n, err)
		}
	}
	var uses int
	if err := ts.db.QueryRow("SELECT COUNT(*) FROM voucher_uses WHERE customer_id = $1", id).Scan(&uses); err != nil || uses != 1 {
		t.Errorf("voucher uses kept: %d (%v), want 1", uses, err)
	}
	// The address is free again.
	ts.shopper().register(ivy, "ivy-Secret-999")
}

// TestMailSurvivesSMTPOutage stops the mail server, has mails queued,
// starts the server again and sees each mail delivered exactly once.
func TestMailSurvivesSMTPOutage(t *testing.T) {
	mp := mailtest.Start(t)
	ts := mailStore(t, mp)
	extrasStore(t, ts, 1, 1)
	people := []string{unique("jack"), unique("kim"), unique("lee")}
	for _, p := range people {
		ts.shopper().register(p, "outage-Secret-9")
	}
	for _, p := range people {
		mp.Await(t, p, 1)
	}
	mp.Stop()
	guest := ts.shopper()
	for _, p := range people {
		guest.do("POST", "/users/password/reset/", map[string]any{"email": p}).must(t, 200)
	}
	var subjects []map[string]any
	guest.do("GET", "/users/contact-us-subjects/", nil).must(t, 200).decode(t, &subjects)
	guest.do("POST", "/users/contact-us", map[string]any{"full_name": "Jack", "email": people[0],
		"subject": itoa(int64(subjects[0]["id"].(float64))), "message": "Is the mail server down?"}).must(t, 200)

	// Wait until the sender has failed on every queued mail at least twice.
	deadline := time.Now().Add(60 * time.Second)
	for {
		var failing int
		ts.db.QueryRow("SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL AND attempts >= 2 AND last_error <> ''").Scan(&failing)
		if failing == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 4 mails retried while the server was down", failing)
		}
		time.Sleep(10 * time.Millisecond)
	}
	mp.Restart()
	drained(t, ts)
	for _, p := range people {
		if n := mp.Count(t, p); n != 2 {
			t.Errorf("%s got %d mails, want 2 (confirmation, reset)", p, n)
		}
	}
	if n := mp.Count(t, supportAddress); n != 1 {
		t.Errorf("support got %d mails, want 1", n)
	}
	metrics := string(ts.shopper().do("GET", "/metrics", nil).must(t, 200).body)
	for _, line := range []string{`vitrin_mail_outbox{state="sent"} 7`, `vitrin_mail_outbox{state="failed"} 0`,
		`vitrin_mail_outbox{state="retrying"} 0`, `vitrin_mail_outbox{state="queued"} 0`} {
		if !strings.Contains(metrics, line) {
			t.Errorf("/metrics lacks %s", line)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Requests racing with one reset link: exactly one sets the password.
func TestResetLinkUsedOnce(t *testing.T) {
	mp := mailtest.Shared(t)
	ts := mailStore(t, mp)
	pat := unique("pat")
	ts.shopper().register(pat, "pat-Secret-999")
	ts.shopper().do("POST", "/users/password/reset/", map[string]any{"email": pat}).must(t, 200)
	link := mailtest.Link(t, mp.Await(t, pat, 2)[1], "/users/reset/")
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pw := "racer-" + itoa(int64(i)) + "-Secret"
			statuses[i] = ts.shopper().do("POST", link, url.Values{"new_password1": {pw}, "new_password2": {pw}}).StatusCode
		}()
	}
	wg.Wait()
	won := 0
	for i, status := range statuses {
		switch status {
		case 200:
			won++
			ts.shopper().login(pat, "racer-"+itoa(int64(i))+"-Secret")
		case 400:
		default:
			t.Errorf("status %d", status)
		}
	}
	if won != 1 {
		t.Errorf("%d requests set the password, want 1 (%v)", won, statuses)
	}
}

// One client asking resets for many addresses is throttled, whether or
// not the addresses have accounts (the answer must not tell).
func TestPasswordResetThrottledPerClient(t *testing.T) {
	ts := newTestStore(t)
	guest := ts.shopper()
	for i := 0; i < 50; i++ {
		guest.do("POST", "/users/password/reset/", map[string]any{"email": unique("spray")}).must(t, 200)
	}
	guest.do("POST", "/users/password/reset/", map[string]any{"email": unique("spray")}).must(t, 429)
	var queued int
	if err := ts.db.QueryRow("SELECT COUNT(*) FROM mail_outbox").Scan(&queued); err != nil || queued != 0 {
		t.Errorf("%d mails queued for unknown addresses (%v)", queued, err)
	}
}
