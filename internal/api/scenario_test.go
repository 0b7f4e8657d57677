package api

import (
	"strings"
	"testing"
)

// scenario is one request to the API and what must come of it, after
// pocketbase's tests.ApiScenario: a test reads as a table of them.
type scenario struct {
	name    string
	method  string
	url     string
	body    any      // as shopper.do sends it
	headers []string // name, value pairs
	// as sends the request (a fresh guest when nil); setup runs first.
	as    *shopper
	setup func(t testing.TB)

	status int
	// answer is the exact body expected, when set; contains are fragments
	// the body must hold and lacks fragments it must not.
	answer   string
	contains []string
	lacks    []string
	// fields are the field errors expected: a field, and a fragment of
	// its first message.
	fields map[string]string
	// after checks the answer further, and what the request did (or did
	// not do) to the database.
	after func(t testing.TB, res *response)
}

// runScenarios runs each scenario as a subtest on ts.
func runScenarios(t *testing.T, ts *testStore, scenarios []scenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, ts) })
	}
}

func (sc scenario) run(t *testing.T, ts *testStore) {
	t.Helper()
	if sc.setup != nil {
		sc.setup(t)
	}
	sh := ts.shopper()
	if sc.as != nil {
		sh = sc.as
	}
	res := sh.in(t).do(sc.method, sc.url, sc.body, sc.headers...).must(t, sc.status)
	body := string(res.body)
	if sc.answer != "" && strings.TrimSpace(body) != sc.answer {
		t.Fatalf("body %s, want %s", body, sc.answer)
	}
	for _, want := range sc.contains {
		if !strings.Contains(body, want) {
			t.Errorf("body %s lacks %s", body, want)
		}
	}
	for _, unwanted := range sc.lacks {
		if strings.Contains(body, unwanted) {
			t.Errorf("body %s holds %s", body, unwanted)
		}
	}
	if len(sc.fields) > 0 {
		var errs map[string][]string
		res.decode(t, &errs)
		for field, says := range sc.fields {
			if msgs := errs[field]; len(msgs) == 0 || !strings.Contains(msgs[0], says) {
				t.Errorf("body %s; want %s saying %q", body, field, says)
			}
		}
	}
	if sc.after != nil {
		sc.after(t, res)
	}
}

// in is the shopper, same cookies, failing t (a subtest) instead of the
// test that made it.
func (sh *shopper) in(t testing.TB) *shopper {
	c := *sh
	c.t = t
	return &c
}
