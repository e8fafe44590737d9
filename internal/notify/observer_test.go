package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/dbtest"
	"knacksync/internal/store"
	"knacksync/internal/syncer"
)

// seedReportData writes two runs, open data issues (some first seen during
// the second run, one with a student's e-mail as its value) and held
// deletions (one pending, one applied), and returns the second run.
func seedReportData(t *testing.T, pool *pgxpool.Pool) *store.Run {
	t.Helper()
	ctx := context.Background()
	start1 := time.Date(2026, 2, 28, 2, 0, 0, 0, time.UTC)
	start2 := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	var run1, run2 int64
	for _, q := range []struct {
		dst   *int64
		start time.Time
	}{{&run1, start1}, {&run2, start2}} {
		err := pool.QueryRow(ctx, `INSERT INTO knacksync.runs (kind, objects, full_sweep, status, started_at, finished_at)
			VALUES ('sweep', '{object_2,object_10}', true, 'succeeded', $1, $2) RETURNING id`, q.start, q.start.Add(2*time.Minute)).Scan(q.dst)
		if err != nil {
			t.Fatal(err)
		}
	}
	issues := []struct {
		record, rule, field, value string
		firstSeen                  time.Time
	}{
		{"5a0000000000000000000001", "bad_email", "field_197", "Kid.One@school.example.org<br>", start1.Add(time.Minute)},
		{"5a0000000000000000000002", "bad_email", "field_197", "not-an-email", start2.Add(time.Minute)},
		{"5a0000000000000000000003", "bad_date", "field_855", "31/02/2026", start2.Add(time.Minute)},
		{"5a0000000000000000000004", "duplicate", "", "kid.two@school.example.org|2025-26", start1.Add(time.Minute)},
	}
	for _, is := range issues {
		_, err := pool.Exec(ctx, `INSERT INTO knacksync.data_issues (object, record_id, rule, field, value, run_id, first_seen_at, last_seen_at)
			VALUES ('object_10', $1, $2, $3, $4, $5, $6, $6)`, is.record, is.rule, is.field, is.value, run2, is.firstSeen)
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := pool.Exec(ctx, `INSERT INTO knacksync.held_deletions (run_id, object, record_ids, object_records, reason, created_at, applied_at) VALUES
		($1, 'object_29', '{5b0000000000000000000001,5b0000000000000000000002,5b0000000000000000000003}', 40, '3 of 40 records (7.5%) are missing', $2, NULL),
		($1, 'object_6', '{5b0000000000000000000009}', 2, 'applied already', $2, $2)`, run2, start2.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	finished := start2.Add(2 * time.Minute)
	return &store.Run{ID: run2, Kind: store.KindSweep, Objects: []string{"object_2", "object_10"}, FullSweep: true,
		Status: store.StatusSucceeded, StartedAt: start2, FinishedAt: &finished, Tables: map[string]store.Counts{}}
}

func TestLoader(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	run := seedReportData(t, pool)

	got, err := NewLoader(pool).Load(context.Background(), run)
	if err != nil {
		t.Fatal(err)
	}
	want := ReportExtra{
		IssuesByRule:    map[string]int{"bad_email": 2, "bad_date": 1, "duplicate": 1},
		NewIssuesByRule: map[string]int{"bad_email": 1, "bad_date": 1, "duplicate": 0},
		Held: []store.HeldSummary{{RunID: run.ID, Object: "object_29", Records: 3, ObjectRecords: 40,
			Reason: "3 of 40 records (7.5%) are missing", CreatedAt: run.StartedAt.Add(time.Minute)}},
	}
	if len(got.Held) == 1 {
		want.Held[0].ID = got.Held[0].ID
		got.Held[0].CreatedAt = got.Held[0].CreatedAt.UTC()
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load mismatch (-want +got):\n%s", diff)
	}

	t.Run("without a run nothing is new", func(t *testing.T) {
		t.Parallel()
		got, err := NewLoader(pool).Load(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.IssuesByRule["bad_email"] != 2 || got.NewIssuesByRule["bad_email"] != 0 {
			t.Errorf("got %+v", got)
		}
	})
}

// TestObserver runs the whole notification path the way the sweep worker
// drives it: check-ins to a stand-in Sentry, the report through a real SMTP
// server, extras from a real database.
func TestObserver(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	run := seedReportData(t, pool)

	type bundle struct {
		obs    *Observer
		sentry *Sentry
		srv    *sentryServer
		sink   *smtpSink
	}
	setup := func(t *testing.T) bundle {
		t.Helper()
		s, srv := newTestSentry(t, WithCron("0 2 * * *"))
		sink := newSMTPSink(t, smtpSinkOptions{})
		m := newTestMailer(t, fmt.Sprintf("smtp://127.0.0.1:%d", sink.Port()))
		return bundle{NewObserver(s, m, NewLoader(pool), testLogger(t)), s, srv, sink}
	}

	t.Run("succeeded", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := context.Background()
		tok := b.obs.SweepStarted(ctx, "nightly")
		b.obs.SweepFinished(ctx, tok, run, nil)
		checkIns := b.srv.waitItems(t, b.sentry, "check_in", 2)
		if s0, s1 := checkIns[0].JSON(t)["status"], checkIns[1].JSON(t)["status"]; s0 != "in_progress" || s1 != "ok" {
			t.Errorf("check-ins %v then %v", s0, s1)
		}
		msgs := b.sink.Messages()
		if len(msgs) != 1 {
			t.Fatalf("%d mails, want 1", len(msgs))
		}
		p := parseMail(t, msgs[0].Data)
		if want := fmt.Sprintf("knacksync: sweep succeeded in 2m0s (run %d); 1 held deletion to review", run.ID); p.Subject != want {
			t.Errorf("subject = %q, want %q", p.Subject, want)
		}
		for _, want := range []string{"Reason:          nightly", "bad_email  2     1", "duplicate  1     0", "object_29  3", "server sync --confirm-deletes"} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("body lacks %q:\n%s", want, p.Body)
			}
		}
		if strings.Contains(p.Body, "object_6") {
			t.Error("an applied held deletion is reported as pending")
		}
		assertNoStrayEmail(t, p)
	})

	t.Run("failed", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := context.Background()
		failed := *run
		failed.Status, failed.Error = store.StatusFailed, "sweep object_10: knack: 503"
		tok := b.obs.SweepStarted(ctx, "nightly")
		b.obs.SweepFinished(ctx, tok, &failed, errors.New(failed.Error))
		checkIns := b.srv.waitItems(t, b.sentry, "check_in", 2)
		if s := checkIns[1].JSON(t)["status"]; s != "error" {
			t.Errorf("final check-in %v, want error", s)
		}
		msgs := b.sink.Messages()
		if len(msgs) != 1 {
			t.Fatalf("%d mails, want 1", len(msgs))
		}
		if p := parseMail(t, msgs[0].Data); !strings.HasPrefix(p.Subject, fmt.Sprintf("knacksync: sweep FAILED (run %d): sweep object_10: knack: 503", run.ID)) {
			t.Errorf("subject = %q", p.Subject)
		}
	})

	t.Run("failed while shutting down still mails", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx, cancel := context.WithCancel(context.Background())
		tok := b.obs.SweepStarted(ctx, "nightly")
		cancel()
		failed := *run
		failed.Status = store.StatusFailed
		b.obs.SweepFinished(ctx, tok, &failed, errors.New("sweep object_10: knack: 503"))
		if n := len(b.sink.Messages()); n != 1 {
			t.Fatalf("%d mails, want 1", n)
		}
	})

	t.Run("interrupted or skipped sends no mail", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := context.Background()
		open := *run
		open.Status, open.FinishedAt = store.StatusRunning, nil
		b.obs.SweepFinished(ctx, b.obs.SweepStarted(ctx, "nightly"), &open, nil)
		b.obs.SweepFinished(ctx, b.obs.SweepStarted(ctx, "admin"), nil, syncer.ErrSweepRunning)
		cctx, cancel := context.WithCancel(ctx)
		tok := b.obs.SweepStarted(cctx, "nightly")
		cancel()
		b.obs.SweepFinished(cctx, tok, nil, fmt.Errorf("sweep: %w", context.Canceled))
		statuses := map[any]int{}
		for _, c := range b.srv.waitItems(t, b.sentry, "check_in", 6) {
			statuses[c.JSON(t)["status"]]++
		}
		if statuses["in_progress"] != 3 || statuses["ok"] != 3 {
			t.Errorf("check-in statuses %v, want 3 in_progress and 3 ok", statuses)
		}
		if n := len(b.sink.Messages()); n != 0 {
			t.Errorf("%d mails, want none", n)
		}
	})

	t.Run("nothing configured", func(t *testing.T) {
		t.Parallel()
		s, _ := NewSentry("", "test", nil)
		m, _ := NewMailer("", "", "", nil)
		obs := NewObserver(s, m, nil, nil)
		obs.SweepFinished(context.Background(), obs.SweepStarted(context.Background(), "nightly"), run, nil)
		var bare Observer
		bare.SweepFinished(context.Background(), bare.SweepStarted(context.Background(), "nightly"), nil, errors.New("x"))
		bare.SweepFinished(context.Background(), "not a token", nil, nil)
	})
}
