// Package storeimport loads a store from the import format
// (../shared/contract/import-format.md): one JSON document, streamed token
// by token so a million-product file needs no more memory than one batch,
// validated record by record with every error reported by its JSON path,
// and written in one transaction, so an import either applies entirely or
// leaves the database untouched.
//
// Every record is upserted by its natural key and carries the digest of
// the record as last imported (import_hash): a record whose digest has not
// changed is counted as unchanged and not written, so a re-import of the
// same file writes nothing.
package storeimport

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/vitrin/vitrin/internal/catalog"
	"github.com/vitrin/vitrin/internal/database"
)

// Format is the value the document's "format" key must carry.
const Format = "vitrin.store/1"

// maxErrors bounds the errors collected before the import gives up.
const maxErrors = 100

// Options tune a run.
type Options struct {
	// Progress, when set, is called every few thousand records and once at
	// the end, from the importing goroutine.
	Progress func(Progress)
	// Restocked, when set, runs in the import's transaction with the
	// products whose stock went from zero to positive: stock alerts queue
	// their mails there, so they commit with the stock or not at all. An
	// error fails the import.
	Restocked func(ctx context.Context, tx *sql.Tx, productIDs []int64) error
}

// Progress is how far an import has read.
type Progress struct {
	BytesRead int64
	Records   int64
	Section   string
}

// Outcome is what an import did to one record.
type Outcome int

const (
	Created Outcome = iota
	Updated
	Unchanged
	Removed // deleted, or deactivated for records that orders point to
)

// SectionSummary counts the outcomes of one section.
type SectionSummary struct {
	Name                                 string
	Created, Updated, Unchanged, Removed int
}

// Summary reports a finished import.
type Summary struct {
	Sections []*SectionSummary // in the order of the document
	// CatalogVersion is the settings value "catalog_version" after the
	// import; it grows by one with every import that changed anything.
	CatalogVersion int64
	// Restocked are the products whose stock went from zero to positive.
	Restocked []int64
}

// Changed reports whether the import wrote anything.
func (s *Summary) Changed() bool {
	for _, sec := range s.Sections {
		if sec.Created+sec.Updated+sec.Removed > 0 {
			return true
		}
	}
	return false
}

// Error is one problem in the document, located by its JSON path ("" for
// the document as a whole).
type Error struct {
	Path, Message string
}

func (e Error) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

// Errors are the problems that made an import write nothing.
type Errors []Error

func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, err := range e {
		lines[i] = err.Error()
	}
	return fmt.Sprintf("import rejected, nothing was written (%d errors):\n%s", len(e), strings.Join(lines, "\n"))
}

// errStop unwinds the reading loops once maxErrors have been collected or
// the JSON itself is broken; the collected errors are the result.
var errStop = errors.New("stop reading")

// Import is the state of one run, handed to each Section.
type Import struct {
	ctx        context.Context
	db         *database.DB
	conn       *sql.Conn // the connection tx runs on, for PostgreSQL's COPY
	tx         *sql.Tx
	dec        *json.Decoder
	input      *countingReader
	opts       Options
	summary    *Summary
	current    *SectionSummary
	seen       map[string]bool
	errs       Errors
	finalizers []func() error
	restocked  []int64
	changed    []int64 // products updated in place (see RecordChanges)
	records    int64
}

