package storeimport

import (
	"context"
)

func init() { Register("contact_subjects", loadContactSubjects) }

// loadContactSubjects upserts the contact form's subjects by code. Messages
// point at subjects, so a replace import deactivates the rest.
func loadContactSubjects(ctx context.Context, imp *Import) error {
	var keep idSet
	replace, err := imp.Items(func(r *Record) error {
		code := code(r, "code")
		text := r.String("text")
		orderNeeded := r.Bool("is_order_needed", false)
		sortOrder := r.Int("sort_order", 0, 0, 1<<31-1)
		translations := r.Translations()
		if !r.Done() || !imp.Ok() {
			return nil
		}
		id, _, err := imp.upsert(row{table: "contact_subjects", keyCols: []string{"code"}, keyVals: []any{code},
			hash: r.Hash(), cols: []string{"text", "is_order_needed", "sort_order", "translations"},
			vals: []any{text, orderNeeded, sortOrder, translations}, activeCol: "active"})
		if keep.has(id) {
			r.Fail("code", "given twice")
		}
		keep.add(id)
		return err
	})
	if err != nil || !replace || !imp.Ok() {
		return err
	}
	return imp.removeRest("contact_subjects", &keep, "active")
}
