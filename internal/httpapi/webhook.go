package httpapi

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
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
		}
	}
	return err
}

func (s *Server) webhook(c echo.Context) error {
	req := c.Request()
	if ok, retry := s.webhookLimit.allow(req.RemoteAddr); !ok {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(retry.Seconds())+1))
		return errTooManyHints
	}
	if !isJSONMediaType(req.Header.Get(echo.HeaderContentType)) {
		return errUnsupportedMedia
	}
	// The underlying writer: net/http then closes the connection after a
	// 413 instead of draining the rest of a large body.
	body, err := readBody(c.Response().Writer, req, maxWebhookBody)
	if err != nil {
		return err
	}
	if err := s.authenticateWebhook(req.Header, body); err != nil {
		return err
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

// authenticateWebhook accepts the request when X-Webhook-Secret equals the
// secret or X-Webhook-Signature is a valid, fresh signature of body. With
// no secret configured (development only) every request passes.
func (s *Server) authenticateWebhook(h http.Header, body []byte) error {
	if s.deps.WebhookSecret == "" {
		return nil
	}
	if vs := h.Values(headerWebhookSecret); len(vs) == 1 {
		// Hashing both sides first makes the compare constant-time in the
		// length too.
		got := sha256.Sum256([]byte(vs[0]))
		if subtle.ConstantTimeCompare(got[:], s.webhookSecret[:]) == 1 {
			return nil
		}
	}
	if vs := h.Values(headerWebhookSignature); len(vs) == 1 {
		if verifySignature([]byte(s.deps.WebhookSecret), vs[0], body, s.now()) == nil {
			return nil
		}
	}
	return errWebhookUnauthorized
}

// signature is a parsed X-Webhook-Signature: "t=UNIX,v1=HEX[,v1=HEX...]".
type signature struct {
	timestamp int64
	v1        [][]byte // each sha256.Size bytes
}

// Why a signature header is refused. They stay in the server: the client
// gets one 401 for every authentication failure.
var (
	errSignatureSyntax   = errors.New("malformed signature header")
	errSignatureStale    = errors.New("signature timestamp outside the tolerance")
	errSignatureMismatch = errors.New("no signature matches")
)

// parseSignature parses an X-Webhook-Signature value. Entries other than
// t and v1 are ignored (a future scheme); t must appear once, canonical
// decimal; every v1 must be a hex SHA-256 HMAC.
func parseSignature(header string) (signature, error) {
	var sig signature
	if len(header) > maxSignatureHeader {
		return sig, errSignatureSyntax
	}
	seenT := false
	for part := range strings.SplitSeq(header, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || key == "" {
			return sig, errSignatureSyntax
		}
		switch key {
		case "t":
			t, err := strconv.ParseInt(value, 10, 64)
			// One canonical form: no sign, no leading zeros, so that the
			// signed "t." prefix is exactly what the sender formatted.
			if seenT || err != nil || t < 0 || strconv.FormatInt(t, 10) != value {
				return sig, errSignatureSyntax
			}
			sig.timestamp, seenT = t, true
		case "v1":
			mac, err := hex.DecodeString(value)
			if err != nil || len(mac) != sha256.Size || len(sig.v1) == maxSignatures {
				return sig, errSignatureSyntax
			}
			sig.v1 = append(sig.v1, mac)
		}
	}
	if !seenT || len(sig.v1) == 0 {
		return sig, errSignatureSyntax
	}
	return sig, nil
}

// String formats sig as a header value; parseSignature(sig.String())
// gives sig back.
func (sig signature) String() string {
	var b strings.Builder
	b.WriteString("t=")
	b.WriteString(strconv.FormatInt(sig.timestamp, 10))
	for _, mac := range sig.v1 {
		b.WriteString(",v1=")
		b.WriteString(hex.EncodeToString(mac))
	}
	return b.String()
}

// signPayload is the v1 signature: HMAC-SHA256 of "t.body" with secret.
func signPayload(secret []byte, timestamp int64, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write(strconv.AppendInt(nil, timestamp, 10))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

// verifySignature checks header against body: well-formed, timestamp
// within the tolerance of now, and one v1 entry (a rotating sender sends
// one per secret) equal to the expected HMAC.
func verifySignature(secret []byte, header string, body []byte, now time.Time) error {
	sig, err := parseSignature(header)
	if err != nil {
		return err
	}
	if d := now.Sub(time.Unix(sig.timestamp, 0)); d > signatureTolerance || d < -signatureTolerance {
		return errSignatureStale
	}
	want := signPayload(secret, sig.timestamp, body)
	ok := false
	for _, mac := range sig.v1 {
		// No early exit: every entry costs the same.
		ok = hmac.Equal(mac, want) || ok
	}
	if !ok {
		return errSignatureMismatch
	}
	return nil
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
