package admin

import (
	_ "embed"
	"net/http"
)

// openapiDocument describes every route of the management API; a test
// keeps it in step with the route table and the answers.
//
//go:embed openapi.json
var openapiDocument []byte

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(openapiDocument)
	return err
}
