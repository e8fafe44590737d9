package worker_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"knacksync/internal/knack"
	"knacksync/internal/store"
	"knacksync/internal/syncer"
	"knacksync/internal/worker"
)

// recordingWarner is Sentry's CaptureWarning, recorded.
type recordingWarner struct {
	mu   sync.Mutex
	msgs []string
}

func (w *recordingWarner) CaptureWarning(ctx context.Context, msg string, tags map[string]string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, msg)
}

// metered is a Knack client metered by budget, and a syncer on it, as the
// service builds them.
func (b *testBundle) metered(t *testing.T, budget *worker.Budget) (*knack.Client, *syncer.Syncer) {
	t.Helper()
	c := knack.New(knack.Config{
		BaseURL: b.sim.URL(), AppID: b.sim.AppID(), APIKey: b.sim.APIKey(), RateLimit: 1000,
		RetryBase: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond, Now: b.clock.Now, Meter: budget,
	})
	t.Cleanup(c.CloseIdleConnections)
	return c, syncer.New(b.store, c, b.logger, b.clock.Now, syncer.Config{})
}

// budgetRules are the budget's rules (docs/quota.md), computed here from
// the plan limit, the reserve share and the mirror's live records.
type budgetRules struct{ reserve, need, hintBudget int64 }

func rulesFor(t *testing.T, b *testBundle, limit int64, share float64) budgetRules {
	t.Helper()
	var pages int64
	for _, o := range syncer.Objects() {
		live := b.count(t, `SELECT count(*) FROM knacksync.records WHERE object = $1 AND deleted_at IS NULL`, o)
		pages += max(1, int64(math.Ceil(float64(live)/1000)))
	}
	r := budgetRules{reserve: int64(math.Ceil(float64(limit) * share))}
	r.need = pages + int64(math.Ceil(float64(pages)/10))
	r.hintBudget = limit - r.reserve - r.need
	return r
}

// spendAsLiveApp spends n requests of the app's quota the way the live app
// does: not through the service's client, so only Knack's remaining count
// tells the service.
func spendAsLiveApp(t *testing.T, b *testBundle, n int) {
	t.Helper()
	id := b.sim.Records("object_10")[0].ID
	for range n {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, b.sim.URL()+"/objects/object_10/records/"+id, nil)
		req.Header.Set("X-Knack-Application-Id", b.sim.AppID())
		req.Header.Set("X-Knack-REST-API-Key", b.sim.APIKey())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
}

