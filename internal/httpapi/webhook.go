package httpapi

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"knacksync/internal/store"
)

// Limits of POST /webhooks/knack.
const (
	// maxWebhookBody bounds the body: 1,000 hints take about 90 KiB.
	maxWebhookBody = 256 << 10
	// maxHintsPerRequest is the contract's batch limit.
	maxHintsPerRequest = 1000
	// signatureTolerance is how far a signature's timestamp may be from
	// now, either way (the sender's clock may run ahead).
	signatureTolerance = 5 * time.Minute
	// maxSignatures bounds the v1= entries of one header (a sender rotating
	// its secret sends two; more is abuse).
	maxSignatures = 8
	// maxSignatureHeader bounds the header we parse.
	maxSignatureHeader = 1024
	// bodyReadTimeout bounds the reading of one body: 256 KiB in 10 s is
	// 26 KB/s, slower than any real sender; a slow sender holds a body
	// slot no longer.
	bodyReadTimeout = 10 * time.Second
	// bodySlotWait is how long a request waits for a body slot before 503.
	bodySlotWait = time.Second
)

// The webhook's authentication headers.
const (
	headerWebhookSecret    = "X-Webhook-Secret"
	headerWebhookSignature = "X-Webhook-Signature"
)

// handleWebhook takes change hints: it checks the media type, the size,
// the sender (over the raw body, before parsing), then the JSON, and
// answers 202 once the hints and their jobs are committed. It never calls
// Knack: a hint only makes a worker fetch the record with our own key.
func (s *Server) handleWebhook(c echo.Context) error {
	err := s.webhook(c)
	if s.deps.Metrics != nil && err != nil {
		var br *badRequest
		var tl *tooLarge
		switch {
		case errors.Is(err, errWebhookUnauthorized):
			s.deps.Metrics.HintRejected("unauthorized")
		case errors.As(err, &br):
			s.deps.Metrics.HintRejected("bad_request")
		case errors.As(err, &tl):
			s.deps.Metrics.HintRejected("too_large")
		case errors.Is(err, errUnsupportedMedia):
			s.deps.Metrics.HintRejected("unsupported_media")
		case errors.Is(err, errTooManyHints):
			s.deps.Metrics.HintRejected("rate_limited")
		case errors.Is(err, errWebhookBusy):
			s.deps.Metrics.HintRejected("busy")
		}
	}
	return err
}

// webhook authenticates from the headers before it reads a byte of the
// body (memory before authentication is what a flood would spend):
//
//   - a valid X-Webhook-Secret (or no secret configured, development):
//     authenticated; its source draws from the authenticated limit, which
//     unauthenticated requests never touch, and its body takes one of
//     the authenticated body slots;
//   - else a well-formed, fresh X-Webhook-Signature: the signature needs
//     the body, so the source draws from the unverified limit and the body
//     is read in one of the few unverified body slots, then checked;
//   - else 401 at once, the body never read.
//
// A full set of slots answers 503 with Retry-After.
func (s *Server) webhook(c echo.Context) error {
	req := c.Request()
	if !isJSONMediaType(req.Header.Get(echo.HeaderContentType)) {
		refuseUnread(c)
		return errUnsupportedMedia
	}
	if req.ContentLength > maxWebhookBody {
		refuseUnread(c)
		return &tooLarge{msg: fmt.Sprintf("body larger than %d bytes", maxWebhookBody)}
	}
	lane := s.webhookLane(req.Header)
	if lane == laneRefused {
		refuseUnread(c)
		return errWebhookUnauthorized
	}
	limit, slots := s.webhookLimit, s.bodySlots
	if lane == laneUnverified {
		limit, slots = s.unverifiedLimit, s.unverifiedSlots
	}
	if ok, retry := limit.allow(s.sourceOf(req)); !ok {
		refuseUnread(c)
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(retry.Seconds())+1))
		return errTooManyHints
	}
	release, ok := slots.acquire(req.Context(), bodySlotWait)
	if !ok {
		refuseUnread(c)
		c.Response().Header().Set("Retry-After", "1")
		return errWebhookBusy
	}
	// The slot is held until the answer: the body stays in memory so long.
	defer release()
	// A slow sender holds its slot bodyReadTimeout at most. (Not supported
	// by test recorders.)
	_ = http.NewResponseController(c.Response().Writer).SetReadDeadline(time.Now().Add(bodyReadTimeout))
	// The underlying writer: net/http then closes the connection after a
	// 413 instead of draining the rest of a large body.
	body, err := readBody(c.Response().Writer, req, maxWebhookBody)
	if err != nil {
		return err
	}
	if lane == laneUnverified {
		if err := verifySignature([]byte(s.deps.WebhookSecret), req.Header.Get(headerWebhookSignature), body, s.now()); err != nil {
			return errWebhookUnauthorized
		}
	}
	hints, err := parseHints(body, s.objects)
	if err != nil {
		return err
	}
	if err := s.deps.Hints.Accept(req.Context(), hints); err != nil {
		return fmt.Errorf("accept %d webhook hints: %w", len(hints), err)
	}
	if s.deps.Metrics != nil {
		byObject := map[string]int{}
		for _, h := range hints {
			byObject[h.Object]++
		}
		for object, n := range byObject {
			s.deps.Metrics.HintAccepted(object, n)
		}
	}
	return c.JSON(http.StatusAccepted, map[string]int{"accepted": len(hints)})
}

