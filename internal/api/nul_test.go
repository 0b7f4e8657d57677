package api

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/vitrin/vitrin/internal/csrf"
)

// TestNULIsRefused: a NUL character anywhere in the input (JSON, form,
// multipart, query, path) answers 400 naming the field and changes
// nothing. PostgreSQL cannot store NUL in text, so before it was refused
// these answered 500 there (SQLite stored it).
func TestNULIsRefused(t *testing.T) {
	cs := checkoutStoreOn(t, newTestStore(t))
	customer := cs.shopper()
	customer.register("nul@example.com", "correct horse 1")
	guest := cs.shopper()
	guest.do("GET", "/csrf_token/", nil).must(t, 200)
	guest.do("POST", "/baskets/basket/", map[string]any{"product": cs.ids["TEE-A"], "quantity": 1}).must(t, 200)

	profileBefore := customer.do("GET", "/users/profile/", nil).must(t, 200).body
	basketBefore := guest.do("GET", "/baskets/basket/", nil).must(t, 200).body
	failuresBefore := loginFailures(t, cs.testStore)

	tests := []struct {
		name     string
		who      *shopper
		method   string
		path     string
		body     any
		field    string // "" when the answer names no field (a path)
		bodyType string // multipart sends body (a map) as multipart/form-data
	}{
		{"login JSON", guest, "POST", "/users/login/", `{"email":"a\u0000@x.y","password":"x"}`, "email", ""},
		{"anonymous order JSON", guest, "POST", "/users/orders/anonymous", `{"email":"a\u0000@x.y","number":"1\u0000"}`, "number", ""},
		{"voucher JSON", guest, "PATCH", "/baskets/basket/", `{"voucher_code":"A\u0000"}`, "voucher_code", ""},
		{"profile JSON", customer, "PATCH", "/users/profile/", `{"first_name":"A\u0000B"}`, "first_name", ""},
		{"profile nested JSON", customer, "PATCH", "/users/profile/", `{"attributes":{"x":["\u0000"]}}`, "attributes", ""},
		{"key with NUL", customer, "PATCH", "/users/profile/", `{"first\u0000name":"A"}`, "non_field_errors", ""},
		{"profile form", customer, "PATCH", "/users/profile/", "first_name=A%00B", "first_name", ""},
		{"profile multipart", customer, "PATCH", "/users/profile/", map[string]string{"first_name": "A\x00B"}, "first_name", "multipart"},
		{"query", guest, "GET", "/autocomplete/?search_text=te%00e", nil, "search_text", ""},
		{"path", guest, "GET", "/widgets/a%00b/", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var res *response
			if tt.bodyType == "multipart" {
				res = tt.who.doMultipart(tt.method, tt.path, tt.body.(map[string]string))
			} else {
				res = tt.who.do(tt.method, tt.path, tt.body)
			}
			res.must(t, http.StatusBadRequest)
			got := res.json()
			if tt.field == "" {
				got, tt.field = map[string]any{"detail": []any{got["detail"]}}, "detail"
			}
			if msgs, _ := got[tt.field].([]any); len(msgs) != 1 || msgs[0] != nulMessage {
				t.Errorf("body %s, want %q under %q", res.body, nulMessage, tt.field)
			}
		})
	}
	if got := customer.do("GET", "/users/profile/", nil).must(t, 200).body; !bytes.Equal(got, profileBefore) {
		t.Errorf("profile changed:\n%s\nwas\n%s", got, profileBefore)
	}
	if got := guest.do("GET", "/baskets/basket/", nil).must(t, 200).body; !bytes.Equal(got, basketBefore) {
		t.Errorf("basket changed:\n%s\nwas\n%s", got, basketBefore)
	}
	if got := loginFailures(t, cs.testStore); got != failuresBefore {
		t.Errorf("login failures: %d, were %d", got, failuresBefore)
	}
}

func loginFailures(t *testing.T, ts *testStore) int {
	var n int
	if err := ts.db.QueryRow("SELECT COUNT(*) FROM login_failures").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// doMultipart sends fields as multipart/form-data, as the storefront's
// proxy does for some forms.
func (sh *shopper) doMultipart(method, path string, fields map[string]string) *response {
	sh.t.Helper()
	var body bytes.Buffer
	form := multipart.NewWriter(&body)
	for k, v := range fields {
		form.WriteField(k, v)
	}
	form.Close()
	req, err := http.NewRequest(method, sh.store.srv.URL+path, &body)
	if err != nil {
		sh.t.Fatal(err)
	}
	req.Header.Set("Content-Type", form.FormDataContentType())
	req.Header.Set("X-CSRFToken", sh.cookie(csrf.CookieName))
	resp, err := sh.http.Do(req)
	if err != nil {
		sh.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		sh.t.Fatal(err)
	}
	return &response{Response: resp, body: raw}
}
