package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"knacksync/internal/store"
	"knacksync/internal/syncer"
	"knacksync/internal/worker"
)

var (
	_ worker.Observer = (*Sentry)(nil)
	_ worker.Observer = (*Observer)(nil)
)

// Secrets the tests plant; none may reach Sentry.
const (
	plantedKnackKey  = "5c0ffee0-1234-4bad-9abc-def012345678"
	plantedAPIKey    = "sk_live_abcdef123456"
	plantedPassword  = "hunter2-but-longer"
	plantedDBSecret  = "pgpass-xyz-987"
	plantedArgSecret = "args-secret-999"
)

func newTestSentry(t *testing.T, opts ...SentryOption) (*Sentry, *sentryServer) {
	t.Helper()
	srv, dsn := newSentryServer(t)
	s, err := NewSentry(dsn, "test", testLogger(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(2 * time.Second) })
	return s, srv
}

// assertClean fails when raw holds an e-mail address or a planted secret.
func assertClean(t *testing.T, raw []byte, extra ...string) {
	t.Helper()
	if m := anyEmail.FindAll(raw, -1); len(m) > 0 {
		t.Errorf("e-mail addresses reached Sentry: %q", m)
	}
	for _, part := range []string{"jane.doe", "school.example", "kid%40", "kid@"} {
		if strings.Contains(strings.ToLower(string(raw)), part) {
			t.Errorf("part of an e-mail address (%q) reached Sentry", part)
		}
	}
	for _, secret := range append([]string{plantedKnackKey, plantedAPIKey, plantedPassword, plantedDBSecret, plantedArgSecret}, extra...) {
		if strings.Contains(string(raw), secret) {
			t.Errorf("secret %q reached Sentry", secret)
		}
	}
}

func TestSentryCaptureErrorScrubs(t *testing.T) {
	t.Parallel()
	s, srv := newTestSentry(t, WithSecrets(plantedKnackKey))

	inner := errors.New("student Jane.Doe@School.Example.org (also jane.doe%40school.example.org) rejected; " +
		"GET https://api.knack.com/v1/objects/object_10/records?filters=%5B%7B%22value%22%3A%22x%40y.com%22%7D%5D failed; " +
		"api_key=" + plantedAPIKey + " X-Knack-REST-API-Key: " + plantedKnackKey +
		" database postgres://app:" + plantedDBSecret + "@db.example.com/x password=" + plantedPassword)
	err := fmt.Errorf("apply object_10/5f1a2b3c4d5e6f7a8b9c0d1e: %w", inner)
	s.CaptureError(context.Background(), err, map[string]string{"route": "/webhooks/knack", "who": "pat@example.org"})

	events := srv.waitItems(t, s, "event", 1)
	raw := srv.Raw()
	assertClean(t, raw)
	ev := events[0].JSON(t)
	tags, _ := ev["tags"].(map[string]any)
	if tags["route"] != "/webhooks/knack" || tags["who"] != EmailMask {
		t.Errorf("tags = %v, want route kept and who masked", tags)
	}
	if ev["environment"] != "test" {
		t.Errorf("environment = %v", ev["environment"])
	}
	for _, want := range []string{EmailMask, "api_key=[redacted]", "postgres://[redacted]@db.example.com", "records?[query]"} {
		if !strings.Contains(string(events[0].Payload), want) {
			t.Errorf("event lacks %q:\n%s", want, events[0].Payload)
		}
	}

	t.Run("cancelled requests are not reported", func(t *testing.T) {
		t.Parallel()
		s2, srv2 := newTestSentry(t)
		s2.CaptureError(context.Background(), fmt.Errorf("handler: %w", context.Canceled), nil)
		s2.CaptureError(context.Background(), nil, nil)
		s2.Flush(2 * time.Second)
		if n := len(srv2.Items("event")); n != 0 {
			t.Errorf("%d events, want none", n)
		}
	})
}

