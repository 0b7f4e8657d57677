package api

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/vitrin/vitrin/internal/config"
	"github.com/vitrin/vitrin/internal/mail"
	"github.com/vitrin/vitrin/internal/mailtest"
	"github.com/vitrin/vitrin/internal/wishlist"
)

// mailCheckoutStore is the checkout fixture with its outbox delivered to mp.
func mailCheckoutStore(t *testing.T, mp *mailtest.Mailpit) *checkoutStore {
	t.Helper()
	cs := newCheckoutStore(t, func(c *config.Config) {
		c.SMTPURL = mp.SMTPURL()
		c.StorefrontURL = "https://shop.example"
	})
	startSender(t, cs.testStore, mp)
	return cs
}

// The order confirmation is written with the order: a placed order mails
// once (a retried final step too), a declined payment mails nothing, and
// the mail's link opens the order for a guest.
func TestOrderConfirmationByMail(t *testing.T) {
	mp := mailtest.Shared(t)
	cs := mailCheckoutStore(t, mp)
	guestEmail, customerEmail, declinedEmail := unique("olive"), unique("pia"), unique("quinn")

	guest := cs.buyer(t, true, guestEmail, "TEE-B", 1)
	nextPage(t, step(guest, "PaymentOptionSelectionPage", "payment_option", cs.id("payment:transfer")).must(t, 200), "FundsTransferChoicePage")
	nextPage(t, step(guest, "FundsTransferChoicePage", "bank_account", cs.id("bank:TR330006100519786457841326")).must(t, 200), "FundsTransferPage")
	_, token := placed(t, step(guest, "FundsTransferPage", "agreement", "1"))
	placed(t, step(guest, "FundsTransferPage", "agreement", "1")) // the client retries

	customer := cs.buyer(t, false, customerEmail, "TEE-A", 1)
	placed(t, threeD(t, customer, payByCard(t, cs, customer, "4000 0000 0000 3220", 1, true), "approve"))

	declined := cs.buyer(t, true, declinedEmail, "TEE-A", 1)
	payByCard(t, cs, declined, "4000 0000 0000 0002", 1, false).must(t, 400)

	msg := mp.Await(t, guestEmail, 1)[0]
	link := mailtest.Link(t, msg, "/orders/completed/")
	if link != "/orders/completed/"+token+"/" {
		t.Errorf("order link %s, want the thank-you page of token %s", link, token)
	}
	var done struct {
		Order map[string]any `json:"order"`
	}
	cs.shopper().do("GET", link+"?format=json", nil).must(t, 200).decode(t, &done)
	number := fmt.Sprint(done.Order["number"])
	text := msg.Text
	for _, want := range []string{number, "249.90 TRY", "TR330006100519786457841326", "Example Bank"} {
		if !strings.Contains(text, want) {
			t.Errorf("transfer order mail lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(msg.Subject, number) {
		t.Errorf("subject %q lacks the order number %s", msg.Subject, number)
	}

	// A customer's mail follows the registration confirmation; a card
	// order names no bank account.
	var paid mailtest.Message
	for _, m := range mp.Await(t, customerEmail, 2) {
		if strings.Contains(m.Text, "/orders/completed/") {
			paid = m
		}
	}
	if paid.ID == "" || strings.Contains(paid.Text, "IBAN") || !strings.Contains(paid.Text, "349.90 TRY") {
		t.Errorf("card order mail: %s\n%s", paid.Subject, paid.Text)
	}

	drained(t, cs.testStore)
	for email, want := range map[string]int{guestEmail: 1, customerEmail: 2, declinedEmail: 0} {
		if n := mp.Count(t, email); n != want {
			t.Errorf("%s got %d mails, want %d", email, n, want)
		}
	}
}

// Stock that a cancelled order gives back fires the product's stock
// alerts in the cancellation's transaction: one mail each, no sweep needed.
func TestStockAlertFiredByCancelledOrder(t *testing.T) {
	mp := mailtest.Shared(t)
	cs := mailCheckoutStore(t, mp)
	watcher, visitor := unique("rita"), unique("sam")
	cs.exec("UPDATE products SET stock = 1 WHERE sku = 'TEE-B'")

	buyer := cs.buyer(t, false, unique("tom"), "TEE-B", 1)
	nextPage(t, step(buyer, "PaymentOptionSelectionPage", "payment_option", cs.id("payment:pod")).must(t, 200), "PayOnDeliveryPaymentChoicePage")
	nextPage(t, step(buyer, "PayOnDeliveryPaymentChoicePage", "payment_choice", "cash").must(t, 200), "PayOnDeliveryPage")
	orderID, _ := placed(t, step(buyer, "PayOnDeliveryPage", "agreement", "1", "paymentType", "cash"))
	if n := cs.stock("TEE-B"); n != 0 {
		t.Fatalf("stock %d after selling the last unit", n)
	}

	sh := cs.shopper()
	sh.register(watcher, "rita-Secret-99")
	product := url.Values{"product": {fmt.Sprint(cs.ids["TEE-B"])}}
	sh.do("POST", "/wishlists/product-alerts/", product).must(t, 201)
	product.Set("email", visitor)
	cs.shopper().do("POST", "/wishlists/product-alerts/", product).must(t, 201)

	buyer.do("POST", fmt.Sprintf("/orders/%d/cancel/", orderID), map[string]any{}).must(t, 200)
	var open int
	if err := cs.db.QueryRow("SELECT COUNT(*) FROM product_alerts WHERE notified_at IS NULL").Scan(&open); err != nil || open != 0 {
		t.Fatalf("%d alerts still open after the cancellation (%v)", open, err)
	}
	for _, m := range []mailtest.Message{mp.Await(t, watcher, 2)[1], mp.Await(t, visitor, 1)[0]} {
		mailtest.Link(t, m, "/tee-b/") // the product's page
	}
	// A sweep afterwards finds nothing left to mail.
	alerts := wishlist.NewService(cs.db, mail.NewMailer(cs.db, mail.Settings{StorefrontURL: "https://shop.example"}))
	if n, err := alerts.Sweep(context.Background()); err != nil || n != 0 {
		t.Errorf("sweep fired %d alerts (%v), want 0", n, err)
	}
	drained(t, cs.testStore)
	if n := mp.Count(t, watcher); n != 2 {
		t.Errorf("the customer got %d mails, want confirmation + one alert", n)
	}
	if n := mp.Count(t, visitor); n != 1 {
		t.Errorf("the guest got %d mails, want one alert", n)
	}
}

// Stock held by a card payment waiting for the bank comes back when the
// bank declines; that release fires the product's stock alerts too.
func TestStockAlertFiredByDeclinedCardPayment(t *testing.T) {
	mp := mailtest.Shared(t)
	cs := mailCheckoutStore(t, mp)
	watcher := unique("uma")
	cs.exec("UPDATE products SET stock = 1 WHERE sku = 'TEE-B'")

	buyer := cs.buyer(t, true, unique("vic"), "TEE-B", 1)
	confirm := payByCard(t, cs, buyer, "4000 0000 0000 3220", 1, true)
	if n := cs.stock("TEE-B"); n != 0 {
		t.Fatalf("stock %d while the last unit waits for the bank", n)
	}
	sh := cs.shopper()
	sh.register(watcher, "uma-Secret-999")
	sh.do("POST", "/wishlists/product-alerts/", url.Values{"product": {fmt.Sprint(cs.ids["TEE-B"])}}).must(t, 201)

	threeD(t, buyer, confirm, "decline").must(t, 400)
	if n := cs.stock("TEE-B"); n != 1 {
		t.Fatalf("stock %d after the bank declined, want 1", n)
	}
	mailtest.Link(t, mp.Await(t, watcher, 2)[1], "/tee-b/") // the alert, after the registration mail
	drained(t, cs.testStore)
	if n := mp.Count(t, watcher); n != 2 {
		t.Errorf("the customer got %d mails, want confirmation + one alert", n)
	}
}
