package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/basket"
	"github.com/vitrin/vitrin/internal/session"
)

// writeBasket answers {"basket": ...} in the request's currency and language.
func (s *Server) writeBasket(w http.ResponseWriter, r *http.Request, b *basket.Basket) error {
	wire, err := s.basketWire(r, b)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"basket": wire})
}

// basketWire renders b with the catalog's product cards (checkout's
// pre_order embeds it too).
func (s *Server) basketWire(r *http.Request, b *basket.Basket) (basket.JSON, error) {
	model, err := s.catalog.Served(r.Context())
	if err != nil {
		return basket.JSON{}, err
	}
	return b.Wire(model, model.OffersAt(time.Now()), s.language(r)), nil
}

func (s *Server) getBasket(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.shopper(r)
	if err != nil {
		return err
	}
	b, err := s.baskets.Get(r.Context(), sess, s.currency(r))
	if err != nil {
		return err
	}
	return s.writeBasket(w, r, b)
}

// basketChange reads {product, quantity, attributes}; quantity defaults to
// 1 when adding and is required when setting.
func (s *Server) basketChange(r *http.Request, adding bool) (*session.Session, basket.Change, error) {
	var c basket.Change
	in, err := s.input(r)
	if err != nil {
		return nil, c, err
	}
	errs := apperror.Fields{}
	product, present, err := in.integer("product")
	switch {
	case err != nil:
		errs.Add("product", "Incorrect type. Expected pk value.")
	case !present:
		errs.Add("product", "This field is required.")
	}
	quantity, present, err := in.integer("quantity")
	switch {
	case err != nil:
		errs.Add("quantity", "A valid integer is required.")
	case !present && adding:
		quantity = 1
	case !present:
		errs.Add("quantity", "This field is required.")
	}
	var attrs map[string]any
	if err := in.decode("attributes", &attrs); err != nil {
		errs.Add("attributes", "Expected a dictionary of items.")
	}
	if len(errs) > 0 {
		return nil, c, errs
	}
	c = basket.Change{ProductID: product, Quantity: quantity}
	if in.has("attributes") && attrs != nil {
		c.Attributes, _ = json.Marshal(attrs)
	}
	sess, err := s.shopper(r)
	return sess, c, err
}

func (s *Server) addToBasket(w http.ResponseWriter, r *http.Request) error {
	sess, c, err := s.basketChange(r, true)
	if err != nil {
		return err
	}
	b, err := s.baskets.Add(r.Context(), sess, s.currency(r), c)
	if err != nil {
		return err
	}
	return s.writeBasket(w, r, b)
}

func (s *Server) setBasketQuantity(w http.ResponseWriter, r *http.Request) error {
	sess, c, err := s.basketChange(r, false)
	if err != nil {
		return err
	}
	b, err := s.baskets.SetQuantity(r.Context(), sess, s.currency(r), c)
	if err != nil {
		return err
	}
	return s.writeBasket(w, r, b)
}

func (s *Server) clearBasket(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.session(r)
	if err != nil {
		return err
	}
	b, err := s.baskets.Clear(r.Context(), sess, s.currency(r))
	if err != nil {
		return err
	}
	return s.writeBasket(w, r, b)
}

// basketVoucher applies {voucher_code} or removes it with
// {remove_voucher_code: true}.
func (s *Server) basketVoucher(w http.ResponseWriter, r *http.Request) error {
	in, err := s.input(r)
	if err != nil {
		return err
	}
	sess, err := s.session(r)
	if err != nil {
		return err
	}
	var b *basket.Basket
	switch {
	case in.boolean("remove_voucher_code"):
		b, err = s.baskets.RemoveVoucher(r.Context(), sess, s.currency(r))
	case in.str("voucher_code") != "":
		b, err = s.baskets.ApplyVoucher(r.Context(), sess, s.currency(r), "", in.str("voucher_code"))
	default:
		err = apperror.Field("voucher_code", "This field is required.")
	}
	if err != nil {
		return err
	}
	return s.writeBasket(w, r, b)
}
