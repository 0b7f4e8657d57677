package storeimport

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vitrin/vitrin/internal/money"
)

// Record is one JSON object of the document with path-aware accessors:
// each accessor validates its field and records an error at the field's
// JSON path ("products[12].prices.USD.price: ...") instead of failing.
// Done reports the keys no accessor asked for, so a typo in a field name
// is an error rather than silently lost data.
type Record struct {
	imp    *Import
	parent *Record
	path   string
	raw    map[string]any
	used   map[string]bool
	failed bool
	// ahead, while set, keeps the problems of a record read ahead of
	// its turn (see Import.readAhead), to be reported in document order.
	ahead *aheadErrors
}

// aheadErrors are the problems found in a record read ahead.
type aheadErrors struct {
	errs      []Error
	delivered bool // reported: later problems go to the import directly
}

func newRecord(imp *Import, path string, raw map[string]any) *Record {
	return &Record{imp: imp, path: path, raw: raw, used: make(map[string]bool, len(raw))}
}

// child is the record of a nested object at path.
func (r *Record) child(path string, raw map[string]any) *Record {
	c := newRecord(r.imp, path, raw)
	c.parent, c.ahead = r, r.ahead
	return c
}

// fail records a problem at path, or keeps it while the record is read
// ahead.
func (r *Record) fail(path, message string) {
	if a := r.ahead; a != nil && !a.delivered {
		a.errs = append(a.errs, Error{Path: path, Message: message})
		return
	}
	r.imp.Fail(path, message)
}

// Path is the JSON path of key in this record.
func (r *Record) Path(key string) string {
	if key == "" {
		return r.path
	}
	return r.path + "." + key
}

// Fail records a problem with key ("" for the record itself).
func (r *Record) Fail(key, message string) {
	for p := r; p != nil; p = p.parent {
		p.failed = true
	}
	r.fail(r.Path(key), message)
}

// Has reports whether key is present and not null.
func (r *Record) Has(key string) bool {
	v, ok := r.raw[key]
	return ok && v != nil
}

func (r *Record) get(key string) (any, bool) {
	r.used[key] = true
	v, ok := r.raw[key]
	if !ok || v == nil {
		return nil, false
	}
	return v, true
}

// Done reports unknown keys and whether the record is valid.
func (r *Record) Done() bool {
	var unknown []string
	for k := range r.raw {
		if !r.used[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		r.Fail(k, "unknown field")
	}
	return !r.failed
}

// String returns a required, non-blank string.
func (r *Record) String(key string) string {
	v, ok := r.get(key)
	if !ok {
		r.Fail(key, "required")
		return ""
	}
	s, ok := v.(string)
	if !ok {
		r.Fail(key, "must be a string")
		return ""
	}
	s = strings.TrimSpace(s)
	if s == "" {
		r.Fail(key, "must not be blank")
	}
	return s
}

// OptString returns a string field or def when absent.
func (r *Record) OptString(key, def string) string {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	s, ok := v.(string)
	if !ok {
		r.Fail(key, "must be a string")
		return def
	}
	return strings.TrimSpace(s)
}

// OneOf returns a string field that must be one of choices; def when absent.
func (r *Record) OneOf(key, def string, choices ...string) string {
	s := r.OptString(key, def)
	for _, c := range choices {
		if s == c {
			return s
		}
	}
	r.Fail(key, "must be one of "+strings.Join(choices, ", "))
	return def
}

// Bool returns a boolean field or def when absent.
func (r *Record) Bool(key string, def bool) bool {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		r.Fail(key, "must be true or false")
		return def
	}
	return b
}

// Int returns an integer field between min and max, or def when absent.
func (r *Record) Int(key string, def, min, max int64) int64 {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	n, ok := v.(json.Number)
	if !ok {
		r.Fail(key, "must be an integer")
		return def
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		r.Fail(key, "must be an integer")
		return def
	}
	if i < min || i > max {
		r.Fail(key, fmt.Sprintf("must be between %d and %d", min, max))
		return def
	}
	return i
}

// Money returns a required amount given as a decimal string.
func (r *Record) Money(key string) money.Amount {
	a, ok := r.OptMoney(key)
	if !ok && !r.Has(key) {
		r.Fail(key, "required")
	}
	return a
}

// OptMoney returns an amount given as a decimal string ("199.90"), and
// whether it was present. A JSON number is refused: money is never a float.
func (r *Record) OptMoney(key string) (money.Amount, bool) {
	v, ok := r.get(key)
	if !ok {
		return 0, false
	}
	return r.amount(key, v)
}

func (r *Record) amount(key string, v any) (money.Amount, bool) {
	switch v := v.(type) {
	case json.Number:
		r.Fail(key, "money must be a decimal string such as \""+string(v)+"\", not a JSON number")
	case string:
		a, err := money.Parse(v)
		if err != nil || strings.TrimSpace(v) != v {
			r.Fail(key, "not a decimal with at most 2 fraction digits")
			return 0, false
		}
		if a < 0 {
			r.Fail(key, "must not be negative")
			return 0, false
		}
		return a, true
	default:
		r.Fail(key, "must be a decimal string")
	}
	return 0, false
}

