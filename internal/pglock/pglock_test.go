package pglock_test

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"knacksync/internal/dbtest"
	"knacksync/internal/pglock"
)

func TestLocks(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := t.Context()
	a, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	b, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()

	t.Run("SessionExcludesOthers", func(t *testing.T) {
		if err := pglock.Lock(ctx, a, pglock.Sweep); err != nil {
			t.Fatal(err)
		}
		if ok, err := pglock.TryLock(ctx, b, pglock.Sweep); err != nil || ok {
			t.Errorf("TryLock of a held lock = %v, %v; want false", ok, err)
		}
		if ok, err := pglock.TryLock(ctx, b, pglock.Migrate); err != nil || !ok {
			t.Errorf("TryLock of another name = %v, %v; want true", ok, err)
		}
		if err := pglock.Unlock(ctx, a, pglock.Sweep); err != nil {
			t.Fatal(err)
		}
		if ok, err := pglock.TryLock(ctx, b, pglock.Sweep); err != nil || !ok {
			t.Errorf("TryLock after Unlock = %v, %v; want true", ok, err)
		}
		for _, name := range []string{pglock.Sweep, pglock.Migrate} {
			if err := pglock.Unlock(ctx, b, name); err != nil {
				t.Fatal(err)
			}
		}
	})

	// A transaction lock and a session lock of one name are one lock, and
	// a name built in SQL from a prefix is the same key as one built in Go.
	t.Run("OneKeyScheme", func(t *testing.T) {
		name := pglock.HintsAcceptPrefix + "object_10"
		err := pgx.BeginFunc(ctx, a, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('hints-accept:' || $1, 0))", "object_10"); err != nil {
				return err
			}
			if ok, err := pglock.TryLock(ctx, b, name); err != nil || ok {
				t.Errorf("TryLock of a name SQL holds = %v, %v; want false", ok, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = pgx.BeginFunc(ctx, b, func(tx pgx.Tx) error {
			if err := pglock.XactLock(ctx, tx, name); err != nil {
				return err
			}
			if ok, err := pglock.TryLock(ctx, a, name); err != nil || ok {
				t.Errorf("TryLock during XactLock = %v, %v; want false", ok, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Released with the transaction.
		err = pgx.BeginFunc(ctx, a, func(tx pgx.Tx) error {
			ok, err := pglock.TryXactLock(ctx, tx, name)
			if err != nil || !ok {
				t.Errorf("TryXactLock after the holder committed = %v, %v; want true", ok, err)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
