package api

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/support"
	"github.com/vitrin/vitrin/internal/wishlist"
)

// The routes of account extras, mail and customer support (issue 8):
// password reset, e-mail change and confirmation, contact form, wishlist,
// stock alerts, newsletter and anonymisation.

// storeLanguage is the request's language among the store's. The store's
// languages are read from the catalog's model, brought up to date first:
// an import may have added a language since this node last looked.
func (s *Server) storeLanguage(r *http.Request) string {
	if _, err := s.catalog.Current(r.Context()); err != nil {
		slog.Warn("catalog model for the store's languages", "err", err)
	}
	return s.language(r)
}

func (s *Server) requestPasswordReset(w http.ResponseWriter, r *http.Request) error {
	in, err := s.input(r)
	if err != nil {
		return err
	}
	if err := s.credentials.RequestPasswordReset(r.Context(), in.str("email"), s.clientAddr(r), s.storeLanguage(r)); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, detail{Detail: "Password reset e-mail has been sent."})
}

func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) error {
	in, err := s.input(r)
	if err != nil {
		return err
	}
	if err := s.credentials.ResetPassword(r.Context(), r.PathValue("slug"), in.str("new_password1"), in.str("new_password2")); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, detail{Detail: "Password has been reset with the new password."})
}

func (s *Server) requestEmailChange(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.customer(r)
	if err != nil {
		return err
	}
	in, err := s.input(r)
	if err != nil {
		return err
	}
	err = s.credentials.RequestEmailChange(r.Context(), sess.CustomerID, in.str("email"), in.str("emailConfirm"),
		in.str("password"), s.storeLanguage(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, detail{Detail: "Confirmation e-mail sent to the new address."})
}

func (s *Server) confirmEmailChange(w http.ResponseWriter, r *http.Request) error {
	if err := s.credentials.ConfirmEmailChange(r.Context(), r.PathValue("token")); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, detail{Detail: "Your e-mail address has been changed."})
}

func (s *Server) confirmAccount(w http.ResponseWriter, r *http.Request) error {
	if err := s.credentials.ConfirmAccount(r.Context(), r.PathValue("token")); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, detail{Detail: "Your e-mail address has been confirmed."})
}

// anonymize erases the customer and leaves the caller a fresh guest.
func (s *Server) anonymize(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.customer(r)
	if err != nil {
		return err
	}
	if err := s.privacy.Anonymize(r.Context(), sess.CustomerID); err != nil {
		return err
	}
	if err := s.sessions.End(r.Context(), s.db, sess); err != nil {
		return err
	}
	return writeDetail(w, http.StatusOK, "Your account has been anonymised.")
}

func (s *Server) contactSubjects(w http.ResponseWriter, r *http.Request) error {
	list, err := s.support.Subjects(r.Context(), s.storeLanguage(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (s *Server) contactUs(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.session(r)
	if err != nil {
		return err
	}
	in, err := s.input(r)
	if err != nil {
		return err
	}
	m := support.Message{
		CustomerID: sess.CustomerID, FullName: in.str("full_name"), Email: in.str("email"), Phone: in.str("phone"),
		Subject: in.str("subject"), Order: in.str("order"), Text: in.str("message"),
		CountryCode: in.str("country_code"), ClientAddr: s.clientAddr(r),
	}
	if err := s.support.Submit(r.Context(), m); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, detail{Detail: "Your message has been sent."})
}

type successJSON struct {
	Success bool `json:"success"`
}

// listItems answers one page of a customer's favourites or alerts.
func (s *Server) listItems(w http.ResponseWriter, r *http.Request, read func(ctx context.Context, customerID int64, limit, offset int) (*wishlist.Page, error)) error {
	sess, err := s.customer(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	size := min(positiveParam(q.Get("limit"), positiveParam(q.Get("page_size"), 12)), catalog.MaxPageSize)
	page := pageParam(q.Get("page"))
	p, err := read(r.Context(), sess.CustomerID, size, (page-1)*size)
	if err != nil {
		return err
	}
	m, err := s.catalog.Current(r.Context())
	if err != nil {
		return err
	}
	loc := s.locale(r)
	out := listJSON[wishlist.ItemJSON]{Count: p.Total, Results: make([]wishlist.ItemJSON, len(p.Items))}
	offers := m.OffersAt(time.Now())
	for i, it := range p.Items {
		out.Results[i] = it.Wire(m, loc.currency, loc.language, offers)
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
	return writeJSON(w, http.StatusOK, out)
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

func (s *Server) favourites(w http.ResponseWriter, r *http.Request) error {
	return s.listItems(w, r, s.wishlist.Favourites)
}

func (s *Server) addFavourite(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.customer(r)
	if err != nil {
		return err
	}
	in, err := s.input(r)
	if err != nil {
		return err
	}
	productID, err := productField(in)
	if err != nil {
		return err
	}
	it, err := s.wishlist.AddFavourite(r.Context(), sess.CustomerID, productID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, it.Created())
}

// removeOwned deletes a customer's favourite or alert by its path pk.
func (s *Server) removeOwned(w http.ResponseWriter, r *http.Request, remove func(ctx context.Context, customerID, id int64) error) error {
	sess, err := s.customer(r)
	if err != nil {
		return err
	}
	pk, err := pathPK(r, "pk")
	if err != nil {
		return err
	}
	if err := remove(r.Context(), sess.CustomerID, pk); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, successJSON{Success: true})
}

func (s *Server) removeFavourite(w http.ResponseWriter, r *http.Request) error {
	return s.removeOwned(w, r, s.wishlist.RemoveFavourite)
}

func (s *Server) alerts(w http.ResponseWriter, r *http.Request) error {
	return s.listItems(w, r, s.wishlist.Alerts)
}

// addAlert opens a stock alert for a customer, or for a guest who gives
// an e-mail address.
func (s *Server) addAlert(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.session(r)
	if err != nil {
		return err
	}
	in, err := s.input(r)
	if err != nil {
		return err
	}
	productID, err := productField(in)
	if err != nil {
		return err
	}
	it, err := s.wishlist.AddAlert(r.Context(), wishlist.AlertRequest{
		CustomerID: sess.CustomerID, Email: in.str("email"), ProductID: productID,
		Language: s.storeLanguage(r), ClientAddr: s.clientAddr(r),
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, it.Created())
}

func (s *Server) removeAlert(w http.ResponseWriter, r *http.Request) error {
	return s.removeOwned(w, r, s.wishlist.RemoveAlert)
}

func (s *Server) subscribe(w http.ResponseWriter, r *http.Request) error {
	in, err := s.input(r)
	if err != nil {
		return err
	}
	if err := s.subscriptions.Subscribe(r.Context(), in.str("email"), in.boolean("subscribe_contract"), s.storeLanguage(r), s.clientAddr(r)); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, detail{Detail: "Please confirm your subscription from the e-mail we sent."})
}

func (s *Server) confirmSubscription(w http.ResponseWriter, r *http.Request) error {
	if err := s.subscriptions.Confirm(r.Context(), r.PathValue("token")); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, detail{Detail: "Your subscription is confirmed."})
}

func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) error {
	id, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	if err := s.subscriptions.Unsubscribe(r.Context(), id, r.PathValue("signature")); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, detail{Detail: "You have been unsubscribed."})
}
