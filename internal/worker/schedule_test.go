package worker_test

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"

	"knacksync/internal/dbmigrate"
	"knacksync/internal/store"
	"knacksync/internal/syncer"
	"knacksync/internal/worker"
)

func mustSchedule(t *testing.T, expr string) river.PeriodicSchedule {
	t.Helper()
	s, err := worker.Schedule(expr)
	if err != nil {
		t.Fatalf("Schedule(%q): %v", expr, err)
	}
	return s
}

func locations(t *testing.T) []*time.Location {
	t.Helper()
	var out []*time.Location
	for _, name := range []string{"UTC", "Europe/London", "America/Los_Angeles", "Asia/Tokyo", "Pacific/Kiritimati", "Australia/Sydney"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatalf("load %s: %v", name, err)
		}
		out = append(out, loc)
	}
	return out
}

// TestScheduleUTC: the nightly sweep is at 02:00 UTC, whatever the zone of
// the time River hands the schedule (its own clock, the process's local
// time) and whatever the process's zone.
func TestScheduleUTC(t *testing.T) {
	t.Parallel()
	s := mustSchedule(t, "0 2 * * *")
	for _, loc := range locations(t) {
		for _, utc := range []time.Time{
			time.Date(2025, 11, 20, 1, 59, 59, 0, time.UTC), // → 20th 02:00
			time.Date(2025, 11, 20, 2, 0, 0, 0, time.UTC),   // → 21st 02:00 (Next is strictly after)
			time.Date(2025, 11, 20, 23, 30, 0, 0, time.UTC), // → 21st 02:00
			time.Date(2025, 3, 30, 0, 30, 0, 0, time.UTC),   // London's spring-forward night → 30th 02:00
			time.Date(2025, 10, 26, 1, 30, 0, 0, time.UTC),  // London's fall-back night → 26th 02:00
		} {
			got := s.Next(utc.In(loc))
			want := time.Date(utc.Year(), utc.Month(), utc.Day(), 2, 0, 0, 0, time.UTC)
			if !want.After(utc) {
				want = want.AddDate(0, 0, 1)
			}
			if !got.Equal(want) {
				t.Errorf("Next(%s in %s) = %s, want %s", utc.Format(time.RFC3339), loc, got.UTC().Format(time.RFC3339), want.Format(time.RFC3339))
			}
		}
	}
	if _, err := worker.Schedule("0 2 * *"); err == nil {
		t.Error("Schedule accepted a four-field expression")
	}
}

// TestScheduleProcessTimezone runs TestScheduleUTC in processes whose local
// zone is far from UTC (time.Local comes from TZ at start).
func TestScheduleProcessTimezone(t *testing.T) {
	t.Parallel()
	if os.Getenv("WORKER_TEST_TZ_CHILD") != "" {
		t.Skip("already in a child process")
	}
	for _, tz := range []string{"America/Los_Angeles", "Pacific/Kiritimati"} {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^(TestScheduleUTC|TestPrevious)$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "TZ="+tz, "WORKER_TEST_TZ_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestScheduleUTC") || !strings.Contains(string(out), "--- PASS: TestPrevious") {
			t.Errorf("with TZ=%s: %v\n%s", tz, err, out)
		}
	}
}

// TestPrevious: the firing a catch-up compares the last sweep with.
func TestPrevious(t *testing.T) {
	t.Parallel()
	s := mustSchedule(t, "0 2 * * *")
	today := time.Date(2025, 11, 20, 2, 0, 0, 0, time.UTC)
	yesterday := today.AddDate(0, 0, -1)
	for _, loc := range locations(t) {
		for _, tc := range []struct {
			now, want time.Time
		}{
			{today.Add(-time.Minute), yesterday},
			{today.Add(-time.Nanosecond), yesterday},
			{today, today},
			{today.Add(time.Second), today},
			{today.Add(23 * time.Hour), today},
		} {
			if got := worker.Previous(s, tc.now.In(loc)); !got.Equal(tc.want) {
				t.Errorf("Previous(%s in %s) = %s, want %s", tc.now.UTC().Format(time.RFC3339Nano), loc, got.UTC(), tc.want)
			}
		}
	}
}

// TestPreviousLongPeriods: SYNC_CRON is configurable; a weekly or monthly
// run missed on its day is due too (Previous is "the last time the schedule
// fired at or before now").
func TestPreviousLongPeriods(t *testing.T) {
	t.Parallel()
	today := time.Date(2025, 11, 20, 2, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		expr string
		want time.Time
	}{
		{"0 2 * * 1", time.Date(2025, 11, 17, 2, 0, 0, 0, time.UTC)}, // Mondays
		{"0 2 1 * *", time.Date(2025, 11, 1, 2, 0, 0, 0, time.UTC)},  // the 1st
	} {
		if got := worker.Previous(mustSchedule(t, tc.expr), today.Add(time.Hour)); !got.Equal(tc.want) {
			t.Errorf("Previous(%q, %s) = %s, want %s", tc.expr, today.Add(time.Hour), got, tc.want)
		}
	}
}

