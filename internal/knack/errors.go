package knack

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Error kinds. Test for them with errors.Is; the concrete errors are
// *APIError (any HTTP status the call could not recover from) and
// *QuotaError (the daily quota is spent).
var (
	// ErrNotFound: 404, or 400 "Malformed Record Key" (a non-ObjectId id,
	// which can never exist).
	ErrNotFound = errors.New("knack: not found")
	// ErrUnauthorized: 401 or 403 (wrong API key or application id).
	ErrUnauthorized = errors.New("knack: unauthorized")
	// ErrRateLimited: still 429 (per-second limit) after every retry.
	ErrRateLimited = errors.New("knack: rate limited")
	// ErrQuotaExhausted: a 429 with X-PlanLimit-Remaining: 0. It is not
	// retried; the *QuotaError says when the quota resets. It does not match
	// ErrRateLimited, because the right reaction (wait hours) differs.
	ErrQuotaExhausted = errors.New("knack: daily API quota exhausted")
	// ErrBadRequest: any other 4xx (validation errors, unknown object key,
	// bad filters). Never retried.
	ErrBadRequest = errors.New("knack: bad request")
	// ErrServer: 5xx after every retry (or at once for a create).
	ErrServer = errors.New("knack: server error")
	// ErrTimeout: a request attempt exceeded Config.Timeout (after every
	// retry, or at once for a create). The caller's own context deadline is
	// reported as context.DeadlineExceeded instead.
	ErrTimeout = errors.New("knack: request timed out")
	// ErrResponseTooLarge: a response body past Config.MaxResponseBytes.
	// Not retried: the same request would bring the same body.
	ErrResponseTooLarge = errors.New("knack: response too large")
)

// maxErrorBody caps how much of an error body is kept.
const maxErrorBody = 4 << 10

// FieldError is one entry of a JSON error body {"errors":[...]}, or the text
// of a plain-text error body as Message.
type FieldError struct {
	Field   string `json:"field,omitempty"`
	Type    string `json:"type,omitempty"`
	Message string `json:"message,omitempty"`
}

// APIError is an HTTP response the client gave up on. errors.Is matches it
// against the kind for its status: ErrNotFound, ErrUnauthorized,
// ErrRateLimited, ErrBadRequest or ErrServer.
type APIError struct {
	Status int
	// Body is the response body, truncated to a few KiB. Error bodies carry
	// messages, not records; still, do not log it where student data must
	// not go.
	Body string
	// Errors is the parsed body: the entries of {"errors":[...]}, or one
	// entry holding the text of a text/html body.
	Errors []FieldError
}

func (e *APIError) Error() string {
	// An HTML error page repeats the status line ("<title>502 Bad
	// Gateway</title>…<h1>502 Bad Gateway</h1>"): say it once.
	status := fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status))
	var msgs []string
	for _, fe := range e.Errors {
		m := fe.Message
		if m == "" {
			m = fe.Type
		}
		m = strings.Join(strings.Fields(strings.ReplaceAll(m, status, "")), " ")
		if fe.Field != "" {
			m = fe.Field + ": " + m
		}
		if m != "" && m != http.StatusText(e.Status) && !slices.Contains(msgs, m) {
			msgs = append(msgs, m)
		}
	}
	s := "HTTP " + status
	if len(msgs) > 0 {
		s += ": " + strings.Join(msgs, "; ")
	}
	return s
}

// Is maps the status to an error kind.
func (e *APIError) Is(target error) bool {
	return target == e.kind()
}

func (e *APIError) kind() error {
	switch {
	case e.Status == http.StatusNotFound:
		return ErrNotFound
	case e.Status == http.StatusBadRequest && strings.Contains(e.Body, "Malformed Record Key"):
		return ErrNotFound
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		return ErrUnauthorized
	case e.Status == http.StatusTooManyRequests:
		return ErrRateLimited
	case e.Status >= 500:
		return ErrServer
	case e.Status >= 400:
		return ErrBadRequest
	}
	return nil
}

// timeoutError is an attempt that ran out of Config.Timeout. It matches
// ErrTimeout.
type timeoutError struct{ after time.Duration }

func (e *timeoutError) Error() string        { return fmt.Sprintf("request timed out after %s", e.after) }
func (e *timeoutError) Is(target error) bool { return target == ErrTimeout }

// QuotaError reports that the app's daily API quota is spent. It matches
// ErrQuotaExhausted.
type QuotaError struct {
	// Reset is when the quota resets (X-PlanLimit-Reset is milliseconds
	// until then; Knack resets at 00:00 UTC).
	Reset time.Time
	// Limit is X-PlanLimit-Limit, or 0 when absent.
	Limit int64
}

func (e *QuotaError) Error() string {
	s := "daily API quota exhausted"
	if e.Limit > 0 {
		s += fmt.Sprintf(" (limit %d)", e.Limit)
	}
	return s + ", resets at " + e.Reset.UTC().Format(time.RFC3339)
}

// Is matches ErrQuotaExhausted.
func (e *QuotaError) Is(target error) bool { return target == ErrQuotaExhausted }

// newAPIError builds the error for a response body, decoding it according to
// its Content-Type: Knack answers some errors with JSON {"errors":[...]} and
// others with a text/html string such as "Invalid API Key".
func newAPIError(status int, contentType string, body []byte) *APIError {
	if len(body) > maxErrorBody {
		body = body[:maxErrorBody]
	}
	e := &APIError{Status: status, Body: string(body)}
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/json" || strings.HasSuffix(mt, "+json") {
		if errs, ok := parseJSONErrors(body); ok {
			e.Errors = errs
			return e
		}
	}
	if text := plainText(string(body)); text != "" {
		e.Errors = []FieldError{{Message: text}}
	}
	return e
}

// parseJSONErrors reads {"errors":[{field,type,message}|"text",...]} or
// {"message":"..."}; ok is false when body is neither.
func parseJSONErrors(body []byte) ([]FieldError, bool) {
	var env struct {
		Errors  []json.RawMessage `json:"errors"`
		Message string            `json:"message"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, false
	}
	var out []FieldError
	for _, raw := range env.Errors {
		var fe FieldError
		if err := json.Unmarshal(raw, &fe); err == nil {
			out = append(out, fe)
			continue
		}
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			out = append(out, FieldError{Message: s})
		}
	}
	if len(out) == 0 && env.Message != "" {
		out = append(out, FieldError{Message: env.Message})
	}
	if len(out) == 0 && env.Errors == nil && env.Message == "" {
		return nil, false
	}
	return out, true
}

// plainText turns a text or HTML error body into one short line: tags
// dropped, whitespace collapsed, at most 200 bytes.
func plainText(s string) string {
	var b strings.Builder
	inTag := false
	for _, r := range s {
		switch {
		case r == '<':
			inTag = true
			b.WriteByte(' ')
		case r == '>' && inTag:
			inTag = false
		case !inTag:
			b.WriteRune(r)
		}
	}
	out := strings.Join(strings.Fields(b.String()), " ")
	if len(out) > 200 {
		cut := 200
		for cut > 0 && !isRuneStart(out[cut]) {
			cut--
		}
		out = out[:cut] + "…"
	}
	return out
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
