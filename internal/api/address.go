package api

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/vitrin/vitrin/internal/address"
	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/token"
)

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
	key := sess.Get(address.GuestSessionKey)
	if key == "" && create {
		key = token.New(32)
		sess.Set(address.GuestSessionKey, key)
		if err := s.sessions.Save(r.Context(), s.db, sess); err != nil {
			return address.Owner{}, err
		}
	}
	if key == "" {
		return address.Owner{}, apperror.ErrUnauthorized
	}
	return address.Owner{GuestKey: key}, nil
}

func (s *Server) listAddresses(w http.ResponseWriter, r *http.Request) error {
	owner, err := s.addressOwner(r, false)
	if err != nil {
		return err
	}
	list, err := s.addresses.List(r.Context(), owner)
	if err != nil {
		return err
	}
	out := make([]address.JSON, len(list))
	for i, a := range list {
		out[i] = a.Wire()
	}
	return writeJSON(w, http.StatusOK, paginate(r, out, 1000))
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

func (s *Server) createAddress(w http.ResponseWriter, r *http.Request) error {
	in, err := s.input(r)
	if err != nil {
		return err
	}
	var f address.Fields
	if err := addressFields(in, &f, false); err != nil {
		return err
	}
	owner, err := s.addressOwner(r, true)
	if err != nil {
		return err
	}
	a, err := s.addresses.Create(r.Context(), owner, f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, a.Wire())
}

func (s *Server) getAddress(w http.ResponseWriter, r *http.Request) error {
	pk, err := pathPK(r, "pk")
	if err != nil {
		return err
	}
	owner, err := s.addressOwner(r, false)
	if err != nil {
		return err
	}
	a, err := s.addresses.Get(r.Context(), s.db, owner, pk)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a.Wire())
}

func (s *Server) updateAddress(w http.ResponseWriter, r *http.Request) error {
	pk, err := pathPK(r, "pk")
	if err != nil {
		return err
	}
	in, err := s.input(r)
	if err != nil {
		return err
	}
	owner, err := s.addressOwner(r, false)
	if err != nil {
		return err
	}
	a, err := s.addresses.Update(r.Context(), owner, pk, func(f *address.Fields) error {
		return addressFields(in, f, r.Method == http.MethodPatch)
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a.Wire())
}

func (s *Server) deleteAddress(w http.ResponseWriter, r *http.Request) error {
	pk, err := pathPK(r, "pk")
	if err != nil {
		return err
	}
	owner, err := s.addressOwner(r, false)
	if err != nil {
		return err
	}
	if err := s.addresses.Delete(r.Context(), owner, pk); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