// A trickle of hints, one pass each, against a plan quota of 100 with the
// default 50% reserve: hint requests stop where the rules say (the day's
// hint budget, or earlier when what is left would not cover the reserve
// and a sweep), the rest of the hints stay stored, the status data and the
// metric say that hints wait for the nightly sweep, and Sentry hears of it
// once.
func TestHintBudget(t *testing.T) {
	t.Parallel()
	const quota, share = 100, 0.5
	b := setup(t, options{})
	b.sim.SetQuota(quota)
	warner := &recordingWarner{}
	budget := worker.NewBudget(b.store, worker.BudgetOptions{Reserve: share, Objects: syncer.Objects(), Warner: warner, Logger: b.logger, Now: b.clock.Now})
	_, sy := b.metered(t, budget)

	// The nightly sweep fills the mirror (the budget's estimate of the next
	// sweep) and spends its pages.
	if _, err := sy.Sweep(knack.WithPurpose(t.Context(), knack.PurposeSweep), syncer.SweepOptions{}); err != nil {
		t.Fatal(err)
	}
	sweepSpent := int64(b.sim.QuotaUsed())
	rules := rulesFor(t, b, quota, share)
	// Hints may spend while the day's hint budget lasts and what is left
	// stays above the reserve plus a sweep.
	wantHints := min(rules.hintBudget, quota-sweepSpent-rules.reserve-rules.need)
	if wantHints <= 0 || wantHints > 60 {
		t.Fatalf("the rules leave %d hint requests (rules %+v, sweep spent %d): pick another quota", wantHints, rules, sweepSpent)
	}

	hw := &worker.HintsWorker{Syncer: sy, Locker: b.store, Store: b.store, Logger: b.logger, Now: b.clock.Now, Budget: budget}
	recs := b.sim.Records("object_10")
	trickle := int(wantHints) + 8
	if len(recs) < trickle {
		t.Fatalf("only %d object_10 records, want %d", len(recs), trickle)
	}
	for i := range trickle {
		b.clock.Advance(250 * time.Millisecond) // 4 hints a second
		b.hint(t, "object_10", "update", recs[i].ID)
		res, err := work(t, b, hw, worker.HintsArgs{Object: "object_10"})
		if err != nil {
			t.Fatalf("hint %d: %v", i, err)
		}
		requireEvent(t, res, river.EventKindJobCompleted, rivertype.JobStateCompleted)
	}

	gets := int64(b.sim.Counts().ByRoute[getRecordRoute])
	if gets != wantHints {
		t.Errorf("hints spent %d requests, want %d (rules %+v, sweep spent %d)", gets, wantHints, rules, sweepSpent)
	}
	if left := b.hints(t, "object_10"); left != trickle-int(wantHints) {
		t.Errorf("%d hints stored, want the %d past the budget waiting", left, trickle-int(wantHints))
	}
	if used := int64(b.sim.QuotaUsed()); quota-used < rules.reserve+rules.need {
		t.Errorf("%d of %d left, below the reserve %d plus a sweep %d", quota-used, quota, rules.reserve, rules.need)
	}

	st, err := b.store.Status(t.Context(), store.StatusQuery{Now: b.clock.Now(), Objects: syncer.Objects()})
	if err != nil {
		t.Fatal(err)
	}
	q := st.Quota
	if q.HintsStoppedAt == nil || q.HintRequests != wantHints || q.HintBudget != rules.hintBudget ||
		q.Reserve != rules.reserve || q.SweepNeed != rules.need || q.PlanLimit != quota {
		t.Errorf("status quota %+v, want hints stopped after %d of a %d budget, reserve %d, sweep need %d, limit %d",
			q, wantHints, rules.hintBudget, rules.reserve, rules.need, quota)
	}
	if m := budget.Metrics(); !m.Known || !m.HintsWaiting || m.HintRequests != wantHints {
		t.Errorf("metrics %+v, want hints waiting after %d requests", m, wantHints)
	}
	if len(warner.msgs) != 1 {
		t.Errorf("Sentry heard %d warnings, want 1: %q", len(warner.msgs), warner.msgs)
	}

	// The periodic check leaves the waiting hints alone: no job would
	// fetch them.
	cw := &worker.CheckHintsWorker{Store: b.store, Now: b.clock.Now, Budget: budget}
	b.clock.Advance(time.Minute)
	before := jobCount(t, b, "knack_hints")
	if _, err := work(t, b, cw, worker.CheckHintsArgs{}); err != nil {
		t.Fatal(err)
	}
	if n := b.count(t, `SELECT count(*) FROM knacksync.river_job WHERE kind = 'knack_hints' AND state = 'available'`); n != 0 || jobCount(t, b, "knack_hints") != before {
		t.Errorf("the check enqueued hints jobs while the budget is spent")
	}

	// Knack's quota resets at 00:00 UTC, and with it the budget: the
	// waiting hints are taken.
	b.clock.Advance(24 * time.Hour)
	res, err := work(t, b, hw, worker.HintsArgs{Object: "object_10"})
	if err != nil {
		t.Fatal(err)
	}
	requireEvent(t, res, river.EventKindJobCompleted, rivertype.JobStateCompleted)
	if left := b.hints(t, "object_10"); left != 0 {
		t.Errorf("%d hints still waiting the next day", left)
	}
	if m := budget.Metrics(); m.HintsWaiting {
		t.Errorf("metrics %+v the next day, want hints no longer waiting", m)
	}
}

