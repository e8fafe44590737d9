// Package worker holds the River job kinds, their workers, the schedule and
// the River client the service runs them on.
package worker

import (
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"knacksync/internal/dbmigrate"
)

type txType = pgx.Tx

// ClientOptions tune the River client.
type ClientOptions struct {
	// PollOnly makes River poll instead of LISTEN, as a transaction pooler
	// (Supabase port 6543, PgBouncer) requires.
	PollOnly bool
	// Workers are the job workers; nil gives an insert-only client.
	Workers *river.Workers
	// PeriodicJobs are scheduled by the elected leader.
	PeriodicJobs []*river.PeriodicJob
	// ErrorHandler hears about job errors and panics (Sentry).
	ErrorHandler river.ErrorHandler
	// Middleware wraps every job (Sentry hears of jobs that cancel
	// themselves, which the error handler never sees).
	Middleware []rivertype.Middleware
}

// NewClient builds the River client on pool, in the service's schema.
func NewClient(pool *pgxpool.Pool, logger *slog.Logger, opts ClientOptions) (*river.Client[pgx.Tx], error) {
	cfg := &river.Config{
		Schema:   dbmigrate.Schema,
		Logger:   logger,
		PollOnly: opts.PollOnly,
		// Jobs that may run long set their own Timeout (a sweep: hours);
		// this is the cap for the rest. A job stuck past the rescue delay
		// (a crashed process) is retried, and a sweep then resumes.
		JobTimeout:           10 * time.Minute,
		RescueStuckJobsAfter: SweepTimeout + 30*time.Minute,
		SoftStopTimeout:      20 * time.Second,
		PeriodicJobs:         opts.PeriodicJobs,
		ErrorHandler:         opts.ErrorHandler,
		Middleware:           opts.Middleware,
	}
	if opts.Workers != nil {
		cfg.Workers = opts.Workers
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}}
	}
	return river.NewClient(riverpgxv5.New(pool), cfg)
}