func TestSentryBeforeSendScrubsEverything(t *testing.T) {
	t.Parallel()
	s, err := NewSentry("", "test", nil, WithSecrets(plantedKnackKey))
	if err != nil {
		t.Fatal(err)
	}
	ev := &sentry.Event{
		Message: "mail to a.b@c.org failed",
		Tags:    map[string]string{"email": "X@Y.ORG"},
		User:    sentry.User{Email: "u@v.com", IPAddress: "10.1.2.3", Username: "u"},
		Contexts: map[string]sentry.Context{"extra": {
			"note":   "key " + plantedKnackKey,
			"nested": map[string]any{"list": []any{"q@r.net", 3}},
		}},
		Breadcrumbs: []*sentry.Breadcrumb{{Message: "sent to z@w.io", Data: map[string]any{"to": "z@w.io"}}},
		Exception:   []sentry.Exception{{Type: "*errors.errorString", Value: "token=abcdef0123 for e@f.gh"}},
		Request: &sentry.Request{
			URL:         "https://svc.example.com/webhooks/knack?secret=s3cr3t-value&email=a%40b.com",
			Method:      "POST",
			Data:        `{"object":"object_10","email":"body@example.com"}`,
			QueryString: "secret=s3cr3t-value",
			Cookies:     "session=abc",
			Headers: map[string]string{
				"Authorization":       "Basic dXNlcjpwYXNz",
				"X-Webhook-Secret":    "wh-secret-value",
				"X-Webhook-Signature": "t=1,v1=abcdef",
				"Cookie":              "session=abc",
				"X-Forwarded-For":     "10.1.2.3",
				"Content-Type":        "application/json",
				"User-Agent":          "Knack-Flows",
			},
			Env: map[string]string{"REMOTE_ADDR": "10.1.2.3"},
		},
	}
	got := s.beforeSend(ev, nil)
	dump := fmt.Sprintf("%+v %+v %+v %+v %+v", got.Message, got.Tags, got.Contexts, got.Exception, *got.Request)
	for _, bc := range got.Breadcrumbs {
		dump += fmt.Sprintf(" %+v", *bc)
	}
	assertClean(t, []byte(dump), "s3cr3t-value", "wh-secret-value", "dXNlcjpwYXNz", "abcdef0123", "session=abc", "10.1.2.3")
	if !got.User.IsEmpty() {
		t.Errorf("user kept: %+v", got.User)
	}
	r := got.Request
	if r.Data != "" || r.Cookies != "" || r.QueryString != "" || r.Env != nil || strings.Contains(r.URL, "?") {
		t.Errorf("request kept body, cookies, query or env: %+v", *r)
	}
	if r.URL != "https://svc.example.com/webhooks/knack" || r.Method != "POST" {
		t.Errorf("request URL/method = %q %q", r.URL, r.Method)
	}
	for _, h := range []string{"Authorization", "X-Webhook-Secret", "X-Webhook-Signature", "Cookie", "X-Forwarded-For"} {
		if _, ok := r.Headers[h]; ok {
			t.Errorf("header %s kept", h)
		}
	}
	if r.Headers["Content-Type"] != "application/json" || r.Headers["User-Agent"] != "Knack-Flows" {
		t.Errorf("harmless headers lost: %v", r.Headers)
	}
}

func TestRiverErrorHandler(t *testing.T) {
	t.Parallel()
	job := func(attempt, max int) *rivertype.JobRow {
		return &rivertype.JobRow{
			ID: 7, Kind: "knack_sweep", Queue: "default", Attempt: attempt, MaxAttempts: max,
			EncodedArgs: []byte(`{"reason":"nightly","email":"kid@school.example.org","secret":"` + plantedArgSecret + `"}`),
			Metadata:    []byte(`{"note":"` + plantedArgSecret + `"}`),
			CreatedAt:   time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC),
		}
	}

	t.Run("final attempt reported without args", func(t *testing.T) {
		t.Parallel()
		s, srv := newTestSentry(t)
		h := s.RiverErrorHandler()
		if res := h.HandleError(context.Background(), job(3, 10), errors.New("knack 503")); res != nil {
			t.Errorf("result = %+v, want nil (River's retry policy decides)", res)
		}
		h.HandleError(context.Background(), job(10, 10), errors.New("sweep object_10: knack 503 for kid@school.example.org"))
		events := srv.waitItems(t, s, "event", 1)
		time.Sleep(100 * time.Millisecond)
		s.Flush(2 * time.Second)
		if n := len(srv.Items("event")); n != 1 {
			t.Fatalf("%d events, want 1 (the non-final attempt is not reported)", n)
		}
		ev := events[0].JSON(t)
		tags, _ := ev["tags"].(map[string]any)
		want := map[string]string{"job.kind": "knack_sweep", "job.queue": "default", "job.attempt": "10", "job.max_attempts": "10", "job.outcome": "error"}
		for k, v := range want {
			if tags[k] != v {
				t.Errorf("tag %s = %v, want %s", k, tags[k], v)
			}
		}
		if strings.Contains(string(events[0].Payload), "nightly") {
			t.Errorf("job args reached Sentry:\n%s", events[0].Payload)
		}
		assertClean(t, srv.Raw())
	})

	t.Run("panics always reported", func(t *testing.T) {
		t.Parallel()
		s, srv := newTestSentry(t)
		s.RiverErrorHandler().HandlePanic(context.Background(), job(1, 10), "boom for kid@school.example.org", "goroutine 1 [running]:\nmain.f()")
		events := srv.waitItems(t, s, "event", 1)
		ev := events[0].JSON(t)
		if ev["level"] != "fatal" {
			t.Errorf("level = %v, want fatal", ev["level"])
		}
		p := string(events[0].Payload)
		for _, want := range []string{`"type":"panic"`, "goroutine 1 [running]", `"job.kind":"knack_sweep"`} {
			if !strings.Contains(p, want) {
				t.Errorf("panic event lacks %s:\n%s", want, p)
			}
		}
		if strings.Contains(p, "nightly") {
			t.Errorf("job args reached Sentry")
		}
		assertClean(t, srv.Raw())
	})

	t.Run("cancels reported by the middleware", func(t *testing.T) {
		t.Parallel()
		s, srv := newTestSentry(t)
		mw, ok := s.RiverMiddleware().(rivertype.WorkerMiddleware)
		if !ok {
			t.Fatal("RiverMiddleware is not a rivertype.WorkerMiddleware")
		}
		// An ordinary error passes through unreported (the handler decides).
		plain := errors.New("knack 503")
		if err := mw.Work(context.Background(), job(1, 10), func(context.Context) error { return plain }); err != plain {
			t.Errorf("middleware changed the error: %v", err)
		}
		cancel := river.JobCancel(errors.New("knack: 401 unauthorized"))
		if err := mw.Work(context.Background(), job(1, 10), func(context.Context) error { return cancel }); err != cancel {
			t.Errorf("middleware changed the error: %v", err)
		}
		events := srv.waitItems(t, s, "event", 1)
		time.Sleep(100 * time.Millisecond)
		s.Flush(2 * time.Second)
		if n := len(srv.Items("event")); n != 1 {
			t.Fatalf("%d events, want 1", n)
		}
		if !strings.Contains(string(events[0].Payload), `"job.outcome":"cancelled"`) {
			t.Errorf("cancel event lacks the outcome tag:\n%s", events[0].Payload)
		}
	})

	t.Run("disabled does nothing", func(t *testing.T) {
		t.Parallel()
		s, err := NewSentry("", "test", nil)
		if err != nil || s.Enabled() {
			t.Fatalf("NewSentry(\"\") = enabled %v, %v", s.Enabled(), err)
		}
		h := s.RiverErrorHandler()
		h.HandleError(context.Background(), job(10, 10), errors.New("x"))
		h.HandlePanic(context.Background(), job(1, 10), "x", "")
		s.CaptureError(context.Background(), errors.New("x"), nil)
		tok := s.SweepStarted(context.Background(), "nightly")
		s.SweepFinished(context.Background(), tok, nil, errors.New("x"))
		var nilSentry *Sentry
		nilSentry.CaptureError(context.Background(), errors.New("x"), nil)
		nilSentry.SweepFinished(context.Background(), nilSentry.SweepStarted(context.Background(), ""), nil, nil)
		if !nilSentry.Flush(time.Millisecond) {
			t.Error("Flush of a disabled Sentry reports failure")
		}
	})
}

