package store

import (
	"context"
	"fmt"

	"knacksync/internal/pglock"
)

// TryLock takes the session advisory lock named key (internal/pglock: its
// names and key scheme) on a connection of its own, held until release is
// called. ok is false when another session holds it. The lock dies with the
// connection, so a crashed holder frees it.
func (s *Store) TryLock(ctx context.Context, key string) (release func(), ok bool, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("lock %s: %w", key, err)
	}
	if ok, err = pglock.TryLock(ctx, conn, key); err != nil {
		conn.Release()
		return nil, false, err
	}
	if !ok {
		conn.Release()
		return nil, false, nil
	}
	return func() {
		_ = pglock.Unlock(context.WithoutCancel(ctx), conn, key)
		conn.Release()
	}, true, nil
}
