// Package pglock names the service's Postgres advisory locks and takes them.
// There is one key scheme: a lock is a name, "namespace" or
// "namespace:subject", and its key is hashtextextended(name, 0), computed
// by Postgres. Go code passes the name (the functions below); SQL that
// locks many objects at once builds it the same way,
// hashtextextended('hints-accept:' || object, 0), from the prefixes below.
// docs/architecture.md ("Locks and claims") says what each lock guarantees.
package pglock

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// The service's locks. A name is a namespace, or a prefix to which the
// subject (an object key, a River client id) is appended.
const (
	// Migrate: one migrator at a time (dbmigrate.Migrate), session lock.
	Migrate = "migrate"
	// Sweep: one sweep at a time across every process (syncer.Sweep),
	// session lock; worker.ResumeDeadSweeps tries it to tell a live sweep.
	Sweep = "sweep"
	// HintsPrefix + object: one hints pass per object (worker.HintsWorker),
	// session lock (store.TryLock).
	HintsPrefix = "hints:"
	// HintsEnqueuePrefix + object: one waiting hints job per object
	// (worker's enqueueHints), transaction lock.
	HintsEnqueuePrefix = "hints-enqueue:"
	// RiverClientPrefix + client id: the client's process is alive
	// (worker.HoldOwnerLock), session lock.
	RiverClientPrefix = "river-client:"
	// HintsAcceptPrefix + object: transactions recording hints, shared
	// (store/sql/hints.sql); taken in SQL.
	HintsAcceptPrefix = "hints-accept:"
	// DepsPrefix + object: dependency locks, shared by readers, exclusive
	// for writers (store/sql/deps.sql); taken in SQL.
	DepsPrefix = "deps:"
)

// SQLPrefixes are the prefixes SQL files build lock names from.
var SQLPrefixes = []string{HintsAcceptPrefix, DepsPrefix}

// Querier runs a one-row query: a connection, a pool or a transaction.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Lock waits for the session lock name, held until Unlock or until the
// session ends. Run it on a connection the caller keeps (not a pool).
func Lock(ctx context.Context, q Querier, name string) error {
	return run(ctx, q, "SELECT pg_advisory_lock(hashtextextended($1, 0))::text", name, nil)
}

// TryLock takes the session lock name if it is free; ok is false when
// another session holds it.
func TryLock(ctx context.Context, q Querier, name string) (ok bool, err error) {
	err = run(ctx, q, "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", name, &ok)
	return ok, err
}

// Unlock releases the session lock name taken on the same session.
func Unlock(ctx context.Context, q Querier, name string) error {
	var ok bool
	return run(ctx, q, "SELECT pg_advisory_unlock(hashtextextended($1, 0))", name, &ok)
}

// XactLock waits for the transaction lock name, held until q (a
// transaction) ends.
func XactLock(ctx context.Context, q Querier, name string) error {
	return run(ctx, q, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))::text", name, nil)
}

// TryXactLock takes the transaction lock name if it is free.
func TryXactLock(ctx context.Context, q Querier, name string) (ok bool, err error) {
	err = run(ctx, q, "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))", name, &ok)
	return ok, err
}

func run(ctx context.Context, q Querier, sql, name string, ok *bool) error {
	var void string
	var dest any = &void
	if ok != nil {
		dest = ok
	}
	if err := q.QueryRow(ctx, sql, name).Scan(dest); err != nil {
		return fmt.Errorf("lock %s: %w", name, err)
	}
	return nil
}