func TestNewSentryInvalidDSN(t *testing.T) {
	t.Parallel()
	_, err := NewSentry("http://127.0.0.1:9/no-key-"+plantedAPIKey, "test", nil)
	if err == nil {
		t.Fatal("no error for a DSN without a key")
	}
	if strings.Contains(err.Error(), plantedAPIKey) {
		t.Errorf("error quotes the DSN: %v", err)
	}
}

func TestSentryCronCheckIns(t *testing.T) {
	t.Parallel()
	finished := time.Date(2026, 3, 1, 2, 2, 10, 0, time.UTC)
	runOf := func(status string) *store.Run {
		return &store.Run{ID: 42, Kind: store.KindSweep, FullSweep: true, Status: status,
			StartedAt: time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC), FinishedAt: &finished}
	}
	cases := []struct {
		name string
		run  *store.Run
		err  error
		want string
	}{
		{"succeeded", runOf(store.StatusSucceeded), nil, "ok"},
		{"failed", runOf(store.StatusFailed), errors.New("sweep object_10: knack 503"), "error"},
		{"failed before a run", nil, errors.New("sweep: lock: connection refused"), "error"},
		{"interrupted by shutdown", runOf(store.StatusRunning), nil, "ok"},
		{"another sweep running", nil, syncer.ErrSweepRunning, "ok"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
			now := func() time.Time { return clock }
			s, srv := newTestSentry(t, WithCron("0 2 * * *"), WithClock(now))
			tok := s.SweepStarted(context.Background(), "nightly")
			first := srv.waitItems(t, s, "check_in", 1)[0].JSON(t)
			if first["status"] != "in_progress" || first["monitor_slug"] != DefaultMonitorSlug {
				t.Errorf("first check-in = %v", first)
			}
			mc, _ := first["monitor_config"].(map[string]any)
			sched, _ := mc["schedule"].(map[string]any)
			if sched["type"] != "crontab" || sched["value"] != "0 2 * * *" || mc["timezone"] != "UTC" ||
				mc["failure_issue_threshold"] != 1.0 || mc["recovery_threshold"] != 1.0 ||
				mc["max_runtime"] != 200.0 || mc["checkin_margin"] != 30.0 {
				t.Errorf("monitor_config = %v", mc)
			}

			clock = clock.Add(130 * time.Second)
			s.SweepFinished(context.Background(), tok, tc.run, tc.err)
			items := srv.waitItems(t, s, "check_in", 2)
			last := items[1].JSON(t)
			if last["status"] != tc.want {
				t.Errorf("final status = %v, want %s", last["status"], tc.want)
			}
			if last["check_in_id"] != first["check_in_id"] || first["check_in_id"] == "" {
				t.Errorf("check-in ids differ: %v then %v", first["check_in_id"], last["check_in_id"])
			}
			if last["duration"] != 130.0 {
				t.Errorf("duration = %v, want 130", last["duration"])
			}
			assertClean(t, srv.Raw())
		})
	}
}
