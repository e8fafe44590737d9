package knacksim

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"knacksync/internal/knack"
)

// receiver is an httptest change-hint receiver.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	hints   []map[string]string
	headers []http.Header
	status  int
	delay   time.Duration
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{status: http.StatusAccepted}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var h map[string]string
		if err := json.Unmarshal(body, &h); err != nil {
			t.Errorf("hint body %q: %v", body, err)
		}
		rc.mu.Lock()
		rc.hints = append(rc.hints, h)
		rc.headers = append(rc.headers, r.Header.Clone())
		status, delay := rc.status, rc.delay
		rc.mu.Unlock()
		time.Sleep(delay)
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) got() []map[string]string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]map[string]string(nil), rc.hints...)
}

func flush(t *testing.T, s *Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.FlushHooks(ctx); err != nil {
		t.Fatalf("FlushHooks: %v", err)
	}
}

func TestHooks(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	b := setup(t, func(o *Options) { o.HookURL = rc.URL + "/webhooks/knack"; o.HookSecret = "s3cret" })
	var rec knack.Record
	b.c.do("POST", "/objects/object_10/records", map[string]any{"field_197": "a@x.org"}).json(t, &rec)
	b.c.do("PUT", "/objects/object_10/records/"+rec.ID, map[string]any{"field_155": 3})
	b.c.do("DELETE", "/objects/object_10/records/"+rec.ID, nil)
	// Failed writes and reads send nothing; neither does the data access API.
	b.c.do("POST", "/objects/object_10/records", map[string]any{})
	b.c.get("/objects/object_10/records")
	b.s.Put("object_2", makeRecord(t, b.schema, "object_2", hexID(77), map[string]any{"field_44": "X"}))
	b.s.Delete("object_2", hexID(77))
	flush(t, b.s)
	want := []map[string]string{
		{"object": "object_10", "record_id": rec.ID, "event": "create"},
		{"object": "object_10", "record_id": rec.ID, "event": "update"},
		{"object": "object_10", "record_id": rec.ID, "event": "delete"},
	}
	if diff := cmp.Diff(want, rc.got()); diff != "" {
		t.Errorf("hints mismatch (-want +got):\n%s", diff)
	}
	for _, h := range rc.headers {
		if h.Get("X-Webhook-Secret") != "s3cret" || h.Get("Content-Type") != "application/json" {
			t.Errorf("hint headers %v", h)
		}
	}
	if c := b.s.Counts(); c.HooksSent != 3 || c.HooksDropped != 0 || c.HooksFailed != 0 {
		t.Errorf("counts %+v", c)
	}
}

func TestHookDrop(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	b := setup(t, func(o *Options) { o.HookURL = rc.URL; o.HookDrop = 0.4 })
	const n = 150
	for i := range n {
		if resp := b.c.do("POST", "/objects/object_2/records", map[string]any{"field_44": i}); resp.status != 200 {
			t.Fatalf("create: %d %s", resp.status, resp.body)
		}
	}
	flush(t, b.s)
	c := b.s.Counts()
	if c.HooksSent+c.HooksDropped != n || c.HooksDropped < 30 || c.HooksDropped > 90 {
		t.Errorf("sent %d, dropped %d of %d with HookDrop 0.4", c.HooksSent, c.HooksDropped, n)
	}
	if len(rc.got()) != c.HooksSent {
		t.Errorf("receiver got %d, HooksSent %d", len(rc.got()), c.HooksSent)
	}
	b.s.SetHookDrop(1)
	b.c.do("POST", "/objects/object_2/records", map[string]any{"field_44": "x"})
	flush(t, b.s)
	if got := b.s.Counts().HooksDropped; got != c.HooksDropped+1 {
		t.Errorf("SetHookDrop(1): dropped %d", got)
	}
}

func TestHookFailuresAndSlowReceiver(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	rc.status = http.StatusInternalServerError
	b := setup(t, func(o *Options) { o.HookURL = rc.URL })
	b.c.do("POST", "/objects/object_2/records", map[string]any{"field_44": "a"})
	flush(t, b.s)
	if c := b.s.Counts(); c.HooksFailed != 1 || c.HooksSent != 0 || len(rc.got()) != 1 {
		t.Errorf("no retries, counted as failed: %+v, receiver got %d", c, len(rc.got()))
	}
	// A slow receiver never slows the API.
	rc.mu.Lock()
	rc.status, rc.delay = http.StatusOK, 300*time.Millisecond
	rc.mu.Unlock()
	start := time.Now()
	for range 3 {
		b.c.do("POST", "/objects/object_2/records", map[string]any{"field_44": "b"})
	}
	if d := time.Since(start); d > 250*time.Millisecond {
		t.Errorf("3 creates took %v with a slow receiver", d)
	}
	flush(t, b.s)
	if c := b.s.Counts(); c.HooksSent != 3 {
		t.Errorf("sent %d", c.HooksSent)
	}
	// An unreachable receiver counts as failed.
	b.s.SetHook("http://127.0.0.1:1/nothing", "")
	b.c.do("POST", "/objects/object_2/records", map[string]any{"field_44": "c"})
	flush(t, b.s)
	if c := b.s.Counts(); c.HooksFailed != 2 {
		t.Errorf("failed %d", c.HooksFailed)
	}
	// Clearing the hook stops the hints.
	b.s.SetHook("", "")
	b.c.do("POST", "/objects/object_2/records", map[string]any{"field_44": "d"})
	flush(t, b.s)
	if c := b.s.Counts(); c.HooksSent+c.HooksFailed+c.HooksDropped != 5 {
		t.Errorf("hint sent after SetHook(\"\"): %+v", c)
	}
}

func TestSetHookAtRunTime(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	b := setup(t)
	b.c.do("POST", "/objects/object_2/records", map[string]any{"field_44": "before"})
	b.s.SetHook(rc.URL, "k")
	b.c.do("POST", "/pages/scene_1/views/view_1/records", map[string]any{"field_44": "through a view"}, "X-Knack-REST-API-Key", "knack")
	flush(t, b.s)
	if got := rc.got(); len(got) != 1 || got[0]["object"] != "object_2" || rc.headers[0].Get("X-Webhook-Secret") != "k" {
		t.Errorf("hints %v", got)
	}
}

// A hint the receiver refuses, or cannot be delivered, is a warning: a
// `server sim --hook-url` user must see a wrong URL or secret.
func TestHookFailuresAreWarnings(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	rc.status = http.StatusUnauthorized
	var logs syncLog
	b := setup(t, func(o *Options) {
		o.HookURL = rc.URL
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	})
	b.c.do("POST", "/objects/object_2/records", map[string]any{"field_44": "a"})
	flush(t, b.s)
	b.s.SetHook("http://127.0.0.1:1/nothing", "")
	b.c.do("POST", "/objects/object_2/records", map[string]any{"field_44": "b"})
	flush(t, b.s)
	got := logs.String()
	if !strings.Contains(got, "level=WARN") || !strings.Contains(got, "change hint refused") || !strings.Contains(got, "status=401") {
		t.Errorf("a refused hint is not a warning:\n%s", got)
	}
	if !strings.Contains(got, "change hint not delivered") {
		t.Errorf("an undelivered hint is not a warning:\n%s", got)
	}
}

// syncLog is a log destination written from the emitter's goroutine.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
