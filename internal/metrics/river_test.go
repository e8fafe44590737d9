package metrics

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"knacksync/internal/dbmigrate"
	"knacksync/internal/dbtest"
)

// outcomeArgs asks outcomeWorker for one outcome.
type outcomeArgs struct {
	Outcome string `json:"outcome"`
}

func (outcomeArgs) Kind() string { return "metrics_test_outcome" }

type outcomeWorker struct {
	river.WorkerDefaults[outcomeArgs]
}

func (outcomeWorker) Work(ctx context.Context, job *river.Job[outcomeArgs]) error {
	switch job.Args.Outcome {
	case OutcomeCancelled:
		return river.JobCancel(errors.New("cannot be fixed by a retry"))
	case OutcomeSnoozed:
		return river.JobSnooze(time.Hour)
	case OutcomeRetried, OutcomeDiscarded:
		return errors.New("failed")
	}
	return nil
}

// laterRetry keeps a failed job waiting an hour, so that it fails once in
// the test.
type laterRetry struct{}

func (laterRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(time.Hour) }

func TestWatchRiver(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)

	workers := river.NewWorkers()
	river.AddWorker(workers, outcomeWorker{})
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Schema:      dbmigrate.Schema,
		Logger:      slog.New(slog.DiscardHandler),
		Queues:      map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}},
		Workers:     workers,
		RetryPolicy: laterRetry{},
		TestOnly:    true,
	})
	if err != nil {
		t.Fatal(err)
	}

	m := New(Options{})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// Before Start, as in the service: no event is missed.
	if err := m.WatchRiver(ctx, client); err != nil {
		t.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		if err := client.Stop(stopCtx); err != nil {
			t.Errorf("stop river: %v", err)
		}
	})

	_, err = client.InsertMany(ctx, []river.InsertManyParams{
		{Args: outcomeArgs{Outcome: OutcomeCompleted}},
		{Args: outcomeArgs{Outcome: OutcomeCompleted}},
		{Args: outcomeArgs{Outcome: OutcomeCancelled}},
		{Args: outcomeArgs{Outcome: OutcomeSnoozed}},
		{Args: outcomeArgs{Outcome: OutcomeRetried}, InsertOpts: &river.InsertOpts{MaxAttempts: 2}},
		{Args: outcomeArgs{Outcome: OutcomeDiscarded}, InsertOpts: &river.InsertOpts{MaxAttempts: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}

	const kind = `kind="metrics_test_outcome"`
	want := map[string]float64{
		`knacksync_jobs_total{` + kind + `,outcome="cancelled"}`: 1,
		`knacksync_jobs_total{` + kind + `,outcome="completed"}`: 2,
		`knacksync_jobs_total{` + kind + `,outcome="discarded"}`: 1,
		`knacksync_jobs_total{` + kind + `,outcome="retried"}`:   1,
		`knacksync_jobs_total{` + kind + `,outcome="snoozed"}`:   1,
	}
	// Events arrive after River's completer commits: wait for them.
	var got map[string]float64
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		got = only(gather(t, m.Registry()), "knacksync_jobs_total")
		if cmp.Equal(want, got) {
			break
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("jobs mismatch (-want +got):\n%s", diff)
	}
	if n := gather(t, m.Registry())[`knacksync_job_duration_seconds_count{`+kind+`}`]; n != 6 {
		t.Errorf("job duration count = %v, want 6", n)
	}
}

func TestWatchRiverInsertOnly(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	// No Workers and no Queues: River would panic on Subscribe.
	client, err := river.NewClient[pgx.Tx](riverpgxv5.New(pool), &river.Config{Schema: dbmigrate.Schema, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := New(Options{}).WatchRiver(t.Context(), client); err == nil {
		t.Error("WatchRiver on an insert-only client succeeded, want an error")
	}
}
