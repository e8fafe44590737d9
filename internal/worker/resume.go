package worker

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"knacksync/internal/pglock"
	"knacksync/internal/store"
)

var (
	//go:embed sql/running_sweeps.sql
	runningSweepsSQL string
	//go:embed sql/resume_sweeps.sql
	resumeSweepsSQL string
)

// HoldOwnerLock takes the lock that says client's process is alive, for
// ResumeDeadSweeps to tell a running sweep job from one whose process
// died. Take it before client.Start and release it after client.Stop; it
// dies with the process (its connection closes).
func HoldOwnerLock(ctx context.Context, locker Locker, client *river.Client[pgx.Tx]) (release func(), err error) {
	release, ok, err := locker.TryLock(ctx, pglock.RiverClientPrefix+client.ID())
	if err != nil {
		return nil, fmt.Errorf("owner lock: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("owner lock: client %s is already held by another process", client.ID())
	}
	return release, nil
}

// ResumeDeadSweeps makes the sweep jobs whose process died available at
// once, and returns their ids. A running sweep job is dead when nothing
// sweeps (the sweep's advisory lock is free) and the River client that
// took it is gone (its owner lock is free). Both locks are tried as
// transaction locks, let go when this returns.
func ResumeDeadSweeps(ctx context.Context, st *store.Store) ([]int64, error) {
	var ids []int64
	err := pgx.BeginFunc(ctx, st.Pool(), func(tx pgx.Tx) error {
		type job struct {
			id    int64
			owner string
		}
		rows, err := tx.Query(ctx, runningSweepsSQL)
		if err != nil {
			return err
		}
		running, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (job, error) {
			var j job
			return j, r.Scan(&j.id, &j.owner)
		})
		if err != nil || len(running) == 0 {
			return err
		}
		free, err := pglock.TryXactLock(ctx, tx, pglock.Sweep)
		if err != nil || !free {
			return err
		}
		var dead []int64
		for _, j := range running {
			if free, err = pglock.TryXactLock(ctx, tx, pglock.RiverClientPrefix+j.owner); err != nil {
				return err
			}
			if free {
				dead = append(dead, j.id)
			}
		}
		if len(dead) == 0 {
			return nil
		}
		rows, err = tx.Query(ctx, resumeSweepsSQL, dead)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("resume dead sweeps: %w", err)
	}
	return ids, nil
}

// SweepQueue starts sweeps for the admin API's "sync now".
type SweepQueue struct {
	Store  *store.Store
	Client *river.Client[pgx.Tx]
}

// EnqueueSweep asks for a sweep now. A sweep job whose process died is
// resumed instead (not already queued: nothing would have run it for
// hours); alreadyQueued is true when a live one waits or runs.
func (q SweepQueue) EnqueueSweep(ctx context.Context, reason string) (jobID int64, alreadyQueued bool, err error) {
	ids, err := ResumeDeadSweeps(ctx, q.Store)
	if err != nil {
		return 0, false, err
	}
	if len(ids) > 0 {
		return ids[0], false, nil
	}
	return EnqueueSweep(ctx, q.Client, reason)
}