// Run imports the document read from r into db.
func Run(ctx context.Context, db *database.DB, r io.Reader, opts Options) (*Summary, error) {
	input := &countingReader{r: r}
	dec := json.NewDecoder(input)
	dec.UseNumber()
	imp := &Import{ctx: ctx, db: db, dec: dec, input: input, opts: opts,
		summary: &Summary{}, seen: map[string]bool{}}
	end, err := imp.begin()
	if err != nil {
		return nil, err
	}
	defer end()
	tx := imp.tx
	if err := imp.document(); err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	for i := 0; i < len(imp.finalizers) && imp.Ok(); i++ {
		if err := imp.finalizers[i](); err != nil {
			return nil, err
		}
	}
	imp.progress()
	if len(imp.errs) > 0 {
		return imp.summary, imp.errs
	}
	if imp.summary.Changed() {
		var products []int64 // none: nodes rebuild
		if imp.onlyProductsUpdated() {
			products = imp.changed
		}
		if _, err := catalog.RecordChanges(ctx, tx, products); err != nil {
			return nil, err
		}
	}
	var version sql.NullString
	if err := tx.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = 'catalog_version'").Scan(&version); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	imp.summary.CatalogVersion, _ = strconv.ParseInt(version.String, 10, 64)
	if len(imp.restocked) > 0 && opts.Restocked != nil {
		if err := opts.Restocked(ctx, tx, imp.restocked); err != nil {
			return nil, fmt.Errorf("products back in stock: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	imp.summary.Restocked = imp.restocked
	return imp.summary, nil
}

// begin takes a connection and begins the import's transaction on it;
// end rolls back what was not committed and hands the connection back.
func (imp *Import) begin() (end func(), err error) {
	ctx, db := imp.ctx, imp.db
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	restore := func() {}
	if db.Engine == database.SQLite {
		if restore, err = bulkPragmas(ctx, conn); err != nil {
			conn.Close()
			return nil, err
		}
	}
	end = func() { restore(); conn.Close() }
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		end()
		return nil, err
	}
	imp.conn, imp.tx = conn, tx
	end = func() { tx.Rollback(); restore(); conn.Close() }
	if db.Engine == database.Postgres {
		// One import at a time: a second one waits here rather than failing
		// on the first one's uncommitted rows. SQLite's IMMEDIATE
		// transaction already holds the write lock.
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7407)"); err != nil {
			end()
			return nil, err
		}
	}
	return end, nil
}

// document reads the top-level object section by section.
func (imp *Import) document() error {
	if err := imp.expectDelim('{', "the document must be a JSON object"); err != nil {
		return err
	}
	format := false
	for imp.dec.More() {
		tok, err := imp.dec.Token()
		if err != nil {
			return imp.syntax("", err)
		}
		key := tok.(string)
		switch {
		case key == "format" && !format:
			format = true
			var v any
			if err := imp.dec.Decode(&v); err != nil {
				return imp.syntax(key, err)
			}
			if v != Format {
				imp.Fail(key, fmt.Sprintf("must be %q", Format))
			}
			continue
		case key == "format" || imp.seen[key]:
			imp.Fail(key, "given twice")
			if err := imp.skipValue(key); err != nil {
				return err
			}
			continue
		}
		load, ok := lookupSection(key)
		if !ok {
			if reserved[key] {
				imp.Fail(key, "section not supported by this version of vitrin yet")
			} else {
				imp.Fail(key, "unknown section")
			}
			if err := imp.skipValue(key); err != nil {
				return err
			}
			continue
		}
		imp.current = &SectionSummary{Name: key}
		imp.summary.Sections = append(imp.summary.Sections, imp.current)
		if err := load(imp.ctx, imp); err != nil {
			return err
		}
		imp.seen[key] = true
	}
	if _, err := imp.dec.Token(); err != nil { // the closing brace
		return imp.syntax("", err)
	}
	if _, err := imp.dec.Token(); err != io.EOF {
		imp.Fail("", "unexpected data after the document")
	}
	if !format {
		imp.Fail("format", fmt.Sprintf("required: %q", Format))
	}
	return nil
}

// Tx is the transaction every section writes in.
func (imp *Import) Tx() *sql.Tx { return imp.tx }

// DB is the database being imported into (for its Engine).
func (imp *Import) DB() *database.DB { return imp.db }

// Ok reports whether no error has been found yet. Sections skip their
// writes once it is false (the transaction will be rolled back) but go on
// validating, so one run reports as many errors as it can.
func (imp *Import) Ok() bool { return len(imp.errs) == 0 }

// Fail records a problem at path.
func (imp *Import) Fail(path, message string) {
	if len(imp.errs) < maxErrors {
		imp.errs = append(imp.errs, Error{Path: path, Message: message})
	}
}

// refuseNUL fails every string of v, key or value, that holds U+0000:
// PostgreSQL cannot store it in text (SQLite can), and no field has a use
// for it.
func refuseNUL(path string, v any, fail func(path, message string)) {
	switch v := v.(type) {
	case string:
		if strings.IndexByte(v, 0) >= 0 {
			fail(path, "must not contain a NUL character")
		}
	case []any:
		for i, elem := range v {
			refuseNUL(path+"["+strconv.Itoa(i)+"]", elem, fail)
		}
	case map[string]any:
		for key, elem := range v {
			if strings.IndexByte(key, 0) >= 0 {
				fail(path, "a key must not contain a NUL character")
				continue
			}
			refuseNUL(path+"."+key, elem, fail)
		}
	}
}

