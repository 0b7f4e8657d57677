package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/vitrin/vitrin/internal/address"
	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/session"
	"github.com/vitrin/vitrin/internal/token"
)

// guestAddressKey is the session data key naming a guest's checkout
// addresses; it carries over at login, when they move to the customer.
const guestAddressKey = "address_guest_key"

func registerAddresses(s *Server) {
	s.shop.addresses = address.New(s.db)
	s.onLogin = append(s.onLogin, func(ctx context.Context, sess *session.Session) error {
		key := sess.Get(guestAddressKey)
		if key == "" {
			return nil
		}
		sess.Set(guestAddressKey, "")
		if err := s.shop.addresses.AdoptGuest(ctx, s.db, key, sess.CustomerID); err != nil {
			return err
		}
		return s.sessions.Save(ctx, s.db, sess)
	})
	s.handle("GET /address/detailed", s.listAddresses)
	s.handle("GET /address", s.listAddresses)
	s.handle("POST /address", s.createAddress)
	s.handle("GET /address/{pk}", s.getAddress)
	s.handle("PATCH /address/{pk}", s.updateAddress)
	s.handle("PUT /address/{pk}", s.updateAddress)
	s.handle("DELETE /address/{pk}", s.deleteAddress)
}

// addressOwner is whose address book the request reaches: the customer's,
// or the guest's checkout addresses (create makes the guest a key).
func (s *Server) addressOwner(r *http.Request, create bool) (address.Owner, error) {
	sess, err := s.session(r)
	if err != nil {
		return address.Owner{}, err
	}
	if sess.IsCustomer() {
		return address.Owner{CustomerID: sess.CustomerID}, nil
	}
	key := sess.Get(guestAddressKey)
	if key == "" && create {
		key = token.New(32)
		sess.Set(guestAddressKey, key)
		if err := s.sessions.Save(r.Context(), s.db, sess); err != nil {
			return address.Owner{}, err
		}
	}
	if key == "" {
		return address.Owner{}, apperror.ErrUnauthorized
	}
	return address.Owner{GuestKey: key}, nil
}

func (s *Server) listAddresses(w http.ResponseWriter, r *http.Request) {
	owner, err := s.addressOwner(r, false)
	if err != nil {
		writeError(w, r, err)
		return
	}
	list, err := s.shop.addresses.List(r.Context(), owner)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]address.JSON, len(list))
	for i, a := range list {
		out[i] = a.Wire()
	}
	writeJSON(w, http.StatusOK, paginate(r, out, 1000))
}

// addressFields applies the sent fields onto f; with partial (PATCH) the
// absent ones stay as they are.
func addressFields(in *input, f *address.Fields, partial bool) error {
	errs := apperror.Fields{}
	text := map[string]*string{"title": &f.Title, "first_name": &f.FirstName, "last_name": &f.LastName,
		"email": &f.Email, "phone_number": &f.Phone, "line": &f.Line, "postcode": &f.Postcode,
		"company_name": &f.CompanyName, "tax_no": &f.TaxNo, "tax_office": &f.TaxOffice,
		"identity_number": &f.IdentityNumber, "notes": &f.Notes}
	for name, p := range text {
		if in.has(name) || !partial {
			*p = in.str(name)
		}
	}
	places := map[string]*int64{"country": &f.Country, "city": &f.City, "township": &f.Township, "district": &f.District}
	for name, p := range places {
		if !in.has(name) && partial {
			continue
		}
		raw := strings.TrimSpace(in.str(name))
		// A client that sends the address back as it got it nests the
		// place: {"pk": 3, "name": ...}.
		var nested struct {
			PK json.Number `json:"pk"`
		}
		if raw == "" && in.decode(name, &nested) == nil && nested.PK != "" {
			raw = nested.PK.String()
		}
		if raw == "" {
			*p = 0
			continue
		}
		pk, ok := catalog.ParsePK(raw)
		if !ok {
			errs.Add(name, "Incorrect type. Expected pk value.")
			continue
		}
		*p = pk
	}
	if in.has("is_corporate") || in.has("type") || !partial {
		f.IsCorporate = in.boolean("is_corporate") || strings.EqualFold(in.str("type"), "corporate")
	}
	if in.has("e_bill_taxpayer") || !partial {
		f.EBillTaxpayer = in.boolean("e_bill_taxpayer")
	}
	if in.has("primary") || !partial {
		f.Primary = in.boolean("primary")
	}
	return errs.OrNil()
}

func (s *Server) createAddress(w http.ResponseWriter, r *http.Request) {
	in, err := s.input(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var f address.Fields
	if err := addressFields(in, &f, false); err != nil {
		writeError(w, r, err)
		return
	}
	owner, err := s.addressOwner(r, true)
	if err != nil {
		writeError(w, r, err)
		return
	}
	a, err := s.shop.addresses.Create(r.Context(), owner, f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a.Wire())
}

func (s *Server) getAddress(w http.ResponseWriter, r *http.Request) {
	pk, ok := pathPK(w, r, "pk")
	if !ok {
		return
	}
	owner, err := s.addressOwner(r, false)
	if err != nil {
		writeError(w, r, err)
		return
	}
	a, err := s.shop.addresses.Get(r.Context(), s.db, owner, pk)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.Wire())
}

func (s *Server) updateAddress(w http.ResponseWriter, r *http.Request) {
	pk, ok := pathPK(w, r, "pk")
	if !ok {
		return
	}
	in, err := s.input(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	owner, err := s.addressOwner(r, false)
	if err != nil {
		writeError(w, r, err)
		return
	}
	a, err := s.shop.addresses.Update(r.Context(), owner, pk, func(f *address.Fields) error {
		return addressFields(in, f, r.Method == http.MethodPatch)
	})
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.Wire())
}

func (s *Server) deleteAddress(w http.ResponseWriter, r *http.Request) {
	pk, ok := pathPK(w, r, "pk")
	if !ok {
		return
	}
	owner, err := s.addressOwner(r, false)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.shop.addresses.Delete(r.Context(), owner, pk); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
