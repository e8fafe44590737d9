package knacksim

import (
	"encoding/json"
	"net/http"
	"strings"
)

// httpError is an error a handler returns to have it answered. Knack's error
// bodies are inconsistent (docs/knack-api.md §6.5): some are text/html
// strings, others JSON {"errors":[...]}, so the error carries its own body.
type httpError struct {
	status int
	json   bool
	body   []byte
}

func (e *httpError) Error() string { return http.StatusText(e.status) + ": " + string(e.body) }

// textError is a text/html error body such as "Invalid API Key". Some echo
// a path segment; bytes of it that are not UTF-8 become U+FFFD.
func textError(status int, msg string) *httpError {
	return &httpError{status: status, body: []byte(strings.ToValidUTF8(msg, "\uFFFD"))}
}

// jsonError is {"errors":[{"message": msg}]}.
func jsonError(status int, msg string) *httpError {
	return fieldErrors(status, []*FieldError{{Message: msg}})
}

// fieldErrors is {"errors":[{"field","type","message"}, ...]}; empty field and
// type are left out.
func fieldErrors(status int, errs []*FieldError) *httpError {
	type item struct {
		Field   string `json:"field,omitempty"`
		Type    string `json:"type,omitempty"`
		Message string `json:"message"`
	}
	out := struct {
		Errors []item `json:"errors"`
	}{Errors: make([]item, 0, len(errs))}
	for _, e := range errs {
		out.Errors = append(out.Errors, item(*e))
	}
	b, _ := json.Marshal(out)
	return &httpError{status: status, json: true, body: b}
}

func writeHTTPError(w http.ResponseWriter, e *httpError) {
	if e.json {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	w.WriteHeader(e.status)
	_, _ = w.Write(e.body)
}

// writeJSON answers 200 with b.
func writeJSON(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeValue answers 200 with v marshalled.
func writeValue(w http.ResponseWriter, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}