// full reports whether the error list is complete.
func (imp *Import) full() bool { return len(imp.errs) >= maxErrors }

// Count records the outcome of one record of the current section.
func (imp *Import) Count(o Outcome) {
	switch o {
	case Created:
		imp.current.Created++
	case Updated:
		imp.current.Updated++
	case Unchanged:
		imp.current.Unchanged++
	case Removed:
		imp.current.Removed++
	}
}

// Seen reports whether section has already been read: a reference to a
// record of a section not yet seen may be resolved with After.
func (imp *Import) Seen(section string) bool { return imp.seen[section] }

// After runs fn once the whole document has been read, before commit, and
// only if no error was found. Sections use it for references into
// sections that may come later in the file.
func (imp *Import) After(fn func() error) { imp.finalizers = append(imp.finalizers, fn) }

// Restocked records products whose stock went from zero to positive.
func (imp *Import) Restocked(ids ...int64) { imp.restocked = append(imp.restocked, ids...) }

// ProductChanged records that an existing product's row, prices or
// categories were updated, so nodes reload it rather than rebuild.
func (imp *Import) ProductChanged(id int64) { imp.changed = append(imp.changed, id) }

// onlyProductsUpdated reports whether the import changed nothing but
// existing products (the ERP's price and stock feed), which every node
// can apply to its model in place.
func (imp *Import) onlyProductsUpdated() bool {
	for _, sec := range imp.summary.Sections {
		if sec.Created+sec.Updated+sec.Removed == 0 {
			continue
		}
		if sec.Name != "products" || sec.Created+sec.Removed > 0 {
			return false
		}
	}
	return true
}

// Items reads a list section, given either as an array of records or as
// {"replace": true, "items": [...]}, calling fn for each record. It
// reports whether the rest of the section's records are to be removed.
func (imp *Import) Items(fn func(r *Record) error) (replace bool, err error) {
	return imp.PreparedItems(nil, func(r *Record, _ any) error { return fn(r) })
}

// PreparedItems is Items for a section whose records take long to
// validate: prepare runs on each record ahead of its turn, on another
// goroutine, while fn still handles the records one by one in document
// order, with prepare's result. prepare may only read the record and
// fail it (its problems are reported in their place in the document); it
// must not touch the Import or the database.
func (imp *Import) PreparedItems(prepare func(r *Record) any, fn func(r *Record, prepared any) error) (replace bool, err error) {
	name := imp.current.Name
	tok, err := imp.dec.Token()
	if err != nil {
		return false, imp.syntax(name, err)
	}
	switch tok {
	case json.Delim('['):
		return false, imp.array(name, prepare, fn)
	case json.Delim('{'):
	default:
		imp.Fail(name, `must be an array of records or {"replace": true, "items": [...]}`)
		return false, imp.skipRest(name, tok)
	}
	for imp.dec.More() {
		tok, err := imp.dec.Token()
		if err != nil {
			return false, imp.syntax(name, err)
		}
		switch key := tok.(string); key {
		case "replace":
			var v any
			if err := imp.dec.Decode(&v); err != nil {
				return false, imp.syntax(name+".replace", err)
			}
			b, ok := v.(bool)
			if !ok {
				imp.Fail(name+".replace", "must be true or false")
			}
			replace = b
		case "items":
			if err := imp.expectDelim('[', name+".items: must be an array"); err != nil {
				return false, err
			}
			if err := imp.array(name, prepare, fn); err != nil {
				return false, err
			}
		default:
			imp.Fail(name+"."+key, "unknown key")
			if err := imp.skipValue(name + "." + key); err != nil {
				return false, err
			}
		}
	}
	if _, err := imp.dec.Token(); err != nil {
		return false, imp.syntax(name, err)
	}
	return replace, nil
}

// array reads records after the opening bracket up to the closing one.
func (imp *Import) array(name string, prepare func(r *Record) any, fn func(r *Record, prepared any) error) error {
	items, stop := imp.readAhead(name, prepare)
	defer stop()
	for it := range items {
		if it.err != nil {
			return imp.syntax(it.path, it.err)
		}
		imp.records++
		if imp.records%5000 == 0 {
			imp.progress()
		}
		for _, e := range it.ahead.errs {
			imp.Fail(e.Path, e.Message)
		}
		it.ahead.delivered = true
		if it.rec != nil {
			if err := fn(it.rec, it.prepared); err != nil {
				return err
			}
		}
		if imp.full() {
			return errStop
		}
	}
	if _, err := imp.dec.Token(); err != nil {
		return imp.syntax(name, err)
	}
	return nil
}

// aheadItem is one element of an array, decoded and prepared ahead.
type aheadItem struct {
	path     string
	rec      *Record // nil when the element is not an object
	prepared any
	ahead    *aheadErrors
	err      error // the document is broken here: reading stops
}

// readAheadItems is how many elements are decoded ahead of their turn:
// two batches of products, so the reader never waits while a batch is
// written (with less than one batch it did, and a million products took
// as long as without it), and memory stays flat (a few MB).
const readAheadItems = 2 * productBatch

// readAhead decodes (and prepares) the elements of an array on another
// goroutine, so that decoding the JSON of the next records overlaps
// writing the current ones. The goroutine owns the decoder until the
// channel closes; stop ends it early and waits for it.
func (imp *Import) readAhead(name string, prepare func(r *Record) any) (items <-chan aheadItem, stop func()) {
	out := make(chan aheadItem, readAheadItems)
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		defer close(out)
		for i := 0; imp.dec.More(); i++ {
			it := imp.readItem(name+"["+strconv.Itoa(i)+"]", prepare)
			select {
			case out <- it:
			case <-done:
				return
			}
			if it.err != nil {
				return
			}
		}
	}()
	return out, func() {
		close(done)
		<-finished
	}
}

// readItem decodes one element, checks its strings and prepares it.
func (imp *Import) readItem(path string, prepare func(r *Record) any) aheadItem {
	it := aheadItem{path: path, ahead: &aheadErrors{}}
	var v any
	if it.err = imp.dec.Decode(&v); it.err != nil {
		return it
	}
	fail := func(path, message string) { it.ahead.errs = append(it.ahead.errs, Error{Path: path, Message: message}) }
	refuseNUL(path, v, fail)
	obj, ok := v.(map[string]any)
	if !ok {
		fail(path, "must be an object")
		return it
	}
	it.rec = newRecord(imp, path, obj)
	it.rec.ahead = it.ahead
	if prepare != nil {
		it.prepared = prepare(it.rec)
	}
	return it
}

// Object reads a section whose value is one record (store, geography).
func (imp *Import) Object() (*Record, error) {
	name := imp.current.Name
	var v any
	if err := imp.dec.Decode(&v); err != nil {
		return nil, imp.syntax(name, err)
	}
	imp.records++
	refuseNUL(name, v, imp.Fail)
	obj, ok := v.(map[string]any)
	if !ok {
		imp.Fail(name, "must be an object")
		return nil, nil
	}
	return newRecord(imp, name, obj), nil
}

func (imp *Import) progress() {
	if imp.opts.Progress != nil {
		p := Progress{BytesRead: imp.input.n, Records: imp.records}
		if imp.current != nil {
			p.Section = imp.current.Name
		}
		imp.opts.Progress(p)
	}
}

func (imp *Import) expectDelim(d json.Delim, message string) error {
	tok, err := imp.dec.Token()
	if err != nil {
		return imp.syntax("", err)
	}
	if tok != d {
		imp.Fail("", message)
		return errStop
	}
	return nil
}

// skipValue consumes the next value token by token, so an unknown section
// of any size costs no memory.
func (imp *Import) skipValue(path string) error {
	tok, err := imp.dec.Token()
	if err != nil {
		return imp.syntax(path, err)
	}
	return imp.skipRest(path, tok)
}

// skipRest consumes the rest of a value whose first token was tok.
func (imp *Import) skipRest(path string, tok json.Token) error {
	depth := 0
	for {
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
		var err error
		if tok, err = imp.dec.Token(); err != nil {
			return imp.syntax(path, err)
		}
	}
}

// syntax records a malformed document; reading cannot go on after it.
func (imp *Import) syntax(path string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = errors.New("unexpected end of the document")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		err = fmt.Errorf("invalid JSON at byte %d: %v", se.Offset, se)
	}
	if path == "" {
		path = "(document)"
	}
	imp.Fail(path, err.Error())
	return errStop
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
