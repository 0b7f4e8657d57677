package api

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/vitrin/vitrin/internal/account"
	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/credential"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/mail"
	"github.com/vitrin/vitrin/internal/privacy"
	"github.com/vitrin/vitrin/internal/subscription"
	"github.com/vitrin/vitrin/internal/support"
	"github.com/vitrin/vitrin/internal/wishlist"
)

// extras are the routes of account extras, mail and customer support
// (issue 8): password reset, e-mail change and confirmation, contact form,
// wishlist, stock alerts, newsletter and anonymisation.
type extras struct {
	*Server
	credentials   *credential.Service
	support       *support.Service
	wishlist      *wishlist.Service
	subscriptions *subscription.Service
	privacy       *privacy.Service
}

func registerExtras(s *Server) error {
	mailer := mail.NewMailer(s.db, mail.SettingsFrom(s.cfg))
	x := &extras{
		Server:        s,
		credentials:   credential.NewService(s.db, s.accounts, s.sessions, mailer),
		support:       support.NewService(s.db, mailer),
		wishlist:      wishlist.NewService(s.db, mailer),
		subscriptions: subscription.NewService(s.db, mailer),
		privacy:       privacy.NewService(s.db, s.sessions),
	}
	s.onRegister = append(s.onRegister, x.mailAccountConfirmation)
	s.metrics.registry.MustRegister(mail.NewOutboxCollector(s.db))

	s.handle("POST /users/password/reset", x.requestPasswordReset)
	s.handle("POST /users/reset/{slug}", x.resetPassword)
	s.handle("POST /users/email-change", x.requestEmailChange)
	s.handle("GET /users/email-set-primary/{token}", x.confirmEmailChange)
	s.handle("GET /users/registration/account-confirm-email/{token}", x.confirmAccount)
	s.handle("PATCH /users/anonymize", x.anonymize)

	s.handle("GET /users/contact-us-subjects", x.contactSubjects)
	s.handle("POST /users/contact-us", x.contactUs)

	s.handle("GET /wishlists/favourite-products", x.favourites)
	s.handle("POST /wishlists/favourite-products", x.addFavourite)
	s.handle("DELETE /wishlists/favourite-products/{pk}", x.removeFavourite)
	s.handle("GET /wishlists/product-alerts", x.alerts)
	s.handle("POST /wishlists/product-alerts", x.addAlert)
	s.handle("DELETE /wishlists/product-alerts/{pk}", x.removeAlert)

	s.handle("POST /email-subscription", x.subscribe)
	s.handle("GET /email-subscription/confirm/{token}", x.confirmSubscription)
	s.handle("GET /email-subscription/unsubscribe/{id}/{signature}", x.unsubscribe)
	// RFC 8058 one-click unsubscribe: the mailbox provider posts to the link.
	s.handle("POST /email-subscription/unsubscribe/{id}/{signature}", x.unsubscribe)
	return nil
}

// mailAccountConfirmation runs in the registration's transaction.
func (x *extras) mailAccountConfirmation(ctx context.Context, q database.Querier, c *account.Customer) error {
	return x.credentials.QueueAccountConfirmation(ctx, q, c, c.Language)
}

// storeLanguage is the request's language among the store's. The store's
// languages are read from the catalog's model, brought up to date first:
// an import may have added a language since this node last looked.
func (x *extras) storeLanguage(r *http.Request) string {
	if _, err := x.catalog.Current(r.Context()); err != nil {
		slog.Warn("catalog model for the store's languages", "err", err)
	}
	return x.language(r)
}

// body parses the request body, answering the error itself.
func (x *extras) body(w http.ResponseWriter, r *http.Request) (*input, bool) {
	in, err := x.input(r)
	if err != nil {
		writeError(w, r, err)
		return nil, false
	}
	return in, true
}

// reply answers err, or status with v when err is nil.
func reply(w http.ResponseWriter, r *http.Request, err error, status int, v any) {
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, status, v)
}

func (x *extras) requestPasswordReset(w http.ResponseWriter, r *http.Request) {
	in, ok := x.body(w, r)
	if !ok {
		return
	}
	err := x.credentials.RequestPasswordReset(r.Context(), in.str("email"), x.clientAddr(r), x.storeLanguage(r))
	reply(w, r, err, http.StatusOK, detail{Detail: "Password reset e-mail has been sent."})
}

