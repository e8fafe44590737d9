package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"knacksync/internal/dbtest"
	"knacksync/internal/store"
)

func TestRunDetail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	st := store.New(pool)
	start := time.Date(2025, 9, 2, 2, 0, 0, 0, time.UTC)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}

	id, err := st.StartRun(ctx, store.KindSweep, []string{"object_2", "object_10"}, true, start)
	if err != nil {
		t.Fatal(err)
	}
	err = st.InTx(ctx, func(tx pgx.Tx) error {
		return st.RecordPage(ctx, tx, store.PageDone{RunID: id, Object: "object_10", Pages: 2, Requests: 2, Seen: 1500, Changed: 7, Now: start,
			Result: store.Result{Tables: map[string]store.Counts{"students": {Inserted: 3, Updated: 4, Unchanged: 1493, Repaired: 2}}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.ObjectDone(ctx, id, "object_10", "complete", "", 3*time.Second, 0, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.FinishRun(ctx, id, store.StatusFailed, "sweep object_2: page 1: HTTP 502 Bad Gateway", start.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	later, err := st.StartRun(ctx, store.KindSweep, []string{"object_2"}, false, start.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// Another kind is not a later run of this one.
	if _, err := st.StartRun(ctx, store.KindIncremental, []string{"object_10"}, false, start.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Issues: two raised first by the run, one raised before it and
	// written again by it (not new), one of another run.
	issue := func(id string, run int64, first time.Time) {
		exec(`INSERT INTO knacksync.data_issues (object, record_id, rule, field, run_id, first_seen_at, last_seen_at)
			VALUES ('object_10', $1, 'bad_date', 'field_855', $2, $3, $3)`, id, run, first)
	}
	issue("a", id, start.Add(time.Second))
	issue("b", id, start.Add(2*time.Second))
	issue("c", id, start.Add(-24*time.Hour))
	issue("d", later, start.Add(time.Hour))

	d, err := st.RunDetail(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != id || d.Status != store.StatusFailed || len(d.Progress) != 2 {
		t.Fatalf("run = %+v", d.Run)
	}
	if diff := cmp.Diff(map[string]int{"object_10": 2}, d.NewIssues); diff != "" {
		t.Errorf("new issues mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(store.Counts{Inserted: 3, Updated: 4, Unchanged: 1493, Repaired: 2}, d.Tables["students"]); diff != "" {
		t.Errorf("students counts mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]store.LaterRun{{ID: later, Kind: store.KindSweep, Objects: []string{"object_2"}, Status: store.StatusRunning}}, d.Later); diff != "" {
		t.Errorf("later runs mismatch (-want +got):\n%s", diff)
	}

	if _, err := st.RunDetail(ctx, id+1000); !errors.Is(err, store.ErrRunNotFound) {
		t.Errorf("a missing run: %v, want ErrRunNotFound", err)
	}
}

func TestPendingJobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	st := store.New(pool)
	at := time.Date(2025, 9, 2, 2, 1, 21, 0, time.UTC)
	for _, j := range []struct {
		kind, state, args string
	}{
		{"knack_sweep", "retryable", `{"reason":"nightly"}`},
		{"knack_hints", "available", `{"object":"object_10"}`},
		{"knack_sweep", "completed", `{}`}, // done: not pending
		{"knack_poll", "available", `{}`},  // not asked for
	} {
		if _, err := pool.Exec(ctx, `INSERT INTO knacksync.river_job (kind, state, args, attempt, max_attempts, scheduled_at, finalized_at)
			VALUES ($1, $2::knacksync.river_job_state, $3, 1, 4, $4, CASE WHEN $2 = 'completed' THEN $4::timestamptz END)`, j.kind, j.state, j.args, at); err != nil {
			t.Fatal(err)
		}
	}
	jobs, err := st.PendingJobs(ctx, []string{"knack_sweep", "knack_hints"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, j := range jobs {
		got = append(got, fmt.Sprintf("%s %s %d/%d %s %q", j.Kind, j.State, j.Attempt, j.MaxAttempts, j.ScheduledAt.UTC().Format(time.TimeOnly), j.Object))
	}
	want := []string{`knack_sweep retryable 1/4 02:01:21 ""`, `knack_hints available 1/4 02:01:21 "object_10"`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pending jobs mismatch (-want +got):\n%s", diff)
	}
}

// EachIssue streams every issue, not the status page's first N, and a
// duplicate names the record that wins its key.
func TestEachIssue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	st := store.New(pool)
	base := time.Date(2025, 9, 2, 9, 0, 0, 0, time.UTC)
	const n = 450
	if _, err := pool.Exec(ctx, `INSERT INTO knacksync.data_issues (object, record_id, rule, field, value, first_seen_at, last_seen_at)
		SELECT 'object_10', lpad(to_hex(i), 24, '0'), CASE WHEN i % 3 = 0 THEN 'bad_email' ELSE 'bad_date' END, 'field_855', 'v' || i,
		       $1::timestamptz - make_interval(secs => i), $1::timestamptz
		FROM generate_series(1, $2::int) i`, base, n); err != nil {
		t.Fatal(err)
	}
	// A duplicate: loser, a winner ranked first (latest date), and a
	// third claimant ranked below the winner.
	loser, winner, third := "00000000000000000000aaaa", "00000000000000000000bbbb", "00000000000000000000cccc"
	claim := "2025/2026|mia@wattle.example"
	for _, c := range []struct {
		id   string
		date string
	}{{loser, "2025-09-01"}, {winner, "2025-09-20"}, {third, "2025-09-10"}} {
		if _, err := pool.Exec(ctx, `INSERT INTO knacksync.claims (object, record_id, claim, rank_date) VALUES ('object_10', $1, $2, $3)`,
			c.id, claim, c.date); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `INSERT INTO knacksync.data_issues (object, record_id, rule, field, value, detail, first_seen_at, last_seen_at)
		VALUES ('object_10', $1, 'duplicate', $2, 'mia@wattle.example', 'record '||$3||' wins this key', $4, $4)`, loser, claim, winner, base); err != nil {
		t.Fatal(err)
	}

	count := func(rule string) (all int, dups []store.OpenIssue) {
		t.Helper()
		var last time.Time
		err := st.EachIssue(ctx, rule, func(i store.OpenIssue) error {
			if all > 0 && i.FirstSeenAt.After(last) {
				t.Errorf("issue %s out of order (newest first)", i.RecordID)
			}
			last = i.FirstSeenAt
			all++
			if i.Rule == "duplicate" {
				dups = append(dups, i)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return all, dups
	}
	all, dups := count("")
	if all != n+1 {
		t.Errorf("all issues: %d, want %d", all, n+1)
	}
	if len(dups) != 1 || dups[0].RecordID != loser || dups[0].OtherRecordID != winner {
		t.Errorf("duplicates = %+v, want %s losing to %s", dups, loser, winner)
	}
	if got, _ := count("bad_email"); got != n/3 {
		t.Errorf("bad_email issues: %d, want %d", got, n/3)
	}
	stop := errors.New("stop")
	calls := 0
	if err := st.EachIssue(ctx, "", func(store.OpenIssue) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		t.Errorf("a callback error: %v after %d calls, want it returned at once", err, calls)
	}
}
