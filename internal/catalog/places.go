package catalog

import (
	"context"
	"encoding/json"
	"strconv"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Country, City, Township and District are the geography in the wire
// shapes of types/commerce/address.ts.
type Country struct {
	PK           int64   `json:"pk"`
	Code         string  `json:"code"`
	Name         string  `json:"name"`
	IsActive     bool    `json:"is_active"`
	Translations *string `json:"translations"`
}

type City struct {
	PK           int64   `json:"pk"`
	Name         string  `json:"name"`
	Country      Country `json:"country"`
	IsActive     bool    `json:"is_active"`
	Postcode     string  `json:"postcode"`
	Priority     *int    `json:"priority"`
	Translations *string `json:"translations"`
}

type Township struct {
	PK       int64  `json:"pk"`
	Name     string `json:"name"`
	City     City   `json:"city"`
	IsActive bool   `json:"is_active"`
	Postcode string `json:"postcode"`
}

type District struct {
	PK       int64  `json:"pk"`
	Name     string `json:"name"`
	City     int64  `json:"city"`
	Township int64  `json:"township"`
	IsActive bool   `json:"is_active"`
	Postcode string `json:"postcode"`
}

// Countries lists the countries by name.
func (s *Service) Countries(ctx context.Context) ([]Country, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, code, name FROM countries ORDER BY name, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Country{}
	for rows.Next() {
		c := Country{IsActive: true}
		if err := rows.Scan(&c.PK, &c.Code, &c.Name); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// withStores is the SQL condition that keeps places with an active retail store.
func withStores(column string, only bool) string {
	if !only {
		return ""
	}
	return " AND EXISTS (SELECT 1 FROM retail_stores rs WHERE rs.is_active AND rs." + column + ")"
}

// Cities lists the cities of a country (all countries when country is 0),
// only those with a retail store when withStore is set.
func (s *Service) Cities(ctx context.Context, country int64, withStore bool) ([]City, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT ci.id, ci.name, ci.postcode, co.id, co.code, co.name
		FROM cities ci JOIN countries co ON co.id = ci.country_id
		WHERE ($1 = 0 OR ci.country_id = $1)`+withStores("city_id = ci.id", withStore)+` ORDER BY ci.name, ci.id`, country)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []City{}
	for rows.Next() {
		c := City{IsActive: true, Country: Country{IsActive: true}}
		if err := rows.Scan(&c.PK, &c.Name, &c.Postcode, &c.Country.PK, &c.Country.Code, &c.Country.Name); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Townships lists the townships of a city (0: every city).
func (s *Service) Townships(ctx context.Context, city int64, withStore bool) ([]Township, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT t.id, t.name, t.postcode, ci.id, ci.name, ci.postcode, co.id, co.code, co.name
		FROM townships t JOIN cities ci ON ci.id = t.city_id JOIN countries co ON co.id = ci.country_id
		WHERE ($1 = 0 OR t.city_id = $1)`+withStores("township_id = t.id", withStore)+` ORDER BY t.name, t.id`, city)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Township{}
	for rows.Next() {
		t := Township{IsActive: true, City: City{IsActive: true, Country: Country{IsActive: true}}}
		if err := rows.Scan(&t.PK, &t.Name, &t.Postcode, &t.City.PK, &t.City.Name, &t.City.Postcode, &t.City.Country.PK, &t.City.Country.Code, &t.City.Country.Name); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Districts lists the districts of a township (0: every township).
func (s *Service) Districts(ctx context.Context, township int64, withStore bool) ([]District, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT d.id, d.name, d.postcode, t.city_id, t.id
		FROM districts d JOIN townships t ON t.id = d.township_id
		WHERE ($1 = 0 OR d.township_id = $1)`+withStores("district_id = d.id", withStore)+` ORDER BY d.name, d.id`, township)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []District{}
	for rows.Next() {
		d := District{IsActive: true}
		if err := rows.Scan(&d.PK, &d.Name, &d.Postcode, &d.City, &d.Township); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// RetailStore is a physical shop in the wire shape of misc.ts RetailStore.
type RetailStore struct {
	PK         int64           `json:"pk"`
	Name       string          `json:"name"`
	Address    string          `json:"address"`
	Latitude   string          `json:"latitude"`
	Longitude  string          `json:"longitude"`
	Phone      string          `json:"phone"`
	StoreHours json.RawMessage `json:"store_hours"`
	Township   *storeTownship  `json:"township"`
	District   *District       `json:"district"`
}

type storeTownship struct {
	PK   int64     `json:"pk"`
	Name string    `json:"name"`
	City storeCity `json:"city"`
}

type storeCity struct {
	PK      int64  `json:"pk"`
	Name    string `json:"name"`
	Country int64  `json:"country"`
}

// StoreFilter narrows the retail store list.
type StoreFilter struct {
	City, Township, District int64
	// Product, when set, adds each store's stock of it (0 when it has
	// none): the storefront shows such a store as out of stock.
	Product int64
}

// RetailStores lists active stores in sort order, with the stock of
// filter.Product when it is set.
func (s *Service) RetailStores(ctx context.Context, f StoreFilter) ([]RetailStore, []int64, error) {
	query := `SELECT rs.id, rs.name, rs.address, rs.latitude, rs.longitude, rs.phone, rs.store_hours,
			COALESCE(t.id, 0), COALESCE(t.name, ''), COALESCE(ci.id, 0), COALESCE(ci.name, ''), COALESCE(ci.country_id, 0),
			COALESCE(d.id, 0), COALESCE(d.name, ''), COALESCE(d.postcode, ''), COALESCE(st.stock, 0)
		FROM retail_stores rs
		LEFT JOIN townships t ON t.id = rs.township_id
		LEFT JOIN cities ci ON ci.id = rs.city_id
		LEFT JOIN districts d ON d.id = rs.district_id
		LEFT JOIN retail_store_stock st ON st.retail_store_id = rs.id AND st.product_id = $3
		WHERE rs.is_active AND ($1 = 0 OR rs.city_id = $1) AND ($2 = 0 OR rs.township_id = $2) AND ($4 = 0 OR rs.district_id = $4)
		ORDER BY rs.sort_order, rs.name, rs.id`
	rows, err := s.db.QueryContext(ctx, query, f.City, f.Township, f.Product, f.District)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	out, stock := []RetailStore{}, []int64{}
	for rows.Next() {
		var r RetailStore
		var hours string
		var t storeTownship
		var d District
		var n int64
		if err := rows.Scan(&r.PK, &r.Name, &r.Address, &r.Latitude, &r.Longitude, &r.Phone, &hours,
			&t.PK, &t.Name, &t.City.PK, &t.City.Name, &t.City.Country, &d.PK, &d.Name, &d.Postcode, &n); err != nil {
			return nil, nil, err
		}
		r.StoreHours = json.RawMessage(hours)
		if !json.Valid(r.StoreHours) {
			r.StoreHours = json.RawMessage("[]")
		}
		if t.PK != 0 {
			r.Township = &t
		}
		if d.PK != 0 {
			d.IsActive, d.Township, d.City = true, t.PK, t.City.PK
			r.District = &d
		}
		out = append(out, r)
		stock = append(stock, n)
	}
	return out, stock, rows.Err()
}
