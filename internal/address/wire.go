package address

import (
	"strconv"

	"github.com/vitrin/vitrin/internal/catalog"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// JSON is an address in the wire shape of types/commerce/address.ts.
type JSON struct {
	PK             int64             `json:"pk"`
	Title          string            `json:"title"`
	FirstName      string            `json:"first_name"`
	LastName       string            `json:"last_name"`
	Email          string            `json:"email"`
	PhoneNumber    string            `json:"phone_number"`
	Country        catalog.Country   `json:"country"`
	City           catalog.City      `json:"city"`
	Township       *catalog.Township `json:"township"`
	District       *catalog.District `json:"district"`
	Line           string            `json:"line"`
	Postcode       string            `json:"postcode"`
	AddressType    string            `json:"address_type"`
	IsCorporate    string            `json:"is_corporate"`
	CompanyName    string            `json:"company_name"`
	TaxNo          string            `json:"tax_no"`
	TaxOffice      string            `json:"tax_office"`
	EBillTaxpayer  bool              `json:"e_bill_taxpayer"`
	IdentityNumber *string           `json:"identity_number"`
	Notes          *string           `json:"notes"`
	Primary        bool              `json:"primary"`
	User           *userRef          `json:"user"`
	ExtraField     any               `json:"extra_field"`
	RemoteID       any               `json:"remote_id"`
	RetailStore    any               `json:"retail_store"`
	HashData       string            `json:"hash_data"`
}

type userRef struct {
	PK int64 `json:"pk"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Wire renders the address for the client.
func (a *Address) Wire() JSON {
	j := JSON{PK: a.ID, Title: a.Title, FirstName: a.FirstName, LastName: a.LastName, Email: a.Email,
		PhoneNumber: a.Phone, Country: a.CountryPlace, City: a.CityPlace, Township: a.TownshipPlace,
		District: a.DistrictPlace, Line: a.Line, Postcode: a.Postcode, AddressType: "customer",
		IsCorporate: strconv.FormatBool(a.IsCorporate), CompanyName: a.CompanyName, TaxNo: a.TaxNo,
		TaxOffice: a.TaxOffice, EBillTaxpayer: a.EBillTaxpayer, IdentityNumber: optional(a.IdentityNumber),
		Notes: optional(a.Notes), Primary: a.Primary, HashData: itoa(a.ID)}
	if a.Owner.CustomerID != 0 {
		j.User = &userRef{PK: a.Owner.CustomerID}
	}
	return j
}
