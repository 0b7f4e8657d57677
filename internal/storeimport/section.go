package storeimport

import (
	"context"
	"sync"
)

// A Section loads one top-level key of the import document. Load is called
// when the decoder stands on the section's value and must consume exactly
// that value (imp.Items does it for list sections), upserting through
// imp.Tx() and counting each record with imp.Count.
//
// Other domains add their sections from their own file in this package:
//
//	func init() { Register("promotions", loadPromotions) }
//
// Until a section is registered, its name is still a known key of the
// format (see reserved) but a file that uses it is rejected with
// "not supported yet", so a store never silently loses data.
type Section func(ctx context.Context, imp *Import) error

var (
	registryMu sync.RWMutex
	registry   = map[string]Section{}
)

// reserved are the format's sections that other domains implement.
var reserved = map[string]bool{
	"promotions": true, "delivery_options": true, "shipping_options": true,
	"payment_options": true, "bank_accounts": true, "contact_subjects": true,
	"cancellation_reasons": true,
}

// Register adds the loader of a top-level section. Call it from init.
func Register(name string, load Section) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("storeimport: section " + name + " registered twice")
	}
	registry[name] = load
}

// Supported reports whether this build imports the section; the demo
// generator writes only the sections that pass.
func Supported(name string) bool {
	registryMu.RLock()
	defer registryMu.RUnlock()
	_, ok := registry[name]
	return ok
}

func lookupSection(name string) (Section, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	s, ok := registry[name]
	return s, ok
}