func (x *extras) resetPassword(w http.ResponseWriter, r *http.Request) {
	in, ok := x.body(w, r)
	if !ok {
		return
	}
	err := x.credentials.ResetPassword(r.Context(), r.PathValue("slug"), in.str("new_password1"), in.str("new_password2"))
	reply(w, r, err, http.StatusOK, detail{Detail: "Password has been reset with the new password."})
}

func (x *extras) requestEmailChange(w http.ResponseWriter, r *http.Request) {
	sess, err := x.customer(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	in, ok := x.body(w, r)
	if !ok {
		return
	}
	err = x.credentials.RequestEmailChange(r.Context(), sess.CustomerID, in.str("email"), in.str("emailConfirm"),
		in.str("password"), x.storeLanguage(r))
	reply(w, r, err, http.StatusOK, detail{Detail: "Confirmation e-mail sent to the new address."})
}

func (x *extras) confirmEmailChange(w http.ResponseWriter, r *http.Request) {
	err := x.credentials.ConfirmEmailChange(r.Context(), r.PathValue("token"))
	reply(w, r, err, http.StatusOK, detail{Detail: "Your e-mail address has been changed."})
}

func (x *extras) confirmAccount(w http.ResponseWriter, r *http.Request) {
	err := x.credentials.ConfirmAccount(r.Context(), r.PathValue("token"))
	reply(w, r, err, http.StatusOK, detail{Detail: "Your e-mail address has been confirmed."})
}

// anonymize erases the customer and leaves the caller a fresh guest.
func (x *extras) anonymize(w http.ResponseWriter, r *http.Request) {
	sess, err := x.customer(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := x.privacy.Anonymize(r.Context(), sess.CustomerID); err != nil {
		writeError(w, r, err)
		return
	}
	if err := x.sessions.End(r.Context(), x.db, sess); err != nil {
		writeError(w, r, err)
		return
	}
	writeDetail(w, http.StatusOK, "Your account has been anonymised.")
}

func (x *extras) contactSubjects(w http.ResponseWriter, r *http.Request) {
	list, err := x.support.Subjects(r.Context(), x.storeLanguage(r))
	reply(w, r, err, http.StatusOK, list)
}

func (x *extras) contactUs(w http.ResponseWriter, r *http.Request) {
	sess, err := x.session(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	in, ok := x.body(w, r)
	if !ok {
		return
	}
	m := support.Message{
		CustomerID: sess.CustomerID, FullName: in.str("full_name"), Email: in.str("email"), Phone: in.str("phone"),
		Subject: in.str("subject"), Order: in.str("order"), Text: in.str("message"),
		CountryCode: in.str("country_code"), ClientAddr: x.clientAddr(r),
	}
	err = x.support.Submit(r.Context(), m)
	reply(w, r, err, http.StatusOK, detail{Detail: "Your message has been sent."})
}

// wishItem is a favourite or alert in a list: the product as listings show it.
type wishItem struct {
	PK      int64               `json:"pk"`
	Product catalog.ProductJSON `json:"product"`
}

// createdItem answers an add: the client's types have the product's pk.
type createdItem struct {
	PK      int64 `json:"pk"`
	Product int64 `json:"product"`
}

type successJSON struct {
	Success bool `json:"success"`
}

// listItems answers one page of a customer's favourites or alerts.
func (x *extras) listItems(w http.ResponseWriter, r *http.Request, read func(ctx context.Context, customerID int64, limit, offset int) (*wishlist.Page, error)) {
	sess, err := x.customer(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	size := min(positiveParam(q.Get("limit"), positiveParam(q.Get("page_size"), 12)), catalog.MaxPageSize)
	page := pageParam(q.Get("page"))
	p, err := read(r.Context(), sess.CustomerID, size, (page-1)*size)
	if err != nil {
		writeError(w, r, err)
		return
	}
	m, ok := x.model(w, r)
	if !ok {
		return
	}
	loc := x.locale(r)
	out := listJSON[wishItem]{Count: p.Total, Results: make([]wishItem, len(p.Items))}
	offers := m.OffersAt(time.Now())
	for i, it := range p.Items {
		out.Results[i] = wishItem{PK: it.ID, Product: catalog.ProductJSON{PK: it.ProductID, Stock: it.Stock}}
		if product, ok := m.Product(it.ProductID); ok {
			out.Results[i].Product = product.Wire(loc.currency, loc.language, it.Stock, offers)
		}
	}
	link := func(n int) *string {
		u := *r.URL
		v := u.Query()
		v.Set("page", strconv.Itoa(n))
		u.RawQuery = v.Encode()
		s := u.RequestURI()
		return &s
	}
	if page*size < p.Total {
		out.Next = link(page + 1)
	}
	if page > 1 {
		out.Previous = link(page - 1)
	}
	writeJSON(w, http.StatusOK, out)
}

// productField reads the product pk of an add.
func productField(in *input) (int64, error) {
	id, present, err := in.integer("product")
	if err != nil {
		return 0, err
	}
	if !present {
		return 0, apperror.Field("product", "This field is required.")
	}
	return id, nil
}

func (x *extras) favourites(w http.ResponseWriter, r *http.Request) {
	x.listItems(w, r, x.wishlist.Favourites)
}

func (x *extras) addFavourite(w http.ResponseWriter, r *http.Request) {
	sess, err := x.customer(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	in, ok := x.body(w, r)
	if !ok {
		return
	}
	productID, err := productField(in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	it, err := x.wishlist.AddFavourite(r.Context(), sess.CustomerID, productID)
	reply(w, r, err, http.StatusCreated, createdItem{PK: it.ID, Product: it.ProductID})
}

// removeOwned deletes a customer's favourite or alert by its path pk.
func (x *extras) removeOwned(w http.ResponseWriter, r *http.Request, remove func(ctx context.Context, customerID, id int64) error) {
	sess, err := x.customer(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	pk, ok := pathPK(w, r, "pk")
	if !ok {
		return
	}
	err = remove(r.Context(), sess.CustomerID, pk)
	reply(w, r, err, http.StatusOK, successJSON{Success: true})
}

func (x *extras) removeFavourite(w http.ResponseWriter, r *http.Request) {
	x.removeOwned(w, r, x.wishlist.RemoveFavourite)
}

func (x *extras) alerts(w http.ResponseWriter, r *http.Request) {
	x.listItems(w, r, x.wishlist.Alerts)
}

// addAlert opens a stock alert for a customer, or for a guest who gives
// an e-mail address.
func (x *extras) addAlert(w http.ResponseWriter, r *http.Request) {
	sess, err := x.session(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	in, ok := x.body(w, r)
	if !ok {
		return
	}
	productID, err := productField(in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	it, err := x.wishlist.AddAlert(r.Context(), wishlist.AlertRequest{
		CustomerID: sess.CustomerID, Email: in.str("email"), ProductID: productID,
		Language: x.storeLanguage(r), ClientAddr: x.clientAddr(r),
	})
	reply(w, r, err, http.StatusCreated, createdItem{PK: it.ID, Product: it.ProductID})
}

func (x *extras) removeAlert(w http.ResponseWriter, r *http.Request) {
	x.removeOwned(w, r, x.wishlist.RemoveAlert)
}

func (x *extras) subscribe(w http.ResponseWriter, r *http.Request) {
	in, ok := x.body(w, r)
	if !ok {
		return
	}
	err := x.subscriptions.Subscribe(r.Context(), in.str("email"), in.boolean("subscribe_contract"), x.storeLanguage(r), x.clientAddr(r))
	reply(w, r, err, http.StatusOK, detail{Detail: "Please confirm your subscription from the e-mail we sent."})
}

func (x *extras) confirmSubscription(w http.ResponseWriter, r *http.Request) {
	err := x.subscriptions.Confirm(r.Context(), r.PathValue("token"))
	reply(w, r, err, http.StatusOK, detail{Detail: "Your subscription is confirmed."})
}

func (x *extras) unsubscribe(w http.ResponseWriter, r *http.Request) {
	id, ok := pathPK(w, r, "id")
	if !ok {
		return
	}
	err := x.subscriptions.Unsubscribe(r.Context(), id, r.PathValue("signature"))
	reply(w, r, err, http.StatusOK, detail{Detail: "You have been unsubscribed."})
}
