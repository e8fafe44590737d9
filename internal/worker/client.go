// Package worker holds the River job kinds, their workers and the River
// client the service runs them on.
package worker

import (
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"knacksync/internal/dbmigrate"
)

// ClientOptions tune the River client.
type ClientOptions struct {
	// PollOnly makes River poll instead of LISTEN, as a transaction pooler
	// (Supabase port 6543, PgBouncer) requires.
	PollOnly bool
	// Workers are the job workers; nil gives an insert-only client.
	Workers *river.Workers
	// PeriodicJobs are scheduled by the elected leader.
	PeriodicJobs []*river.PeriodicJob
}

// NewClient builds the River client on pool, in the service's schema.
func NewClient(pool *pgxpool.Pool, logger *slog.Logger, opts ClientOptions) (*river.Client[pgx.Tx], error) {
	cfg := &river.Config{
		Schema:   dbmigrate.Schema,
		Logger:   logger,
		PollOnly: opts.PollOnly,
		// A full sweep is rate-limited by Knack and can take many minutes:
		// jobs set their own Timeout; this is the cap for the rest.
		JobTimeout:           5 * time.Minute,
		RescueStuckJobsAfter: 3 * time.Hour,
		SoftStopTimeout:      20 * time.Second,
		PeriodicJobs:         opts.PeriodicJobs,
	}
	if opts.Workers != nil {
		cfg.Workers = opts.Workers
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}}
	}
	return river.NewClient(riverpgxv5.New(pool), cfg)
}
