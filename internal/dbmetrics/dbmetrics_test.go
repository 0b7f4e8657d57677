package dbmetrics_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vitrin/vitrin/internal/dbmetrics"
	"github.com/vitrin/vitrin/internal/testdb"
)

// TestStateCounts: each state gets the count in its column of the row.
func TestStateCounts(t *testing.T) {
	db := testdb.Open(t)
	if _, err := db.Exec("CREATE TABLE jobs (done BOOLEAN)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO jobs (done) VALUES (TRUE), (FALSE), (FALSE)"); err != nil {
		t.Fatal(err)
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(dbmetrics.StateCounts(db, "test_jobs", "Jobs by state.", []string{"waiting", "done"}, `SELECT
		COALESCE(SUM(CASE WHEN done = $1 THEN 0 ELSE 1 END), 0), COALESCE(SUM(CASE WHEN done = $1 THEN 1 ELSE 0 END), 0)
		FROM jobs`, true))
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(registry, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, line := range []string{`test_jobs{state="waiting"} 2`, `test_jobs{state="done"} 1`} {
		if !strings.Contains(rec.Body.String(), line+"\n") {
			t.Errorf("no %q in\n%s", line, rec.Body)
		}
	}
}
