package syncer_test

// Sweeps that do not finish: failed, cancelled, killed and resumed.

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/knack"
	"knacksync/internal/store"
	"knacksync/internal/syncer"
)

// TestSweepAborted: a sweep that does not finish deletes nothing
// (docs/architecture.md, "Resumable": a crash in the middle of a sweep loses nothing and deletes nothing), and
// the next one does the work.
func TestSweepAborted(t *testing.T) {
	t.Parallel()

	t.Run("listing fails", func(t *testing.T) {
		t.Parallel()
		// Pages of 10 records: object_10 spans several, and the daily
		// quota runs out after the third (one page request at a time).
		b := setup(t, options{rowsPerPage: 10, concurrency: 1, maxRetries: -1})
		b.sweep(t)
		victims := plainStudents(t, b, 2)
		for _, id := range victims {
			b.sim.Delete("object_10", id)
		}
		before := dump(t, b.pool)
		b.sim.SetQuota(b.sim.QuotaUsed() + 3)
		b.clock.Advance(time.Minute)
		run, err := b.syncer.Sweep(t.Context(), syncer.SweepOptions{Objects: []string{"object_10"}})
		if !errors.Is(err, knack.ErrQuotaExhausted) {
			t.Errorf("sweep error %v, want the daily quota", err)
		}
		if run == nil || run.Status != store.StatusFailed {
			t.Fatalf("run %+v, want failed", run)
		}
		if p := progressOf(t, run, "object_10"); p.Pages != 3 || p.Status != "failed" {
			t.Errorf("object_10 progress %+v, want 3 pages and failed", p)
		}
		if diff := cmp.Diff(before, dump(t, b.pool)); diff != "" {
			t.Errorf("a failed sweep changed rows (-before +after):\n%s", diff)
		}
		var status, message string
		if err := b.pool.QueryRow(t.Context(), `SELECT status, coalesce(error_message, '') FROM public.sync_logs
			WHERE (metadata ->> 'run_id')::bigint = $1`, run.ID).Scan(&status, &message); err != nil {
			t.Fatal(err)
		}
		if status != "failed" || !strings.Contains(message, "quota") {
			t.Errorf("sync_logs of the failed run: %s %q, want failed with the cause", status, message)
		}
		if n := count(t, b.pool, `SELECT count(*) FROM knacksync.records WHERE deleted_at IS NOT NULL`); n != 0 {
			t.Errorf("a failed sweep marked %d records deleted", n)
		}

		b.sim.SetQuota(0)
		b.sweep(t)
		if n := count(t, b.pool, `SELECT count(*) FROM public.students WHERE knack_id = ANY($1)`, victims); n != 0 {
			t.Errorf("the next complete sweep left %d students of deleted records", n)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		b := setup(t, options{rowsPerPage: 10})
		b.sweep(t)
		victims := plainStudents(t, b, 2)
		for _, id := range victims {
			b.sim.Delete("object_10", id)
		}
		before := dump(t, b.pool)
		run := b.sweepCancelledAt(t, "object_10", 2)
		if run.Status != store.StatusRunning {
			t.Errorf("a cancelled sweep is %s, want running (to be resumed)", run.Status)
		}
		if diff := cmp.Diff(before, dump(t, b.pool)); diff != "" {
			t.Errorf("a cancelled sweep changed rows (-before +after):\n%s", diff)
		}
		resumed := b.sweep(t)
		if resumed.ID != run.ID {
			t.Errorf("the next sweep is run %d, want the interrupted run %d resumed", resumed.ID, run.ID)
		}
		if n := count(t, b.pool, `SELECT count(*) FROM public.students WHERE knack_id = ANY($1)`, victims); n != 0 {
			t.Errorf("the resumed sweep left %d students of deleted records", n)
		}
	})

	// A sweep killed in the middle of an object resumes where it stopped
	// and ends where one clean sweep ends.
	t.Run("killed sweep resumes", func(t *testing.T) {
		t.Parallel()
		b := setup(t, options{rowsPerPage: 10})
		run := b.sweepCancelledAt(t, "object_10", 3)
		if run.Status != store.StatusRunning {
			t.Fatalf("a cancelled sweep is %s, want running", run.Status)
		}
		b.sim.ResetLog()
		resumed := b.sweep(t)
		if resumed.ID != run.ID {
			t.Errorf("the next sweep is run %d, want the interrupted run %d resumed", resumed.ID, run.ID)
		}
		firstPage := map[string]int{}
		for _, r := range b.sim.Requests() {
			obj, ok := strings.CutPrefix(r.Path, "/v1/objects/")
			obj, _, _ = strings.Cut(obj, "/")
			if !ok || r.Method != "GET" || !strings.HasSuffix(r.Path, "/records") {
				continue
			}
			page := 1
			for _, kv := range strings.Split(r.Query, "&") {
				if v, ok := strings.CutPrefix(kv, "page="); ok {
					page, _ = strconv.Atoi(v)
				}
			}
			if p, ok := firstPage[obj]; !ok || page < p {
				firstPage[obj] = page
			}
		}
		if _, ok := firstPage["object_2"]; ok {
			t.Errorf("the resumed sweep listed object_2 again, which was complete")
		}
		if firstPage["object_10"] <= 1 {
			t.Errorf("the resumed sweep listed object_10 from page %d, want from its checkpoint", firstPage["object_10"])
		}

		if w := written(b.sweep(t)); len(w) != 0 {
			t.Errorf("a sweep after the resumed one wrote %v", w)
		}

		clean := setup(t, options{})
		clean.sweep(t)
		if diff := cmp.Diff(dump(t, clean.pool), dump(t, b.pool)); diff != "" {
			t.Errorf("resumed sweep differs from a clean one (-clean +resumed):\n%s", diff)
		}
		if diff := cmp.Diff(issuesWithoutIDs(t, clean.pool), issuesWithoutIDs(t, b.pool)); diff != "" {
			t.Errorf("data issues of the resumed sweep differ from a clean one (-clean +resumed):\n%s", diff)
		}
	})
}

var uuidRe = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// issuesWithoutIDs is issues with the database's uuids (duplicate answer
// claims name the student's id) blanked, to compare two databases.
func issuesWithoutIDs(t *testing.T, pool *pgxpool.Pool) []issue {
	t.Helper()
	list := issues(t, pool)
	for i := range list {
		list[i].Field = uuidRe.ReplaceAllString(list[i].Field, "<uuid>")
		list[i].Value = uuidRe.ReplaceAllString(list[i].Value, "<uuid>")
	}
	return list
}

// sweepCancelledAt runs a full sweep and cancels it once page `page` of
// object has committed, as a deploy's SIGTERM would.
func (b *testBundle) sweepCancelledAt(t *testing.T, object string, page int) *store.Run {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var once sync.Once
	b.clock.Advance(time.Minute)
	run, err := b.syncer.Sweep(ctx, syncer.SweepOptions{Progress: func(p syncer.Progress) {
		if p.Object == object && p.Page >= page {
			once.Do(cancel)
		}
	}})
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled sweep: %v", err)
	}
	if run == nil {
		t.Fatal("cancelled sweep returned no run")
	}
	return run
}
