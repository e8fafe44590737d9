package worker_test

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"
	"github.com/riverqueue/river/rivertype"

	"knacksync/internal/dbmigrate"
	"knacksync/internal/dbtest"
	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
	"knacksync/internal/knacksim/vespagen"
	"knacksync/internal/pglock"
	"knacksync/internal/store"
	"knacksync/internal/syncer"
	"knacksync/internal/testkit"
	"knacksync/internal/vespa"
	"knacksync/internal/worker"
)

// epoch is the injected wall clock (testkit.Epoch).
var epoch = testkit.Epoch

// tiny is the tiny generated data set and its manifest, shared read-only
// (testkit).
var tiny = testkit.Tiny

type testBundle struct {
	pool   *pgxpool.Pool
	store  *store.Store
	sim    *knacksim.Server
	client *knack.Client
	syncer *syncer.Syncer
	clock  *testkit.Clock
	dirty  *vespagen.Dirty
	logger *slog.Logger
}

type options struct {
	dataset    *knacksim.Dataset // nil: the tiny dataset
	apiKey     string            // the client's key, when not the simulator's
	maxRetries int               // the client's retries (0: default; -1: none)
	// wrap, when set, wraps the client the syncer uses.
	wrap func(*knack.Client) syncer.Knack
}

// setup gives a test its own migrated database, a simulator serving the
// dataset without a rate limit, the real client, store and syncer, all on
// the injected clock.
func setup(t *testing.T, opts options) *testBundle {
	t.Helper()
	ds := opts.dataset
	var dirty *vespagen.Dirty
	if ds == nil {
		td, err := tiny()
		if err != nil {
			t.Fatalf("generate tiny: %v", err)
		}
		ds, dirty = td.Data, td.Dirty
	}
	// Room for a sweep, a hints pass, the test's own locks and the River
	// test transaction at once.
	pool := dbtest.Connect(t, dbtest.URL(t)+"&pool_max_conns=12")
	clk := testkit.NewClock(epoch)
	sim := knacksim.Start(t, knacksim.Options{Dataset: ds, RatePerSecond: -1, Seed: 7, Now: clk.Now})
	key := sim.APIKey()
	if opts.apiKey != "" {
		key = opts.apiKey
	}
	client := knack.New(knack.Config{
		BaseURL: sim.URL(), AppID: sim.AppID(), APIKey: key, RateLimit: 1000,
		MaxRetries: opts.maxRetries, RetryBase: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond,
		Now: clk.Now,
	})
	t.Cleanup(client.CloseIdleConnections)
	var kn syncer.Knack = client
	if opts.wrap != nil {
		kn = opts.wrap(client)
	}
	st := store.New(pool)
	logger := slog.New(slog.DiscardHandler)
	return &testBundle{
		pool: pool, store: st, sim: sim, client: client, clock: clk, dirty: dirty, logger: logger,
		syncer: syncer.New(st, kn, logger, clk.Now, syncer.Config{}),
	}
}

// dbOnly is a bundle without Knack, for the schedule and the queue.
func dbOnly(t *testing.T) *testBundle {
	t.Helper()
	pool := dbtest.Pool(t)
	return &testBundle{pool: pool, store: store.New(pool), clock: testkit.NewClock(epoch), logger: slog.New(slog.DiscardHandler)}
}

// sweep runs a complete sweep and requires it to succeed.
func (b *testBundle) sweep(t *testing.T) *store.Run {
	t.Helper()
	b.clock.Advance(time.Minute)
	run, err := b.syncer.Sweep(t.Context(), syncer.SweepOptions{})
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	if run.Status != store.StatusSucceeded {
		t.Fatalf("sweep %d: %s (%s)", run.ID, run.Status, run.Error)
	}
	return run
}

// hint records change hints as the webhook does, at the clock's time.
func (b *testBundle) hint(t *testing.T, object, event string, ids ...string) {
	t.Helper()
	var hints []store.Hint
	for _, id := range ids {
		hints = append(hints, store.Hint{Object: object, RecordID: id, Event: event})
	}
	if err := b.store.InTx(t.Context(), func(tx pgx.Tx) error {
		return b.store.RecordHints(t.Context(), tx, hints, b.clock.Now())
	}); err != nil {
		t.Fatalf("record hints: %v", err)
	}
}

func (b *testBundle) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := b.pool.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func (b *testBundle) hints(t *testing.T, object string) int {
	t.Helper()
	return b.count(t, `SELECT count(*) FROM knacksync.hints WHERE object = $1`, object)
}

// plainStudent is an object_10 record with exactly one student row, a
// cycle-1 effort score and no dirty case of the manifest, after a sweep.
func (b *testBundle) plainStudent(t *testing.T) (id string, effort int) {
	t.Helper()
	var manifest []string
	for _, c := range b.dirty.Cases() {
		manifest = append(manifest, c.Records...)
	}
	err := b.pool.QueryRow(t.Context(), `
		SELECT s.knack_id, v.effort FROM public.vespa_scores v JOIN public.students s ON s.id = v.student_id
		WHERE v.cycle = 1 AND v.effort IS NOT NULL AND NOT s.knack_id = ANY($1)
		  AND (SELECT count(*) FROM public.students o WHERE o.knack_id = s.knack_id) = 1
		  AND NOT knacksync.is_history(s.academic_year, $2) -- history rows never change (rule 11)
		ORDER BY s.knack_id LIMIT 1`, manifest, epoch).Scan(&id, &effort)
	if err != nil {
		t.Fatalf("no plain student: %v", err)
	}
	return id, effort
}

