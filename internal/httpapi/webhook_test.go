package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"riverqueue.com/riverui"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"knacksync/internal/dbtest"
	"knacksync/internal/metrics"
	"knacksync/internal/store"
	"knacksync/internal/syncer"
	"knacksync/internal/worker"
)

const testSecret = "test-webhook-secret-0123456789"

// testNow is the bundle's clock: signatures are judged against it.
var testNow = time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)

type testBundle struct {
	pool    *pgxpool.Pool
	handler http.Handler
	logs    *syncBuffer
}

// setup builds the full handler on a fresh database, with the real hint
// sink and sweep enqueuer (an insert-only River client), the webhook secret
// and admin credentials set unless edit changes them.
func setup(t *testing.T, edit ...func(*Deps)) *testBundle {
	t.Helper()
	pool := dbtest.Pool(t)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	client, err := worker.NewClient(pool, logger, worker.ClientOptions{})
	if err != nil {
		t.Fatalf("river client: %v", err)
	}
	now := func() time.Time { return testNow }
	deps := Deps{
		Logger:        logger,
		Readiness:     readyFunc(func(context.Context) error { return nil }),
		Now:           now,
		Hints:         &worker.Hints{Pool: pool, Store: store.New(pool), Client: client, Now: now},
		WebhookSecret: testSecret,
		Objects:       syncer.Objects(),
		Sweeps:        riverSweeps{client},
		AdminUser:     "admin",
		AdminPassword: "admin-password-123",
		Status:        store.New(pool),
		Cron:          "0 2 * * *",
		// The real metrics and River UI handlers, so that the route-table
		// test sees them behind admin auth.
		MetricsHandler: metrics.New(metrics.Options{}).Handler(),
		RiverUI:        mustRiverUI(t, client, logger),
	}
	for _, f := range edit {
		f(&deps)
	}
	return &testBundle{pool: pool, handler: New(deps), logs: logs}
}

type readyFunc func(context.Context) error

func (f readyFunc) Ready(ctx context.Context) error { return f(ctx) }

// riverSweeps is cmd/server's adapter, repeated: EnqueueSweep on River.
type riverSweeps struct{ client *river.Client[pgx.Tx] }

