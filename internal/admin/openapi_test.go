package admin

import (
	"net/http"
	"testing"
)

func checkAnswer(t *testing.T, method, path string, resp *http.Response, body []byte) {}
