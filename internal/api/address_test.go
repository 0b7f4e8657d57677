package api

import (
	"context"
	"fmt"
	"testing"
)

// geography is a small imported geography: Türkiye with İstanbul
// (Kadıköy, Moda) and Ankara (Çankaya), and Germany with Berlin.
type geography struct {
	tr, de, istanbul, ankara, berlin, kadikoy, cankaya, moda int64
}

func seedGeography(t *testing.T, ts *testStore) geography {
	t.Helper()
	ctx := context.Background()
	var g geography
	insert := func(dst *int64, query string, args ...any) {
		if err := ts.db.QueryRowContext(ctx, query+" RETURNING id", args...).Scan(dst); err != nil {
			t.Fatal(err)
		}
	}
	insert(&g.tr, "INSERT INTO countries (code, name) VALUES ('tr', 'Türkiye')")
	insert(&g.de, "INSERT INTO countries (code, name) VALUES ('de', 'Germany')")
	insert(&g.istanbul, "INSERT INTO cities (country_id, name) VALUES ($1, 'İstanbul')", g.tr)
	insert(&g.ankara, "INSERT INTO cities (country_id, name) VALUES ($1, 'Ankara')", g.tr)
	insert(&g.berlin, "INSERT INTO cities (country_id, name) VALUES ($1, 'Berlin')", g.de)
	insert(&g.kadikoy, "INSERT INTO townships (city_id, name) VALUES ($1, 'Kadıköy')", g.istanbul)
	insert(&g.cankaya, "INSERT INTO townships (city_id, name) VALUES ($1, 'Çankaya')", g.ankara)
	insert(&g.moda, "INSERT INTO districts (township_id, name) VALUES ($1, 'Moda')", g.kadikoy)
	return g
}

// addressBody is a valid personal address in Kadıköy.
func (g geography) addressBody(title string) map[string]any {
	return map[string]any{"type": "personal", "is_corporate": "false", "title": title,
		"first_name": "Ada", "last_name": "Lovelace", "phone_number": "05551112233",
		"country": fmt.Sprint(g.tr), "city": fmt.Sprint(g.istanbul), "township": fmt.Sprint(g.kadikoy),
		"district": fmt.Sprint(g.moda), "line": "Moda Cad. 1", "postcode": "34710"}
}

func TestAddressBook(t *testing.T) {
	ts := newTestStore(t)
	g := seedGeography(t, ts)
	ada := ts.shopper()
	ada.register("ada@example.com", "correct horse 1")

	home := ada.do("POST", "/address/", g.addressBody("Home")).must(t, 201).json()
	if home["primary"] != true || home["city"].(map[string]any)["name"] != "İstanbul" ||
		home["district"].(map[string]any)["name"] != "Moda" {
		t.Fatalf("first address: %v", home)
	}
	work := g.addressBody("Work")
	work["is_corporate"], work["type"] = "true", "corporate"
	work["company_name"], work["tax_no"], work["tax_office"] = "Analytical Engines", "1234567890", "Kadıköy"
	workPK := ada.do("POST", "/address/", work).must(t, 201).json()["pk"]
	homePK := home["pk"]

	// PATCH {"primary": true} moves the default.
	ada.do("PATCH", fmt.Sprintf("/address/%v/", workPK), map[string]any{"primary": true}).must(t, 200)
	var list struct {
		Count   int              `json:"count"`
		Results []map[string]any `json:"results"`
	}
	ada.do("GET", "/address/detailed/", nil).must(t, 200).decode(t, &list)
	if list.Count != 2 || list.Results[0]["pk"] != workPK || list.Results[0]["primary"] != true ||
		list.Results[1]["primary"] != false || list.Results[0]["is_corporate"] != "true" {
		t.Fatalf("after making work the default: %v", list)
	}
	// PUT replaces, PATCH edits one field.
	ada.do("PATCH", fmt.Sprintf("/address/%v", homePK), map[string]any{"line": "Bahariye Cad. 5"}).must(t, 200)
	if got := ada.do("GET", fmt.Sprintf("/address/%v/", homePK), nil).must(t, 200).json()["line"]; got != "Bahariye Cad. 5" {
		t.Fatalf("line after PATCH: %v", got)
	}

	// Another customer sees and touches none of Ada's addresses.
	eve := ts.shopper()
	eve.register("eve@example.com", "correct horse 2")
	for _, m := range []string{"GET", "PATCH", "PUT", "DELETE"} {
		eve.do(m, fmt.Sprintf("/address/%v/", homePK), g.addressBody("Stolen")).must(t, 404)
	}
	eve.do("GET", "/address/detailed/", nil).must(t, 200).decode(t, &list)
	if list.Count != 0 {
		t.Fatalf("eve sees %v", list)
	}

	// Bad input is refused on create, and through PATCH too (where an
	// absent field is kept, so only edits that send the field count).
	var refusals []scenario
	for _, c := range []struct {
		name  string
		edit  func(map[string]any)
		field string
	}{
		{"township of another city", func(b map[string]any) { b["township"] = fmt.Sprint(g.cankaya); b["district"] = "" }, "township"},
		{"city of another country", func(b map[string]any) { b["country"] = fmt.Sprint(g.de) }, "city"},
		{"unknown country", func(b map[string]any) { b["country"] = "999999" }, "country"},
		{"not a pk", func(b map[string]any) { b["city"] = "abc" }, "city"},
		{"missing line", func(b map[string]any) { delete(b, "line") }, "line"},
		{"corporate without tax number", func(b map[string]any) { b["is_corporate"] = "true" }, "tax_no"},
		{"bad phone", func(b map[string]any) { b["phone_number"] = "call me" }, "phone_number"},
	} {
		b := g.addressBody("Bad")
		c.edit(b)
		refusals = append(refusals, scenario{name: c.name, method: "POST", url: "/address/", body: b, as: ada,
			status: 400, contains: []string{`"` + c.field + `":`}})
		if _, sent := b[c.field]; sent {
			refusals = append(refusals, scenario{name: c.name + ", patched", method: "PATCH", url: fmt.Sprintf("/address/%v/", homePK),
				body: b, as: ada, status: 400})
		}
	}
	runScenarios(t, ts, refusals)
	ada.do("GET", "/address/detailed/", nil).must(t, 200).decode(t, &list)
	if list.Count != 2 || list.Results[1]["line"] != "Bahariye Cad. 5" {
		t.Fatalf("bad input stored something: %v", list)
	}

	ada.do("DELETE", fmt.Sprintf("/address/%v/", homePK), nil).must(t, 204)
	ada.do("GET", fmt.Sprintf("/address/%v/", homePK), nil).must(t, 404)

	// A guest's checkout address moves to the account at login.
	guest := ts.shopper()
	guest.do("GET", "/csrf_token/", nil).must(t, 200)
	guest.do("GET", "/address/detailed/", nil).must(t, 401)
	guest.do("POST", "/address/", g.addressBody("Guest")).must(t, 201)
	guest.login("eve@example.com", "correct horse 2")
	guest.do("GET", "/address/detailed/", nil).must(t, 200).decode(t, &list)
	if list.Count != 1 || list.Results[0]["title"] != "Guest" {
		t.Fatalf("eve's addresses after login: %v", list)
	}
}