// MoneyMap returns {"TRY": "49.90", ...} keyed by currency code.
func (r *Record) MoneyMap(key string) map[string]money.Amount {
	obj := r.Object(key)
	if obj == nil {
		return nil
	}
	out := make(map[string]money.Amount, len(obj.raw))
	for cur := range obj.raw {
		if !IsCurrency(cur) {
			obj.Fail(cur, "not an ISO 4217 currency code in upper case")
		}
		if a, ok := obj.OptMoney(cur); ok {
			out[cur] = a
		}
	}
	return out
}

var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)

// IsCurrency reports whether s looks like an ISO 4217 code.
func IsCurrency(s string) bool { return currencyRE.MatchString(s) }

var decimalRE = regexp.MustCompile(`^[0-9]{1,9}(\.[0-9]{1,6})?$`)

// Decimal returns a non-negative decimal string (a tax or interest rate),
// or def when absent. A JSON number is accepted here: rates are not money.
func (r *Record) Decimal(key, def string) string {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case json.Number:
		s = string(v)
	default:
		r.Fail(key, "must be a decimal string")
		return def
	}
	if !decimalRE.MatchString(s) {
		r.Fail(key, "not a decimal")
		return def
	}
	return s
}

// Time returns an RFC 3339 time, or the zero time when absent.
func (r *Record) Time(key string) time.Time {
	s := r.OptString(key, "")
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		r.Fail(key, "not an RFC 3339 time such as 2026-01-05T10:00:00Z")
	}
	return t.UTC()
}

// Strings returns an array of non-blank strings (nil when absent).
func (r *Record) Strings(key string) []string {
	v, ok := r.get(key)
	if !ok {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		r.Fail(key, "must be an array of strings")
		return nil
	}
	out := make([]string, 0, len(list))
	for i, item := range list {
		s, ok := item.(string)
		if !ok || strings.TrimSpace(s) == "" {
			r.Fail(key+"["+strconv.Itoa(i)+"]", "must be a non-blank string")
			continue
		}
		out = append(out, strings.TrimSpace(s))
	}
	return out
}

// Object returns a nested object as a record (nil when absent).
func (r *Record) Object(key string) *Record {
	v, ok := r.get(key)
	if !ok {
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		r.Fail(key, "must be an object")
		return nil
	}
	return r.child(r.Path(key), obj)
}

// Objects returns an array of objects as records (nil when absent).
func (r *Record) Objects(key string) []*Record {
	v, ok := r.get(key)
	if !ok {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		r.Fail(key, "must be an array of objects")
		return nil
	}
	out := make([]*Record, 0, len(list))
	for i, item := range list {
		path := r.Path(key) + "[" + strconv.Itoa(i) + "]"
		obj, ok := item.(map[string]any)
		if !ok {
			r.fail(path, "must be an object")
			r.failed = true
			continue
		}
		out = append(out, r.child(path, obj))
	}
	return out
}

// JSON returns a free-form field as compact JSON text, or def when absent.
// want is "object" or "array" to require that shape.
func (r *Record) JSON(key, want, def string) string {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	switch want {
	case "object":
		if _, ok := v.(map[string]any); !ok {
			r.Fail(key, "must be an object")
			return def
		}
	case "array":
		if _, ok := v.([]any); !ok {
			r.Fail(key, "must be an array")
			return def
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		r.Fail(key, err.Error())
		return def
	}
	return string(b)
}

var languageRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]{2})?$`)

// Translations returns the "translations" field as JSON text:
// {"en-us": {"name": "...", "description": "..."}} with string values.
func (r *Record) Translations() string {
	obj := r.Object("translations")
	if obj == nil {
		return "{}"
	}
	for lang, fields := range obj.raw {
		obj.used[lang] = true
		if !languageRE.MatchString(lang) {
			obj.Fail(lang, "not a language code such as en-us")
		}
		m, ok := fields.(map[string]any)
		if !ok {
			obj.Fail(lang, "must be an object of texts")
			continue
		}
		for f, text := range m {
			if _, ok := text.(string); !ok {
				obj.Fail(lang+"."+f, "must be a string")
			}
		}
	}
	b, _ := json.Marshal(obj.raw)
	return string(b)
}

// TranslatedTexts returns every translated value of field, for search text.
func (r *Record) TranslatedTexts(field string) []string {
	t, _ := r.raw["translations"].(map[string]any)
	var out []string
	for _, fields := range t {
		if m, ok := fields.(map[string]any); ok {
			if s, ok := m[field].(string); ok {
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Hash is the digest of the record as given: equal digests mean an equal
// record, whatever the order of its keys (encoding/json sorts them).
func (r *Record) Hash() string {
	b, _ := json.Marshal(r.raw)
	return digest(b)
}

// digest is a short SHA-256 of the parts, for import_hash columns. Rows
// stored from a part of a record (a city without its townships) digest
// just the values they store.
func digest(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
