package admin

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// The OpenAPI document is loaded and checked once for every test.
var spec = sync.OnceValues(func() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openapiDocument)
	if err != nil {
		return nil, err
	}
	return doc, doc.Validate(context.Background())
})

var specRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := spec()
	if err != nil {
		return nil, err
	}
	return legacy.NewRouter(doc)
})

// checkAnswer validates every answer a test gets against the document:
// its status must be documented for the route, and its body must match
// the schema. env.do calls it.
func checkAnswer(t *testing.T, method, path string, resp *http.Response, body []byte) {
	t.Helper()
	router, err := specRouter()
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	req := resp.Request.Clone(context.Background())
	route, params, err := router.FindRoute(req)
	if err != nil {
		if resp.StatusCode == http.StatusNotFound {
			return // an undocumented path is answered 404, as it should be
		}
		t.Fatalf("%s %s is not in openapi.json: %v", method, path, err)
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		t.Fatalf("%s %s answered %d, which openapi.json does not allow: %v\n%s", method, path, resp.StatusCode, err, body)
	}
}

// Every route of the table is in the document and the document has no
// route the table lacks.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	doc, err := spec()
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi.json is OpenAPI %s, want 3.1", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	s := New(nil, nil, nil)
	for _, rt := range s.routes {
		key := rt.method + " " + rt.path
		if !documented[key] {
			t.Errorf("%s is served but not in openapi.json", key)
		}
		delete(documented, key)
		op := doc.Paths.Find(rt.path).GetOperation(rt.method)
		if (rt.scope == "") != (op.Security != nil && len(*op.Security) == 0) {
			t.Errorf("%s: scope %q, but openapi.json says otherwise about its security", key, rt.scope)
		}
		if rt.scope != "" && !strings.Contains(op.Description, "Scope: "+rt.scope+".") {
			t.Errorf("%s: openapi.json does not name its scope %s", key, rt.scope)
		}
	}
	for key := range documented {
		t.Errorf("%s is in openapi.json but not served", key)
	}
}
