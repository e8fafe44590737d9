package knack

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNewAPIError(t *testing.T) {
	t.Parallel()
	const html = "text/html; charset=utf-8"
	const jsonCT = "application/json; charset=utf-8"
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantErrors  []FieldError
		wantKind    error
		wantMessage string
	}{
		{
			name: "validation errors as JSON", status: 400, contentType: jsonCT,
			body:        `{"errors":[{"field":"field_57","type":"required","message":"Store is required."}]}`,
			wantErrors:  []FieldError{{Field: "field_57", Type: "required", Message: "Store is required."}},
			wantKind:    ErrBadRequest,
			wantMessage: "HTTP 400 Bad Request: field_57: Store is required.",
		},
		{
			name: "upload error without field", status: 400, contentType: jsonCT,
			body:       `{"errors":[{"message":"Please select a file to upload."}]}`,
			wantErrors: []FieldError{{Message: "Please select a file to upload."}},
			wantKind:   ErrBadRequest,
		},
		{
			name: "errors as strings", status: 400, contentType: jsonCT,
			body:       `{"errors":["Invalid filters"]}`,
			wantErrors: []FieldError{{Message: "Invalid filters"}},
			wantKind:   ErrBadRequest,
		},
		{
			name: "malformed record key is not found", status: 400, contentType: html,
			body:        "Malformed Record Key: 77777777",
			wantErrors:  []FieldError{{Message: "Malformed Record Key: 77777777"}},
			wantKind:    ErrNotFound,
			wantMessage: "HTTP 400 Bad Request: Malformed Record Key: 77777777",
		},
		{
			name: "malformed object key is a bad request", status: 400, contentType: html,
			body:       "Malformed Object Key: invalid_object",
			wantErrors: []FieldError{{Message: "Malformed Object Key: invalid_object"}},
			wantKind:   ErrBadRequest,
		},
		{
			name: "404 with a JSON body", status: 404, contentType: jsonCT,
			body:       `{"errors":[{"message":"Record not found"}]}`,
			wantErrors: []FieldError{{Message: "Record not found"}},
			wantKind:   ErrNotFound,
		},
		{
			name: "404 with a message body", status: 404, contentType: "application/json",
			body:       `{"message":"Not Found"}`,
			wantErrors: []FieldError{{Message: "Not Found"}},
			wantKind:   ErrNotFound,
		},
		{
			name: "invalid API key", status: 401, contentType: html,
			body:        "Invalid API Key",
			wantErrors:  []FieldError{{Message: "Invalid API Key"}},
			wantKind:    ErrUnauthorized,
			wantMessage: "HTTP 401 Unauthorized: Invalid API Key",
		},
		{
			name: "forbidden", status: 403, contentType: "text/plain",
			body:       "invalid token, please reauthenticate",
			wantErrors: []FieldError{{Message: "invalid token, please reauthenticate"}},
			wantKind:   ErrUnauthorized,
		},
		{
			name: "rate limited", status: 429, contentType: html,
			body:       "Rate limit exceeded",
			wantErrors: []FieldError{{Message: "Rate limit exceeded"}},
			wantKind:   ErrRateLimited,
		},
		{
			name: "HTML error page", status: 502, contentType: html,
			body:        "<html><head><title>502 Bad Gateway</title></head>\n<body><h1>Bad   Gateway</h1></body></html>",
			wantErrors:  []FieldError{{Message: "502 Bad Gateway Bad Gateway"}},
			wantKind:    ErrServer,
			wantMessage: "HTTP 502 Bad Gateway", // the page only repeats the status line
		},
		{
			name: "HTML error page that says more", status: 502, contentType: html,
			body:        "<html><title>502 Bad Gateway</title><h1>502 Bad Gateway</h1><p>upstream reset</p></html>",
			wantErrors:  []FieldError{{Message: "502 Bad Gateway 502 Bad Gateway upstream reset"}},
			wantKind:    ErrServer,
			wantMessage: "HTTP 502 Bad Gateway: upstream reset",
		},
		{
			name: "JSON-looking body labelled HTML is text", status: 500, contentType: html,
			body:       `{"errors":[{"message":"x"}]}`,
			wantErrors: []FieldError{{Message: `{"errors":[{"message":"x"}]}`}},
			wantKind:   ErrServer,
		},
		{
			name: "body labelled JSON that is not JSON is text", status: 500, contentType: jsonCT,
			body:       "Internal Server Error",
			wantErrors: []FieldError{{Message: "Internal Server Error"}},
			wantKind:   ErrServer,
		},
		{
			name: "empty body", status: 503, contentType: "",
			wantKind:    ErrServer,
			wantMessage: "HTTP 503 Service Unavailable",
		},
		{
			name: "other 4xx", status: 409, contentType: html, body: "conflict",
			wantErrors: []FieldError{{Message: "conflict"}},
			wantKind:   ErrBadRequest,
		},
	}
	kinds := []error{ErrNotFound, ErrUnauthorized, ErrRateLimited, ErrQuotaExhausted, ErrBadRequest, ErrServer, ErrTimeout}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newAPIError(tt.status, tt.contentType, []byte(tt.body))
			if diff := cmp.Diff(tt.wantErrors, e.Errors); diff != "" {
				t.Errorf("Errors mismatch (-want +got):\n%s", diff)
			}
			if e.Body != tt.body {
				t.Errorf("Body = %q, want %q", e.Body, tt.body)
			}
			if tt.wantMessage != "" && e.Error() != tt.wantMessage {
				t.Errorf("Error() = %q, want %q", e.Error(), tt.wantMessage)
			}
			// Wrapped the way the client wraps, the kind is still visible,
			// and it is the only kind.
			wrapped := fmt.Errorf("knack: get object_1/x: %w", e)
			for _, k := range kinds {
				if got, want := errors.Is(wrapped, k), k == tt.wantKind; got != want {
					t.Errorf("errors.Is(err, %v) = %v, want %v", k, got, want)
				}
			}
			var ae *APIError
			if !errors.As(wrapped, &ae) || ae.Status != tt.status {
				t.Errorf("errors.As(*APIError) = %v, status %v", ae != nil, tt.status)
			}
		})
	}
}

func TestAPIErrorBodyTruncated(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 10_000)
	e := newAPIError(500, "text/plain", []byte(long))
	if len(e.Body) > maxErrorBody {
		t.Errorf("len(Body) = %d, want at most %d", len(e.Body), maxErrorBody)
	}
	if msg := e.Errors[0].Message; len(msg) > 210 || !strings.HasSuffix(msg, "…") || !json.Valid([]byte(`"`+msg+`"`)) {
		t.Errorf("Message = %q (%d bytes), want a short valid-UTF-8 excerpt", msg, len(msg))
	}
}

func TestQuotaError(t *testing.T) {
	t.Parallel()
	reset := time.Date(2024, 3, 6, 0, 0, 0, 0, time.UTC)
	err := fmt.Errorf("knack: list object_2 page 3: %w", &QuotaError{Reset: reset, Limit: 10000})
	if !errors.Is(err, ErrQuotaExhausted) {
		t.Error("errors.Is(err, ErrQuotaExhausted) = false")
	}
	if errors.Is(err, ErrRateLimited) {
		t.Error("a quota error matches ErrRateLimited; the reactions differ")
	}
	var qe *QuotaError
	if !errors.As(err, &qe) || !qe.Reset.Equal(reset) {
		t.Errorf("errors.As(*QuotaError) = %v", qe)
	}
	want := "knack: list object_2 page 3: daily API quota exhausted (limit 10000), resets at 2024-03-06T00:00:00Z"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}
