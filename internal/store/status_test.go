package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"knacksync/internal/dbtest"
	"knacksync/internal/store"
)

func TestStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	st := store.New(pool)
	now := time.Date(2025, 9, 2, 9, 0, 0, 0, time.UTC)
	yesterday := now.Add(-24 * time.Hour)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}

	// run adds a finished run with one page per object.
	run := func(kind string, objects []string, at time.Time, status string, objStatus map[string]string, changed int) int64 {
		t.Helper()
		id, err := st.StartRun(ctx, kind, objects, kind == store.KindSweep, at)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objects {
			err := st.InTx(ctx, func(tx pgx.Tx) error {
				return st.RecordPage(ctx, tx, store.PageDone{RunID: id, Object: o, Pages: 1, Requests: 2, Seen: 10, Changed: changed, Now: at})
			})
			if err != nil {
				t.Fatal(err)
			}
			s := objStatus[o]
			if s == "" {
				s = "complete"
			}
			if err := st.ObjectDone(ctx, id, o, s, "", time.Second, 0, nil); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.FinishRun(ctx, id, status, "", at.Add(90*time.Second)); err != nil {
			t.Fatal(err)
		}
		return id
	}

	objects := []string{"object_2", "object_10", "object_29"}
	// Yesterday's nightly sweep completed all three.
	run(store.KindSweep, objects, yesterday.Add(-7*time.Hour), store.StatusSucceeded, nil, 5)
	// Today's failed for object_10 only; object_2 completed.
	r2 := run(store.KindSweep, objects, now.Add(-7*time.Hour), store.StatusFailed, map[string]string{"object_10": "failed", "object_29": "failed"}, 3)
	// An incremental run of object_10 later today: it changes the last
	// run's figures but is no successful sync of the object.
	r3 := run(store.KindIncremental, []string{"object_10"}, now.Add(-time.Hour), store.StatusSucceeded, nil, 1)
	// A run still going.
	r4, err := st.StartRun(ctx, store.KindIncremental, []string{"object_29"}, false, now.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}

	for i, id := range []string{"a1", "a2", "a3"} {
		var deleted any
		if i == 2 {
			deleted = now
		}
		exec(`INSERT INTO knacksync.records (object, record_id, data, hash, first_seen, last_seen, last_fetched, deleted_at)
			VALUES ('object_10', $1, '{}', '\x00', $2, $2, $2, $3)`, id, now, deleted)
	}
	exec(`INSERT INTO knacksync.data_issues (object, record_id, rule, field, value, detail, run_id, first_seen_at, last_seen_at) VALUES
		('object_10', 'a1', 'bad_email', 'field_197', 'Jane.Doe@school.example', 'not an e-mail', $1, $2, $2),
		('object_10', 'a2', 'bad_date', 'field_855', '31/31/2025', '', $1, $3, $3),
		('object_29', 'b1', 'bad_email', 'field_1', 'x@y', '', NULL, $4, $4)`, r2, now.Add(-3*time.Hour), now.Add(-2*time.Hour), now.Add(-4*time.Hour))
	if err := st.HoldDeletions(ctx, r2, "object_2", []string{"z1", "z2"}, 40, "too many", now.Add(-6*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// The request ledger, not the runs, says what today cost: the runs'
	// own figures above (2 a page) are not counted again. Yesterday's
	// requests are not today's; app-level calls count in the total only.
	spend := func(at time.Time, object, purpose string, n, remaining int64) {
		t.Helper()
		limit := int64(-1)
		if remaining >= 0 {
			limit = 1000
		}
		if _, err := st.RecordSpend(ctx, store.Spend{Day: at, Object: object, Purpose: purpose, Requests: n,
			PlanLimit: limit, Remaining: remaining, SeenAt: at, Reserve: -1, SweepNeed: -1, HintBudget: -1}); err != nil {
			t.Fatal(err)
		}
	}
	spend(yesterday, "object_10", "sweep", 50, 100)
	spend(now.Add(-7*time.Hour), "object_2", "sweep", 1, -1)
	spend(now.Add(-7*time.Hour), "object_10", "sweep", 3, 700)
	spend(now.Add(-7*time.Hour), "object_29", "sweep", 2, 750) // an older response, answered last
	spend(now.Add(-time.Hour), "object_10", "hints", 1, -1)
	spend(now.Add(-time.Hour), "object_2", "hints", 1, -1)
	spend(now.Add(-time.Minute), "", "", 1, -1)

	t.Run("everything", func(t *testing.T) {
		got, err := st.Status(ctx, store.StatusQuery{Now: now, Objects: append(objects, "object_6"), Runs: 3, Issues: 10})
		if err != nil {
			t.Fatal(err)
		}
		ptr := func(t time.Time) *time.Time { return &t }
		id := func(i int64) *int64 { return &i }
		want := &store.Status{
			Objects: []store.ObjectStatus{
				{Object: "object_2", LastSuccess: ptr(now.Add(-7*time.Hour + 90*time.Second)), LastRunID: id(r2), LastRunChanges: 3, RequestsToday: 2},
				{Object: "object_10", LastSuccess: ptr(yesterday.Add(-7*time.Hour + 90*time.Second)), Records: 2, LastRunID: id(r3), LastRunChanges: 1, OpenIssues: 2, RequestsToday: 4},
				{Object: "object_29", LastSuccess: ptr(yesterday.Add(-7*time.Hour + 90*time.Second)), LastRunID: id(r4), OpenIssues: 1, RequestsToday: 2},
				{Object: "object_6"},
			},
			RequestsToday: 9,
			Quota: store.QuotaDay{Day: now.Truncate(24 * time.Hour), Requests: 9, HintRequests: 2, PlanLimit: 1000, Remaining: 700,
				SeenAt: ptr(now.Add(-7 * time.Hour)), Reserve: -1, SweepNeed: -1, HintBudget: -1},
			Runs: []store.RunSummary{
				{ID: r4, Kind: "incremental", Objects: []string{"object_29"}, Status: "running", StartedAt: now.Add(-time.Minute)},
				{ID: r3, Kind: "incremental", Objects: []string{"object_10"}, Status: "succeeded", StartedAt: now.Add(-time.Hour),
					FinishedAt: ptr(now.Add(-time.Hour + 90*time.Second)), RecordsSeen: 10, RecordsChanged: 1, KnackRequests: 2},
				{ID: r2, Kind: "sweep", Objects: objects, FullSweep: true, Status: "failed", StartedAt: now.Add(-7 * time.Hour),
					FinishedAt: ptr(now.Add(-7*time.Hour + 90*time.Second)), RecordsSeen: 30, RecordsChanged: 9, KnackRequests: 6},
			},
			Held:  []store.HeldSummary{{ID: 1, RunID: r2, Object: "object_2", Records: 2, ObjectRecords: 40, Reason: "too many", CreatedAt: now.Add(-6 * time.Hour)}},
			Rules: []store.RuleCount{{Rule: "bad_date", Count: 1}, {Rule: "bad_email", Count: 2}},
			Issues: []store.OpenIssue{
				{Object: "object_10", RecordID: "a2", Rule: "bad_date", Field: "field_855", Value: "31/31/2025", RunID: id(r2), FirstSeenAt: now.Add(-2 * time.Hour), LastSeenAt: now.Add(-2 * time.Hour)},
				{Object: "object_10", RecordID: "a1", Rule: "bad_email", Field: "field_197", Value: "Jane.Doe@school.example", Detail: "not an e-mail", RunID: id(r2), FirstSeenAt: now.Add(-3 * time.Hour), LastSeenAt: now.Add(-3 * time.Hour)},
				{Object: "object_29", RecordID: "b1", Rule: "bad_email", Field: "field_1", Value: "x@y", FirstSeenAt: now.Add(-4 * time.Hour), LastSeenAt: now.Add(-4 * time.Hour)},
			},
		}
		if diff := cmp.Diff(want, got, timeEqual); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("one rule, capped", func(t *testing.T) {
		got, err := st.Status(ctx, store.StatusQuery{Now: now, Runs: 1, Issues: 1, Rule: "bad_email"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Issues) != 1 || got.Issues[0].RecordID != "a1" {
			t.Errorf("issues = %+v, want the newest bad_email only", got.Issues)
		}
		if len(got.Runs) != 1 || got.Runs[0].ID != r4 {
			t.Errorf("runs = %+v, want the newest only", got.Runs)
		}
		if len(got.Objects) != 0 || len(got.Rules) != 2 {
			t.Errorf("objects %+v, rules %+v: want no objects and every rule", got.Objects, got.Rules)
		}
	})

	t.Run("tomorrow has no requests yet", func(t *testing.T) {
		got, err := st.Status(ctx, store.StatusQuery{Now: now.Add(24 * time.Hour), Objects: objects, Runs: 1, Issues: 1})
		if err != nil {
			t.Fatal(err)
		}
		if got.RequestsToday != 0 || got.Objects[1].RequestsToday != 0 {
			t.Errorf("requests today = %d (object_10 %d), want 0", got.RequestsToday, got.Objects[1].RequestsToday)
		}
	})
}

// timeEqual compares instants, whatever their location.
var timeEqual = cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })
