package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/vitrin/vitrin/internal/apperror"
)

// input is a request body read the same way whatever its encoding: a JSON
// object (whatever the content type says), a urlencoded form or a multipart
// form. The real client sends each of these for the same endpoints.
type input struct {
	json map[string]any
	form url.Values
}

var (
	errTooLarge = &apperror.Problem{Status: http.StatusRequestEntityTooLarge, Detail: "Request body is too large."}
)

func unsupportedMedia(ct string) error {
	return &apperror.Problem{Status: http.StatusUnsupportedMediaType, Detail: `Unsupported media type "` + ct + `" in request.`}
}

func malformed(what string) error {
	return &apperror.Problem{Status: http.StatusBadRequest, Detail: what + " parse error."}
}

// parseInput reads the body once; the CSRF check and the handler share it.
func parseInput(r *http.Request) (*input, error) {
	in, err := decodeInput(r)
	if err != nil {
		return nil, err
	}
	return in, in.nulErrors()
}

func decodeInput(r *http.Request) (*input, error) {
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		if params["boundary"] == "" {
			return nil, malformed("Multipart form")
		}
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return nil, errTooLarge
			}
			return nil, malformed("Multipart form")
		}
		// Only the values are kept: files a form carried (on disk when
		// large) are removed now, since the server cleans up only after
		// its own copy of the request.
		values := r.MultipartForm.Value
		r.MultipartForm.RemoveAll()
		return &input{form: values}, nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errTooLarge
		}
		return nil, malformed("Body")
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return &input{}, nil
	}
	if trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		var obj map[string]any
		if err := dec.Decode(&obj); err == nil && !dec.More() {
			return &input{json: obj}, nil
		}
		if ct == "application/json" || ct == "text/plain" || ct == "" {
			return nil, malformed("JSON")
		}
	}
	switch ct {
	case "application/json":
		return nil, malformed("JSON")
	case "application/x-www-form-urlencoded", "text/plain", "":
		form, err := url.ParseQuery(string(trimmed))
		if err != nil {
			return nil, malformed("Form")
		}
		return &input{form: form}, nil
	}
	return nil, unsupportedMedia(ct)
}

// nulMessage refuses U+0000: no field has a use for it, and PostgreSQL
// cannot store it in text (SQLite can), so it is refused where requests are
// decoded rather than left to fail as a 500 in some query.
const nulMessage = "Null characters are not allowed."

func hasNUL(s string) bool { return strings.IndexByte(s, 0) >= 0 }

// nulErrors names the fields of the body that hold a NUL character,
// however deep in a JSON value.
func (in *input) nulErrors() error {
	errs := apperror.Fields{}
	for key, v := range in.json {
		if hasNUL(key) || jsonHasNUL(v) {
			errs.Add(nulField(key), nulMessage)
		}
	}
	addNULFields(errs, in.form)
	return errs.OrNil()
}

// urlNULError refuses a NUL character in the path or the query string:
// path values and query parameters reach SQL as well as bodies do.
func urlNULError(r *http.Request) error {
	if hasNUL(r.URL.Path) {
		return &apperror.Problem{Status: http.StatusBadRequest, Detail: nulMessage}
	}
	errs := apperror.Fields{}
	query, _ := url.ParseQuery(r.URL.RawQuery) // as r.URL.Query() reads it
	addNULFields(errs, query)
	return errs.OrNil()
}

func addNULFields(errs apperror.Fields, values url.Values) {
	for key, vs := range values {
		if hasNUL(key) || slices.ContainsFunc(vs, hasNUL) {
			errs.Add(nulField(key), nulMessage)
		}
	}
}

// nulField is the name an error is reported under: a key that itself holds
// a NUL names no field.
func nulField(key string) string {
	if hasNUL(key) {
		return "non_field_errors"
	}
	return key
}

func jsonHasNUL(v any) bool {
	switch v := v.(type) {
	case string:
		return hasNUL(v)
	case []any:
		return slices.ContainsFunc(v, jsonHasNUL)
	case map[string]any:
		for key, elem := range v {
			if hasNUL(key) || jsonHasNUL(elem) {
				return true
			}
		}
	}
	return false
}

// has reports whether the field was sent at all.
func (in *input) has(key string) bool {
	if in.json != nil {
		_, ok := in.json[key]
		return ok
	}
	_, ok := in.form[key]
	return ok
}

// str returns a field as text: JSON strings as they are, numbers and
// booleans in their literal form, null and absent as "".
func (in *input) str(key string) string {
	if in.json != nil {
		switch v := in.json[key].(type) {
		case string:
			return v
		case json.Number:
			return v.String()
		case bool:
			return strconv.FormatBool(v)
		}
		return ""
	}
	return in.form.Get(key)
}

// nestedErrors reports the fields of a JSON body that hold an object or an
// array where a single value belongs: str would read them as "", and a
// profile update would clear the field instead of refusing the input.
func (in *input) nestedErrors(keys ...string) error {
	errs := apperror.Fields{}
	for _, key := range keys {
		switch in.json[key].(type) {
		case map[string]any, []any:
			errs.Add(key, "Not a valid value.")
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// optStr is str for PATCH: nil when the field was not sent.
func (in *input) optStr(key string) *string {
	if !in.has(key) {
		return nil
	}
	s := in.str(key)
	return &s
}

// boolean reads the many spellings of true; absent is false (the client's
// proxy drops falsy fields).
func (in *input) boolean(key string) bool {
	switch strings.ToLower(strings.TrimSpace(in.str(key))) {
	case "true", "1", "on", "yes":
		return true
	}
	return false
}

func (in *input) optBool(key string) *bool {
	if !in.has(key) {
		return nil
	}
	b := in.boolean(key)
	return &b
}

// integer reads a whole number sent as a number or a string.
func (in *input) integer(key string) (n int64, present bool, err error) {
	s := strings.TrimSpace(in.str(key))
	if s == "" {
		return 0, false, nil
	}
	n, err = strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, true, apperror.Field(key, "A valid integer is required.")
	}
	return n, true, nil
}

// decode unmarshals a nested JSON value (object or array) into dst. A form
// field holding JSON text is accepted too.
func (in *input) decode(key string, dst any) error {
	var raw []byte
	if in.json != nil {
		v, ok := in.json[key]
		if !ok || v == nil {
			return nil
		}
		raw, _ = json.Marshal(v)
	} else {
		s := in.form.Get(key)
		if s == "" {
			return nil
		}
		raw = []byte(s)
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return apperror.Field(key, "Invalid value.")
	}
	return nil
}