// The nightly sweep does not start when the quota left above the reserve
// cannot cover its pages (estimated from the mirror): a failed run says
// why, the job is cancelled, and Knack sees no request: no half sweep.
// With one request more left, it runs.
func TestSweepBudget(t *testing.T) {
	t.Parallel()
	const quota, share = 200, 0.5
	for _, tc := range []struct {
		name  string
		short int64 // requests missing to cover the sweep
	}{{"refused one short", 1}, {"runs when covered", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, options{})
			b.sim.SetQuota(quota)
			budget := worker.NewBudget(b.store, worker.BudgetOptions{Reserve: share, Objects: syncer.Objects(), Logger: b.logger, Now: b.clock.Now})
			client, sy := b.metered(t, budget)
			if _, err := sy.Sweep(t.Context(), syncer.SweepOptions{}); err != nil {
				t.Fatal(err)
			}
			rules := rulesFor(t, b, quota, share)
			// The live app spends until the remaining quota is short of
			// reserve + need by tc.short; the service learns it from its
			// next response's X-PlanLimit-Remaining.
			left := int64(quota - b.sim.QuotaUsed())
			spend := left - (rules.reserve + rules.need - tc.short) - 1
			if spend < 0 {
				t.Fatalf("the sweep left only %d (rules %+v)", left, rules)
			}
			spendAsLiveApp(t, b, int(spend))
			if _, err := client.Get(t.Context(), "object_10", b.sim.Records("object_10")[0].ID); err != nil {
				t.Fatal(err)
			}
			if got := int64(quota - b.sim.QuotaUsed()); got != rules.reserve+rules.need-tc.short {
				t.Fatalf("%d left, want %d", got, rules.reserve+rules.need-tc.short)
			}

			before := b.sim.Counts().Total
			obs := &recordingObserver{}
			sw := &worker.SweepWorker{Syncer: sy, Observer: obs, Logger: b.logger, Now: b.clock.Now, Store: b.store, Budget: budget}
			b.clock.Advance(time.Minute)
			res, err := work(t, b, sw, worker.SweepArgs{Reason: "nightly"})
			if tc.short == 0 {
				if err != nil {
					t.Fatal(err)
				}
				requireEvent(t, res, river.EventKindJobCompleted, rivertype.JobStateCompleted)
				return
			}
			requireEvent(t, res, river.EventKindJobCancelled, rivertype.JobStateCancelled)
			if n := b.sim.Counts().Total - before; n != 0 {
				t.Errorf("the refused sweep made %d Knack requests", n)
			}
			if len(obs.finished) != 1 || !errors.Is(obs.finished[0].err, worker.ErrSweepBudget) || obs.finished[0].run == nil ||
				obs.finished[0].run.Status != store.StatusFailed {
				t.Fatalf("observer heard %+v, want one failed run with the budget error (Sentry check-in, report)", obs.finished)
			}
			run := obs.finished[0].run
			if run.Kind != store.KindSweep || !run.FullSweep || run.Error == "" {
				t.Errorf("refused run %+v, want a failed full sweep with the reason", run)
			}
			t.Logf("refusal: %s", run.Error)
		})
	}
}

// "Knack requests today" counts each request once, where it was made,
// failed ones included: after a sweep and hint passes running at the same
// time on one client, with 10% of Knack's answers failing, the status
// data's figures equal the simulator's own request counter, in total and
// object by object. (The runs' figures charged pages with the hint passes'
// requests: logged for comparison.)
func TestRequestCountsMatchSimulator(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	budget := worker.NewBudget(b.store, worker.BudgetOptions{Reserve: worker.DefaultQuotaReserve, Objects: syncer.Objects(), Logger: b.logger, Now: b.clock.Now})
	_, sy := b.metered(t, budget)
	first := b.sweep(t) // the mirror, so that hints are fetched one by one
	b.sim.ResetLog()
	if n, err := b.store.QuotaDay(t.Context(), b.clock.Now()); err != nil || n.Requests != 0 {
		t.Fatalf("ledger before: %+v, %v; want empty (the first sweep's client is not metered)", n, err)
	}
	b.sim.SetFailRate(0.1)

	var wg sync.WaitGroup
	wg.Go(func() {
		if _, err := sy.Sweep(knack.WithPurpose(t.Context(), knack.PurposeSweep), syncer.SweepOptions{}); err != nil {
			t.Errorf("sweep: %v", err)
		}
	})
	// One hint pass at a time per object, as the workers' lock has it; a
	// hint each, so that each is fetched by id.
	for _, object := range []string{"object_10", "object_3", "object_29"} {
		recs := b.sim.Records(object)
		wg.Go(func() {
			for _, r := range recs[:min(6, len(recs))] {
				err := b.store.InTx(t.Context(), func(tx pgx.Tx) error {
					return b.store.RecordHints(t.Context(), tx, []store.Hint{{Object: object, RecordID: r.ID, Event: "update"}}, b.clock.Now())
				})
				if err != nil {
					t.Errorf("record hint: %v", err)
					return
				}
				// Some passes fail on a 5xx past the retries, or find the
				// sweep holding the object: their requests count all the same.
				_, _ = sy.ProcessHints(knack.WithPurpose(t.Context(), knack.PurposeHints), object)
			}
		})
	}
	wg.Wait()

	c := b.sim.Counts()
	if c.Failed == 0 {
		t.Fatal("no injected failure: the test proves nothing about failed requests")
	}
	st, err := b.store.Status(t.Context(), store.StatusQuery{Now: b.clock.Now(), Objects: syncer.Objects(), Runs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if st.RequestsToday != c.Total {
		t.Errorf("status: %d Knack requests today, the simulator saw %d", st.RequestsToday, c.Total)
	}
	perObject := 0
	for _, o := range st.Objects {
		perObject += o.RequestsToday
	}
	if perObject != c.Total {
		t.Errorf("status: objects add up to %d Knack requests today, the simulator saw %d", perObject, c.Total)
	}
	runs := 0
	for _, r := range st.Runs {
		if r.ID != first.ID {
			runs += r.KnackRequests
		}
	}
	t.Logf("simulator %d requests (%d failed); status today %d; the runs' own figures add up to %d", c.Total, c.Failed, st.RequestsToday, runs)
}