// TestCatchUp: a start after a missed 02:00, or with an interrupted sweep,
// enqueues a sweep; otherwise nothing.
func TestCatchUp(t *testing.T) {
	t.Parallel()
	const cron = "0 2 * * *"
	now := time.Date(2025, 11, 20, 9, 30, 0, 0, time.UTC)
	due := time.Date(2025, 11, 20, 2, 0, 0, 0, time.UTC)

	requireSweep := func(t *testing.T, b *testBundle, reasonPrefix string) {
		t.Helper()
		job := rivertest.RequireInserted(t.Context(), t, riverpgxv5.New(b.pool), worker.SweepArgs{},
			&rivertest.RequireInsertedOpts{Schema: dbmigrate.Schema})
		if job != nil && !strings.HasPrefix(job.Args.Reason, reasonPrefix) {
			t.Errorf("sweep reason %q, want %q…", job.Args.Reason, reasonPrefix)
		}
	}
	// sweepRun records a full sweep started at start; finished it at end
	// with status, unless status is "running".
	sweepRun := func(t *testing.T, b *testBundle, start time.Time, status string, end time.Time) int64 {
		t.Helper()
		id, err := b.store.StartRun(t.Context(), store.KindSweep, syncer.Objects(), true, start)
		if err != nil {
			t.Fatal(err)
		}
		if status != store.StatusRunning {
			if _, err := b.store.FinishRun(t.Context(), id, status, "", end); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}

	t.Run("never swept", func(t *testing.T) {
		t.Parallel()
		b := dbOnly(t)
		reason, err := worker.CatchUp(t.Context(), b.store, insertOnly(t, b), cron, now)
		if err != nil {
			t.Fatal(err)
		}
		// A first start says so, not "last success 0001-01-01".
		if reason != "first start: no full sweep has completed yet" {
			t.Errorf("reason %q, want the first start", reason)
		}
		requireSweep(t, b, "catch-up: first start")
	})

	t.Run("swept after the last firing", func(t *testing.T) {
		t.Parallel()
		b := dbOnly(t)
		sweepRun(t, b, due, store.StatusSucceeded, due.Add(10*time.Minute))
		reason, err := worker.CatchUp(t.Context(), b.store, insertOnly(t, b), cron, now)
		if err != nil {
			t.Fatal(err)
		}
		if reason != "" {
			t.Errorf("reason %q, want nothing due", reason)
		}
		if n := jobCount(t, b, worker.SweepArgs{}.Kind()); n != 0 {
			t.Errorf("%d sweep jobs enqueued, want 0", n)
		}
	})

	t.Run("last success before the last firing", func(t *testing.T) {
		t.Parallel()
		b := dbOnly(t)
		sweepRun(t, b, due.AddDate(0, 0, -1), store.StatusSucceeded, due.AddDate(0, 0, -1).Add(10*time.Minute))
		// A failed sweep after 02:00 is no success.
		sweepRun(t, b, due, store.StatusFailed, due.Add(time.Minute))
		reason, err := worker.CatchUp(t.Context(), b.store, insertOnly(t, b), cron, now)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(reason, "missed") {
			t.Errorf("reason %q, want missed", reason)
		}
		requireSweep(t, b, "catch-up: missed")
	})

	t.Run("interrupted sweep", func(t *testing.T) {
		t.Parallel()
		b := dbOnly(t)
		sweepRun(t, b, due.AddDate(0, 0, -1), store.StatusSucceeded, due.AddDate(0, 0, -1).Add(10*time.Minute))
		id := sweepRun(t, b, due, store.StatusRunning, time.Time{})
		reason, err := worker.CatchUp(t.Context(), b.store, insertOnly(t, b), cron, now)
		if err != nil {
			t.Fatal(err)
		}
		want := "resume interrupted sweep " + strconv.FormatInt(id, 10)
		if reason != want {
			t.Errorf("reason %q, want %q", reason, want)
		}
		requireSweep(t, b, "catch-up: "+want)
	})

	// Two instances starting at once, or a restart before the job ran:
	// one sweep waits.
	t.Run("twice enqueues one", func(t *testing.T) {
		t.Parallel()
		b := dbOnly(t)
		client := insertOnly(t, b)
		for range 2 {
			if _, err := worker.CatchUp(t.Context(), b.store, client, cron, now); err != nil {
				t.Fatal(err)
			}
		}
		if n := jobCount(t, b, worker.SweepArgs{}.Kind()); n != 1 {
			t.Errorf("%d sweep jobs, want 1", n)
		}
	})

	t.Run("bad cron", func(t *testing.T) {
		t.Parallel()
		b := dbOnly(t)
		if _, err := worker.CatchUp(t.Context(), b.store, insertOnly(t, b), "every night", now); err == nil {
			t.Error("CatchUp accepted a bad cron expression")
		}
	})
}