// isJSONMediaType accepts application/json, with at most a UTF-8 charset
// (RFC 8259: JSON between systems is UTF-8).
func isJSONMediaType(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return false
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return false
		}
	}
	return true
}

// readBody reads at most limit bytes of the body. A larger body is refused
// by its Content-Length before anything is read, or, when streamed, as
// soon as it passes the limit.
func readBody(w http.ResponseWriter, req *http.Request, limit int64) ([]byte, error) {
	tooBig := &tooLarge{msg: fmt.Sprintf("body larger than %d bytes", limit)}
	if req.ContentLength > limit {
		return nil, tooBig
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, limit))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, tooBig
	case err != nil:
		// The client went away or sent a broken chunked body.
		return nil, &badRequest{msg: "could not read the body"}
	}
	return body, nil
}

// webhookLane is what the headers say about a request's sender.
type webhookLane int

const (
	// laneRefused: nothing in the headers can pass (401, body unread).
	laneRefused webhookLane = iota
	// laneAuthenticated: the secret matched (or none is configured).
	laneAuthenticated
	// laneUnverified: a well-formed, fresh signature, to check against
	// the body.
	laneUnverified
)

// webhookLane judges the headers: X-Webhook-Secret equal to the secret, or
// else an X-Webhook-Signature worth reading the body for. With no secret
// configured (development only) every request is authenticated.
func (s *Server) webhookLane(h http.Header) webhookLane {
	if s.deps.WebhookSecret == "" {
		return laneAuthenticated
	}
	if vs := h.Values(headerWebhookSecret); len(vs) == 1 {
		// Hashing both sides first makes the compare constant-time in the
		// length too.
		got := sha256.Sum256([]byte(vs[0]))
		if subtle.ConstantTimeCompare(got[:], s.webhookSecret[:]) == 1 {
			return laneAuthenticated
		}
	}
	if vs := h.Values(headerWebhookSignature); len(vs) == 1 {
		if sig, err := parseSignature(vs[0]); err == nil && freshSignature(sig, s.now()) {
			return laneUnverified
		}
	}
	return laneRefused
}

// refuseUnread prepares an answer given without reading the body: the
// connection closes after it, and the server does not drain the rest of
// the body first (a slow sender would hold the connection, and a
// goroutine, for the whole ReadTimeout).
func refuseUnread(c echo.Context) {
	if c.Request().ContentLength == 0 {
		return
	}
	c.Response().Header().Set("Connection", "close")
	// Not supported by test recorders: nothing to drain there.
	_ = http.NewResponseController(c.Response().Writer).SetReadDeadline(time.Now())
}

// Hint fields as the contract names them.
const (
	fieldObject   = "object"
	fieldRecordID = "record_id"
	fieldEvent    = "event"
	fieldEvents   = "events"
)

var (
	topFields  = []string{fieldObject, fieldRecordID, fieldEvent, fieldEvents}
	hintFields = []string{fieldObject, fieldRecordID, fieldEvent}
)

