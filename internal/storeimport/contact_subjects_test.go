package storeimport_test

import (
	"strings"
	"testing"

	"github.com/vitrin/vitrin/internal/testdb"
)

func contactSubjectsDoc(section any) doc {
	return doc{"format": "vitrin.store/1", "contact_subjects": section}
}

func TestImportContactSubjects(t *testing.T) {
	db := testdb.Open(t)
	subjects := []any{
		map[string]any{"code": "order", "text": "Siparişim", "is_order_needed": true, "sort_order": 1,
			"translations": map[string]any{"en-us": map[string]any{"text": "My order"}}},
		map[string]any{"code": "general", "text": "Genel"},
	}
	if got := counts(mustRun(t, db, contactSubjectsDoc(subjects).bytes(t)))["contact_subjects"]; got != "2/0/0/0" {
		t.Fatalf("first import: %s", got)
	}
	if got := counts(mustRun(t, db, contactSubjectsDoc(subjects).bytes(t)))["contact_subjects"]; got != "0/0/2/0" {
		t.Fatalf("same file again: %s", got)
	}
	if !scalar[bool](t, db, "SELECT is_order_needed FROM contact_subjects WHERE code = 'order'") {
		t.Error("is_order_needed not stored")
	}
	// Messages point at subjects: a replace import deactivates, never deletes.
	s := mustRun(t, db, contactSubjectsDoc(map[string]any{"replace": true, "items": []any{
		map[string]any{"code": "general", "text": "Genel sorular"}}}).bytes(t))
	if got := counts(s)["contact_subjects"]; got != "0/1/0/1" {
		t.Fatalf("replace import: %s", got)
	}
	if n := scalar[int64](t, db, "SELECT COUNT(*) FROM contact_subjects WHERE active"); n != 1 {
		t.Errorf("%d active subjects, want 1", n)
	}
	if n := scalar[int64](t, db, "SELECT COUNT(*) FROM contact_subjects"); n != 2 {
		t.Errorf("%d subjects kept, want 2", n)
	}
	// Listed again, a deactivated subject comes back.
	mustRun(t, db, contactSubjectsDoc(subjects).bytes(t))
	if n := scalar[int64](t, db, "SELECT COUNT(*) FROM contact_subjects WHERE active"); n != 2 {
		t.Errorf("%d active subjects after listing both again, want 2", n)
	}
}

func TestImportContactSubjectsErrors(t *testing.T) {
	for _, tt := range []struct {
		subject map[string]any
		want    string
	}{
		{map[string]any{"text": "No code"}, "contact_subjects[0].code: required"},
		{map[string]any{"code": "x y", "text": "Bad code"}, "contact_subjects[0].code"},
		{map[string]any{"code": "x"}, "contact_subjects[0].text: required"},
		{map[string]any{"code": "x", "text": "T", "is_order_needed": "yes"}, "contact_subjects[0].is_order_needed"},
		{map[string]any{"code": "x", "text": "T", "colour": "red"}, "contact_subjects[0].colour: unknown field"},
	} {
		db := testdb.Open(t)
		_, err := run(t, db, contactSubjectsDoc([]any{tt.subject}).bytes(t))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want %q", tt.subject, err, tt.want)
		}
		if n := scalar[int64](t, db, "SELECT COUNT(*) FROM contact_subjects"); n != 0 {
			t.Errorf("%v: %d subjects written", tt.subject, n)
		}
	}
}