// effort is the cycle-1 effort score the database holds for a record.
func (b *testBundle) effort(t *testing.T, recordID string) int {
	t.Helper()
	return b.count(t, `SELECT v.effort FROM public.vespa_scores v JOIN public.students s ON s.id = v.student_id
		WHERE v.cycle = 1 AND s.knack_id = $1`, recordID)
}

// effortKey is object_10's cycle-1 effort field.
var effortKey = vespa.Object10.Scores[0][1].Key

// set changes fields of a record in the simulator directly (no HTTP, so no
// change hint and no request counted), rendered as Knack renders them.
func (b *testBundle) set(t *testing.T, object, id string, fields map[string]any) {
	t.Helper()
	rec, ok := b.sim.Get(object, id)
	if !ok {
		t.Fatalf("no %s/%s in the simulator", object, id)
	}
	schema := b.sim.Schema()
	i := slices.IndexFunc(schema.Objects, func(o knacksim.Object) bool { return o.Key == object })
	for key, v := range fields {
		j := slices.IndexFunc(schema.Objects[i].Fields, func(f knacksim.Field) bool { return f.Key == key })
		if j < 0 {
			t.Fatalf("%s has no field %s", object, key)
		}
		formatted, raw, err := knacksim.Render(schema.Objects[i].Fields[j], v)
		if err != nil {
			t.Fatalf("render %s = %v: %v", key, v, err)
		}
		rec.Fields[key], rec.Fields[key+"_raw"] = formatted, raw
	}
	rec.JSON = nil
	b.sim.Put(object, rec)
}

// getRecordRoute is the simulator's route for one record.
const getRecordRoute = "GET /v1/objects/{object}/records/{id}"

// listRoute is the simulator's route for a listing.
const listRoute = "GET /v1/objects/{object}/records"

// riverConfig is the River configuration the test workers run with: the
// service's schema.
func riverConfig(logger *slog.Logger) *river.Config {
	return &river.Config{Schema: dbmigrate.Schema, Logger: logger}
}

// work inserts a job with args and works it with w through River's test
// worker, in a transaction rolled back at the end (the workers themselves
// write through the pool, as in production). The returned error is a real
// error from the job (not a snooze or a cancel).
func work[T river.JobArgs](t *testing.T, b *testBundle, w river.Worker[T], args T) (*rivertest.WorkResult, error) {
	t.Helper()
	tw := rivertest.NewWorker(t, riverpgxv5.New(b.pool), riverConfig(b.logger), w)
	tx, err := b.pool.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.WithoutCancel(t.Context()))
	res, err := tw.Work(t.Context(), t, tx, args, nil)
	if res == nil {
		t.Fatalf("work %s: no result: %v", args.Kind(), err)
	}
	return res, err
}

// holdAdvisoryLock takes the session advisory lock name (internal/pglock)
// on a connection of its own until the test ends, as another process would
// hold it.
func holdAdvisoryLock(t *testing.T, pool *pgxpool.Pool, name string) {
	t.Helper()
	conn, err := pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Release)
	if err := pglock.Lock(t.Context(), conn, name); err != nil {
		t.Fatal(err)
	}
}

// jobCount counts River jobs of kind in the service's schema.
func jobCount(t *testing.T, b *testBundle, kind string) int {
	t.Helper()
	return b.count(t, `SELECT count(*) FROM `+dbmigrate.Schema+`.river_job WHERE kind = $1`, kind)
}

// insertOnly is an insert-only River client on the bundle's pool, as the
// service builds it.
func insertOnly(t *testing.T, b *testBundle) *river.Client[pgx.Tx] {
	t.Helper()
	c, err := worker.NewClient(b.pool, b.logger, worker.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// recordingObserver records the sweep notifications the worker sends.
type recordingObserver struct {
	mu       sync.Mutex
	started  []string
	finished []observed
}

type observed struct {
	token any
	run   *store.Run
	err   error
}

func (o *recordingObserver) SweepStarted(ctx context.Context, reason string) any {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.started = append(o.started, reason)
	return len(o.started)
}

func (o *recordingObserver) SweepFinished(ctx context.Context, token any, run *store.Run, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.finished = append(o.finished, observed{token, run, err})
}

// requireEvent requires the job to have ended with event want in one of
// states. (River makes a job due within a few seconds "available" at once,
// with its scheduled_at in the future, rather than "scheduled".)
func requireEvent(t *testing.T, res *rivertest.WorkResult, want river.EventKind, states ...rivertype.JobState) {
	t.Helper()
	if res.EventKind != want || !slices.Contains(states, res.Job.State) {
		t.Fatalf("job ended %s (%s), want %s (%v); errors %+v", res.EventKind, res.Job.State, want, states, res.Job.Errors)
	}
}

// snoozed and retried are the states of a job that will run again.
var (
	snoozed = []rivertype.JobState{rivertype.JobStateScheduled, rivertype.JobStateAvailable}
	retried = []rivertype.JobState{rivertype.JobStateRetryable, rivertype.JobStateAvailable}
)