func (s riverSweeps) EnqueueSweep(ctx context.Context, reason string) (int64, bool, error) {
	return worker.EnqueueSweep(ctx, s.client, reason)
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (b *testBundle) serve(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	b.handler.ServeHTTP(rec, req)
	return rec
}

// count runs a count(*) query.
func (b *testBundle) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := b.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func (b *testBundle) hintRows(t *testing.T) int {
	return b.count(t, `SELECT count(*) FROM knacksync.hints`)
}

func (b *testBundle) jobs(t *testing.T) int {
	return b.count(t, `SELECT count(*) FROM knacksync.river_job`)
}

// webhookRequest is a POST /webhooks/knack with a JSON body and the given
// headers (name, value pairs).
func webhookRequest(body []byte, headers ...string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/knack", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

// sign returns an X-Webhook-Signature for body at time at, one v1 entry per
// secret.
func sign(at time.Time, body []byte, secrets ...string) string {
	sig := signature{timestamp: at.Unix()}
	for _, s := range secrets {
		sig.v1 = append(sig.v1, signPayload([]byte(s), at.Unix(), body))
	}
	return sig.String()
}

type hintJSON struct {
	Object   string `json:"object"`
	RecordID string `json:"record_id"`
	Event    string `json:"event"`
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func recordID(i int) string { return fmt.Sprintf("%024x", i) }

// batch is {"events":[...]} with n hints.
func batch(t testing.TB, n int, hint func(i int) hintJSON) []byte {
	events := make([]hintJSON, n)
	for i := range events {
		events[i] = hint(i)
	}
	return mustJSON(t, map[string]any{"events": events})
}

// countingReader is an endless body that counts what was read from it.
type countingReader struct{ n int64 }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	r.n += int64(len(p))
	return len(p), nil
}

func TestWebhookRejects(t *testing.T) {
	t.Parallel()
	b := setup(t)

	valid := []byte(`{"object":"object_10","record_id":"5f3a9c1e2b4d6f8a0c1e3b5d","event":"update"}`)
	secret := []string{headerWebhookSecret, testSecret}
	bodyWith := func(object, id, event string) []byte {
		return mustJSON(t, hintJSON{Object: object, RecordID: id, Event: event})
	}
	oneBad := func(i int) hintJSON {
		h := hintJSON{Object: "object_10", RecordID: recordID(i), Event: "update"}
		if i == 1 {
			h.RecordID = "zz"
		}
		return h
	}

	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantError  string // a substring of the JSON error
	}{
		// Authentication, before the body is parsed.
		{"wrong secret", webhookRequest(valid, headerWebhookSecret, "not-the-secret"), 401, "X-Webhook-Secret"},
		{"secret prefix", webhookRequest(valid, headerWebhookSecret, testSecret[:10]), 401, ""},
		{"missing secret", webhookRequest(valid), 401, ""},
		{"stale signature", webhookRequest(valid, headerWebhookSignature, sign(testNow.Add(-6*time.Minute), valid, testSecret)), 401, ""},
		{"signature from the future", webhookRequest(valid, headerWebhookSignature, sign(testNow.Add(6*time.Minute), valid, testSecret)), 401, ""},
		{"bad signature hex", webhookRequest(valid, headerWebhookSignature, fmt.Sprintf("t=%d,v1=%s", testNow.Unix(), strings.Repeat("zz", 32))), 401, ""},
		{"short signature", webhookRequest(valid, headerWebhookSignature, fmt.Sprintf("t=%d,v1=abcd", testNow.Unix())), 401, ""},
		{"signature without timestamp", webhookRequest(valid, headerWebhookSignature, "v1="+strings.Repeat("ab", 32)), 401, ""},
		{"signature of another body", webhookRequest(valid, headerWebhookSignature, sign(testNow, []byte(`{}`), testSecret)), 401, ""},
		{"signature with another secret", webhookRequest(valid, headerWebhookSignature, sign(testNow, valid, "another-secret-0123456789")), 401, ""},
		{"unauthenticated bad JSON is 401", webhookRequest([]byte(`{`)), 401, ""},

		// Strict JSON.
		{"malformed JSON", webhookRequest([]byte(`{"object":"object_10",`), secret...), 400, "malformed JSON"},
		{"empty body", webhookRequest(nil, secret...), 400, "malformed JSON"},
		{"trailing garbage", webhookRequest(append(bytes.Clone(valid), "garbage"...), secret...), 400, "body: "},
		{"two JSON values", webhookRequest(append(bytes.Clone(valid), valid...), secret...), 400, "unexpected data after the JSON object"},
		{"array body", webhookRequest([]byte(`[]`), secret...), 400, "must be a JSON object"},
		{"null body", webhookRequest([]byte(`null`), secret...), 400, "must be a JSON object"},
		{"unknown field", webhookRequest([]byte(`{"object":"object_10","record_id":"5f3a9c1e2b4d6f8a0c1e3b5d","event":"update","extra":1}`), secret...), 400, `unknown field \"extra\"`},
		{"field in another case", webhookRequest([]byte(`{"Object":"object_10","record_id":"5f3a9c1e2b4d6f8a0c1e3b5d","event":"update"}`), secret...), 400, `unknown field \"Object\"`},
		{"repeated field", webhookRequest([]byte(`{"object":"object_10","object":"object_10","record_id":"5f3a9c1e2b4d6f8a0c1e3b5d","event":"update"}`), secret...), 400, "field object repeated"},
		{"missing field", webhookRequest([]byte(`{"object":"object_10","event":"update"}`), secret...), 400, "record_id: missing"},
		{"null record id", webhookRequest([]byte(`{"object":"object_10","record_id":null,"event":"update"}`), secret...), 400, "record_id: must be a string"},
		{"unknown object", webhookRequest(bodyWith("object_9999", "5f3a9c1e2b4d6f8a0c1e3b5d", "update"), secret...), 400, `object: unknown object \"object_9999\"`},
		{"bad id: 23 hex", webhookRequest(bodyWith("object_10", strings.Repeat("a", 23), "update"), secret...), 400, "record_id: must be 24 hexadecimal digits"},
		{"bad id: non-hex", webhookRequest(bodyWith("object_10", "5f3a9c1e2b4d6f8a0c1e3b5g", "update"), secret...), 400, "record_id: must be 24 hexadecimal digits"},
		{"bad id: 25 hex", webhookRequest(bodyWith("object_10", strings.Repeat("a", 25), "update"), secret...), 400, "record_id: must be 24 hexadecimal digits"},
		{"bad event", webhookRequest(bodyWith("object_10", "5f3a9c1e2b4d6f8a0c1e3b5d", "upsert"), secret...), 400, "event: must be create, update or delete"},
		{"empty events", webhookRequest([]byte(`{"events":[]}`), secret...), 400, "at least one hint"},
		{"events not an array", webhookRequest([]byte(`{"events":{}}`), secret...), 400, "events: must be an array"},
		{"events and object", webhookRequest([]byte(`{"events":[],"object":"object_10"}`), secret...), 400, "cannot be combined"},
		{"event not an object", webhookRequest([]byte(`{"events":[null]}`), secret...), 400, "events[0]: must be a JSON object"},
		{"second event bad", webhookRequest(batch(t, 3, oneBad), secret...), 400, "events[1].record_id: must be 24 hexadecimal digits"},
		{"unknown field in an event", webhookRequest([]byte(`{"events":[{"object":"object_10","record_id":"5f3a9c1e2b4d6f8a0c1e3b5d","event":"update","x":1}]}`), secret...), 400, `events[0]: unknown field \"x\"`},

		// Size.
		{"oversize body", webhookRequest(bytes.Repeat([]byte(" "), maxWebhookBody+1), secret...), 413, "body larger than"},
		{"oversize body before authentication", webhookRequest(bytes.Repeat([]byte(" "), maxWebhookBody+1)), 413, ""},
		{"1,001 hints", webhookRequest(batch(t, maxHintsPerRequest+1, func(i int) hintJSON {
			return hintJSON{Object: "object_10", RecordID: recordID(i), Event: "update"}
		}), secret...), 413, "more than 1000 hints"},

		// Media type, before everything else.
		{"text/plain", webhookRequest(valid, "Content-Type", "text/plain", headerWebhookSecret, testSecret), 415, "application/json"},
		{"no content type", webhookRequest(valid, "Content-Type", "", headerWebhookSecret, testSecret), 415, ""},
		{"latin-1 JSON", webhookRequest(valid, "Content-Type", "application/json; charset=latin1", headerWebhookSecret, testSecret), 415, ""},
		{"text/plain unauthenticated", webhookRequest(valid, "Content-Type", "text/plain"), 415, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hintsBefore, jobsBefore := b.hintRows(t), b.jobs(t)
			rec := b.serve(tt.req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			var got struct{ Error string }
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Error == "" {
				t.Fatalf("body %q is not a JSON error: %v", rec.Body, err)
			}
			if !strings.Contains(rec.Body.String(), tt.wantError) {
				t.Errorf("body %s does not contain %q", rec.Body, tt.wantError)
			}
			if strings.Contains(rec.Body.String(), testSecret) {
				t.Errorf("body %s echoes the secret", rec.Body)
			}
			if h, j := b.hintRows(t), b.jobs(t); h != hintsBefore || j != jobsBefore {
				t.Errorf("a rejected request wrote: hints %d → %d, jobs %d → %d", hintsBefore, h, jobsBefore, j)
			}
		})
	}

	t.Run("streamed oversize body", func(t *testing.T) {
		body := &countingReader{}
		req := httptest.NewRequest(http.MethodPost, "/webhooks/knack", io.NopCloser(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(headerWebhookSecret, testSecret)
		if req.ContentLength != -1 {
			t.Fatalf("ContentLength = %d, want unknown", req.ContentLength)
		}
		if rec := b.serve(req); rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("status = %d, want 413; body %s", rec.Code, rec.Body)
		}
		if body.n > maxWebhookBody+bytes.MinRead {
			t.Errorf("read %d bytes of an endless body; the limit is %d", body.n, maxWebhookBody)
		}
		if h, j := b.hintRows(t), b.jobs(t); h != 0 || j != 0 {
			t.Errorf("%d hints, %d jobs; want 0 and 0", h, j)
		}
	})

	if h, j := b.hintRows(t), b.jobs(t); h != 0 || j != 0 {
		t.Errorf("after the rejected requests: %d hints, %d jobs; want 0 and 0", h, j)
	}
	if strings.Contains(b.logs.String(), testSecret) {
		t.Errorf("the logs hold the secret:\n%s", b.logs)
	}
}

// hintRow is a row of knacksync.hints.
type hintRow struct {
	Object, RecordID, Event string
	Hints                   int
}

func (b *testBundle) hintTable(t *testing.T) []hintRow {
	t.Helper()
	rows, err := b.pool.Query(context.Background(),
		`SELECT object, record_id, event, hints FROM knacksync.hints ORDER BY object, record_id`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[hintRow])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// hintJobs lists the objects of the knack_hints jobs, one per job.
func (b *testBundle) hintJobs(t *testing.T) []string {
	t.Helper()
	rows, err := b.pool.Query(context.Background(),
		`SELECT args->>'object' FROM knacksync.river_job WHERE kind = 'knack_hints' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func wantAccepted(t *testing.T, rec *httptest.ResponseRecorder, n int) {
	t.Helper()
	if rec.Code != http.StatusAccepted {
		t.Fatalf("status = %d, want 202; body %s", rec.Code, rec.Body)
	}
	if diff := cmp.Diff(fmt.Sprintf(`{"accepted":%d}`, n), strings.TrimSpace(rec.Body.String())); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s", diff)
	}
}

func TestWebhookAccepts(t *testing.T) {
	t.Parallel()

	t.Run("single hint with the shared secret", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		body := []byte(`{"object":"object_10","record_id":"5f3a9c1e2b4d6f8a0c1e3b5d","event":"update"}`)
		wantAccepted(t, b.serve(webhookRequest(body, headerWebhookSecret, testSecret)), 1)
		if diff := cmp.Diff([]hintRow{{"object_10", "5f3a9c1e2b4d6f8a0c1e3b5d", "update", 1}}, b.hintTable(t)); diff != "" {
			t.Errorf("hints mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"object_10"}, b.hintJobs(t)); diff != "" {
			t.Errorf("jobs mismatch (-want +got):\n%s", diff)
		}
		if j := b.jobs(t); j != 1 {
			t.Errorf("%d jobs, want 1", j)
		}
	})

	t.Run("uppercase id is normalised", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		body := []byte(`{"object":"object_2","record_id":"5F3A9C1E2B4D6F8A0C1E3B5D","event":"delete"}`)
		req := webhookRequest(body, "Content-Type", "application/json; charset=UTF-8", headerWebhookSecret, testSecret)
		wantAccepted(t, b.serve(req), 1)
		if diff := cmp.Diff([]hintRow{{"object_2", "5f3a9c1e2b4d6f8a0c1e3b5d", "delete", 1}}, b.hintTable(t)); diff != "" {
			t.Errorf("hints mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("batch of 1000 signed hints", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		objects := []string{"object_10", "object_29", "object_3"}
		events := []string{"create", "update", "delete"}
		// 600 records, 400 of them hinted twice in the batch.
		body := batch(t, 1000, func(i int) hintJSON {
			return hintJSON{Object: objects[i%3], RecordID: recordID(i % 600), Event: events[(i/3)%3]}
		})
		if len(body) > maxWebhookBody {
			t.Fatalf("1000 hints take %d bytes, more than the limit %d", len(body), maxWebhookBody)
		}
		wantAccepted(t, b.serve(webhookRequest(body, headerWebhookSignature, sign(testNow, body, testSecret))), 1000)

		if n := b.hintRows(t); n != 600 {
			t.Errorf("%d hint rows, want 600 (one per record)", n)
		}
		if n := b.count(t, `SELECT sum(hints) FROM knacksync.hints`); n != 1000 {
			t.Errorf("the rows count %d hints, want 1000", n)
		}
		if diff := cmp.Diff(objects, b.hintJobs(t)); diff != "" {
			t.Errorf("jobs mismatch (-want +got):\n%s", diff)
		}

		// The jobs are still waiting: a second batch adds hints, not jobs.
		// Signed a minute ago, by a sender rotating its secret.
		earlier := testNow.Add(-time.Minute)
		wantAccepted(t, b.serve(webhookRequest(body, headerWebhookSignature, sign(earlier, body, "the-old-secret-0123456789", testSecret))), 1000)
		if n := b.hintRows(t); n != 600 {
			t.Errorf("%d hint rows, want 600", n)
		}
		if n := b.count(t, `SELECT sum(hints) FROM knacksync.hints`); n != 2000 {
			t.Errorf("the rows count %d hints, want 2000", n)
		}
		if diff := cmp.Diff(objects, b.hintJobs(t)); diff != "" {
			t.Errorf("jobs after the second batch mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("signature at the edge of the tolerance", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		body := []byte(`{"object":"object_5","record_id":"5f3a9c1e2b4d6f8a0c1e3b5d","event":"create"}`)
		for _, at := range []time.Time{testNow.Add(-signatureTolerance), testNow.Add(signatureTolerance)} {
			wantAccepted(t, b.serve(webhookRequest(body, headerWebhookSignature, sign(at, body, testSecret))), 1)
		}
	})

	t.Run("no secret configured", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(d *Deps) { d.WebhookSecret = "" })
		body := []byte(`{"events":[{"object":"object_21","record_id":"5f3a9c1e2b4d6f8a0c1e3b5d","event":"update"}]}`)
		wantAccepted(t, b.serve(webhookRequest(body)), 1)
		wantAccepted(t, b.serve(webhookRequest(body)), 1)
		if n := strings.Count(b.logs.String(), "WEBHOOK_SECRET is empty"); n != 1 {
			t.Errorf("the warning was logged %d times, want once:\n%s", n, b.logs)
		}
		// Still strict about the body.
		rec := b.serve(webhookRequest([]byte(`{"object":"object_9999","record_id":"5f3a9c1e2b4d6f8a0c1e3b5d","event":"update"}`)))
		if rec.Code != http.StatusBadRequest {
			t.Errorf("unknown object without a secret: status %d, want 400", rec.Code)
		}
	})

	t.Run("the secret is not logged", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		body := []byte(`{"object":"object_10","record_id":"5f3a9c1e2b4d6f8a0c1e3b5d","event":"update"}`)
		wantAccepted(t, b.serve(webhookRequest(body, headerWebhookSecret, testSecret)), 1)
		b.serve(webhookRequest(body, headerWebhookSecret, testSecret+"x"))
		if logs := b.logs.String(); strings.Contains(logs, testSecret) || strings.Contains(logs, "5f3a9c1e2b4d6f8a0c1e3b5d") {
			t.Errorf("the logs hold the secret or a record id:\n%s", logs)
		}
	})
}

// TestSignatureInterop checks a signature computed outside Go, as a
// sender would (Python: hmac.new(secret, f"{t}.{body}".encode(),
// hashlib.sha256).hexdigest()).
func TestSignatureInterop(t *testing.T) {
	t.Parallel()
	body := []byte(`{"object":"object_10","record_id":"5f3a9c1e2b4d6f8a0c1e3b5d","event":"update"}`)
	header := "t=1756728000,v1=e970c8a998e87cb9c9c65e7b7ea09b570c9998654cd86d1a86bf4e48b316c17c"
	if err := verifySignature([]byte(testSecret), header, body, testNow); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if got := sign(testNow, body, testSecret); got != header {
		t.Errorf("sign = %q, want %q", got, header)
	}
}

// fuzzObjects is the allow-list the fuzz targets use.
var fuzzObjects = map[string]bool{"object_2": true, "object_10": true, "object_29": true}

func FuzzWebhookParse(f *testing.F) {
	f.Add([]byte(`{"object":"object_10","record_id":"5f3a9c1e2b4d6f8a0c1e3b5d","event":"update"}`))
	f.Add([]byte(`{"events":[{"object":"object_2","record_id":"5F3A9C1E2B4D6F8A0C1E3B5D","event":"delete"},{"object":"object_29","record_id":"000000000000000000000000","event":"create"}]}`))
	f.Add([]byte(`{"events":[]}`))
	f.Add([]byte(`{"object":"object_10","object":"x"}`))
	f.Add([]byte(`{"events":[{"object":"object_10","record_id":"5f3a9c1e2b4d6f8a0c1e3b5d","event":"update"},]}`))
	f.Add([]byte(`{} {}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		hints, err := parseHints(body, fuzzObjects)
		if err != nil {
			var br *badRequest
			var tl *tooLarge
			if !errors.As(err, &br) && !errors.As(err, &tl) {
				t.Fatalf("error %T %v is neither a badRequest nor a tooLarge", err, err)
			}
			if hints != nil {
				t.Fatalf("hints %v with error %v", hints, err)
			}
			return
		}
		if len(hints) < 1 || len(hints) > maxHintsPerRequest {
			t.Fatalf("%d hints accepted", len(hints))
		}
		events := make([]hintJSON, len(hints))
		for i, h := range hints {
			if !fuzzObjects[h.Object] || !isRecordID(h.RecordID) || strings.ToLower(h.RecordID) != h.RecordID ||
				(h.Event != "create" && h.Event != "update" && h.Event != "delete") {
				t.Fatalf("invalid hint accepted: %+v", h)
			}
			events[i] = hintJSON(h)
		}
		// What was accepted round-trips through the batch form.
		again, err := parseHints(mustJSON(t, map[string]any{"events": events}), fuzzObjects)
		if err != nil {
			t.Fatalf("re-encoded hints rejected: %v", err)
		}
		if diff := cmp.Diff(hints, again); diff != "" {
			t.Fatalf("round trip mismatch (-first +second):\n%s", diff)
		}
	})
}

func FuzzSignature(f *testing.F) {
	body := []byte(`{"object":"object_10","record_id":"5f3a9c1e2b4d6f8a0c1e3b5d","event":"update"}`)
	f.Add(sign(testNow, body, testSecret), body, int64(0))
	f.Add(sign(testNow, body, "old-secret", testSecret), body, int64(-299))
	f.Add("t=1756728000,v1=zz", []byte{}, int64(301))
	f.Add("t=01756728000,v0=ab,v1="+strings.Repeat("ab", 32), []byte("{}"), int64(-301))
	f.Add(" t=1756728000 , v1=", []byte(nil), int64(1<<62))
	f.Fuzz(func(t *testing.T, header string, body []byte, offset int64) {
		secret := []byte(testSecret)
		// Any header: no panic, and what parses round-trips.
		if sig, err := parseSignature(header); err == nil {
			if len(sig.v1) == 0 || len(sig.v1) > maxSignatures || sig.timestamp < 0 {
				t.Fatalf("parsed %q into %+v", header, sig)
			}
			again, err := parseSignature(sig.String())
			if err != nil {
				t.Fatalf("%q parsed, its String %q did not: %v", header, sig.String(), err)
			}
			if !cmp.Equal(sig, again, cmp.AllowUnexported(signature{})) {
				t.Fatalf("round trip: %+v became %+v", sig, again)
			}
		}
		if verifySignature(secret, header, body, testNow) == nil {
			sig, err := parseSignature(header)
			if err != nil || testNow.Sub(time.Unix(sig.timestamp, 0)).Abs() > signatureTolerance {
				t.Fatalf("%q verified: %+v, %v", header, sig, err)
			}
		}

		// A signature we make verifies exactly when its age is within the
		// tolerance, and only for its own body.
		age := offset % int64(2*signatureTolerance/time.Second)
		at := testNow.Add(-time.Duration(age) * time.Second)
		h := sign(at, body, testSecret)
		err := verifySignature(secret, h, body, testNow)
		fresh := age >= -int64(signatureTolerance/time.Second) && age <= int64(signatureTolerance/time.Second)
		if (err == nil) != fresh {
			t.Fatalf("signature %s seconds old: err %v", fmt.Sprint(age), err)
		}
		if fresh {
			if err := verifySignature(secret, h, append(bytes.Clone(body), 'x'), testNow); err == nil {
				t.Fatalf("signature verified for another body")
			}
			if err := verifySignature([]byte("another secret"), h, body, testNow); err == nil {
				t.Fatalf("signature verified with another secret")
			}
		}
	})
}

func mustRiverUI(t *testing.T, client *river.Client[pgx.Tx], logger *slog.Logger) http.Handler {
	t.Helper()
	h, err := riverui.NewHandler(&riverui.HandlerOpts{Endpoints: riverui.NewEndpoints(client, nil), Logger: logger, Prefix: "/riverui"})
	if err != nil {
		t.Fatalf("river ui: %v", err)
	}
	return h
}