// parseHints parses a webhook body strictly: exactly one JSON object with
// either the fields object, record_id and event, or events (an array of
// 1..maxHintsPerRequest such objects). Field names match exactly (not
// case-insensitively as encoding/json would), unknown and repeated fields
// are refused, and nothing may follow the object. The object must be in
// allowed, record_id is 24 hex digits (returned lowercase), event is
// create, update or delete. Errors are *badRequest or *tooLarge, naming
// the first bad item and field.
func parseHints(body []byte, allowed map[string]bool) ([]store.Hint, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	fields, err := readObject(dec, topFields)
	if err != nil {
		return nil, &badRequest{msg: "body: " + err.Error()}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &badRequest{msg: "body: unexpected data after the JSON object"}
	}
	events, batch := fields[fieldEvents]
	if !batch {
		h, err := parseHint(fields, allowed)
		if err != nil {
			return nil, &badRequest{msg: err.Error()}
		}
		return []store.Hint{h}, nil
	}
	if len(fields) != 1 {
		return nil, &badRequest{msg: "body: events cannot be combined with object, record_id or event"}
	}
	return parseEvents(events, allowed)
}

// parseEvents parses the events array, stopping as soon as it holds more
// than maxHintsPerRequest items.
func parseEvents(raw json.RawMessage, allowed map[string]bool) ([]store.Hint, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, &badRequest{msg: "events: must be an array"}
	}
	var hints []store.Hint
	for i := 0; dec.More(); i++ {
		if i == maxHintsPerRequest {
			return nil, &tooLarge{msg: fmt.Sprintf("events: more than %d hints in one request; split the batch", maxHintsPerRequest)}
		}
		fields, err := readObject(dec, hintFields)
		if err != nil {
			return nil, &badRequest{msg: fmt.Sprintf("events[%d]: %v", i, err)}
		}
		h, err := parseHint(fields, allowed)
		if err != nil {
			return nil, &badRequest{msg: fmt.Sprintf("events[%d].%v", i, err)}
		}
		hints = append(hints, h)
	}
	if len(hints) == 0 {
		return nil, &badRequest{msg: "events: must hold at least one hint"}
	}
	return hints, nil
}

// fieldError names the bad field of a hint.
type fieldError struct{ field, problem string }

func (e *fieldError) Error() string { return e.field + ": " + e.problem }

// parseHint validates one hint's fields, in the contract's order.
func parseHint(fields map[string]json.RawMessage, allowed map[string]bool) (store.Hint, error) {
	var h store.Hint
	var err error
	if h.Object, err = stringField(fields, fieldObject); err != nil {
		return h, err
	}
	if !allowed[h.Object] {
		return h, &fieldError{fieldObject, "unknown object " + quoteShort(h.Object)}
	}
	if h.RecordID, err = stringField(fields, fieldRecordID); err != nil {
		return h, err
	}
	if !isRecordID(h.RecordID) {
		return h, &fieldError{fieldRecordID, "must be 24 hexadecimal digits"}
	}
	h.RecordID = strings.ToLower(h.RecordID)
	if h.Event, err = stringField(fields, fieldEvent); err != nil {
		return h, err
	}
	switch h.Event {
	case "create", "update", "delete":
	default:
		return h, &fieldError{fieldEvent, "must be create, update or delete"}
	}
	return h, nil
}

// stringField returns the field's string value; null or another type is
// an error, as is a missing field.
func stringField(fields map[string]json.RawMessage, name string) (string, error) {
	raw, ok := fields[name]
	if !ok {
		return "", &fieldError{name, "missing"}
	}
	var v string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &v) != nil {
		return "", &fieldError{name, "must be a string"}
	}
	return v, nil
}

// isRecordID reports whether id looks like a Knack record id (a MongoDB
// ObjectId: 24 hex digits).
func isRecordID(id string) bool {
	if len(id) != 24 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}

// quoteShort quotes a client-supplied value for an error message, cut to a
// length that keeps the message small.
func quoteShort(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strconv.Quote(s)
}

// readObject reads one JSON object from dec, whose keys must be among
// known, each at most once (encoding/json would match keys
// case-insensitively and let a repeated key silently win).
func readObject(dec *json.Decoder, known []string) (map[string]json.RawMessage, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonProblem(err)
	}
	if tok != json.Delim('{') {
		return nil, errors.New("must be a JSON object")
	}
	fields := make(map[string]json.RawMessage, len(known))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonProblem(err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errors.New("malformed JSON")
		}
		if !slices.Contains(known, key) {
			return nil, fmt.Errorf("unknown field %s", quoteShort(key))
		}
		if _, dup := fields[key]; dup {
			return nil, fmt.Errorf("field %s repeated", key)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, jsonProblem(err)
		}
		fields[key] = v
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, jsonProblem(err)
	}
	return fields, nil
}

// jsonProblem describes a decoding error without Go type names.
func jsonProblem(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("malformed JSON at byte %d", se.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("malformed JSON: unexpected end of input")
	default:
		return errors.New("malformed JSON")
	}
}
