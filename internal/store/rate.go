package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// RateLimiter spaces requests of every process sharing the database to one
// per interval (knack.Limiter): Knack's 10 requests per second are per app,
// not per process.
type RateLimiter struct {
	store    *Store
	name     string
	interval time.Duration
}

// RateLimiter returns a limiter named name allowing perSecond requests.
func (s *Store) RateLimiter(name string, perSecond float64) *RateLimiter {
	return &RateLimiter{store: s, name: name, interval: time.Duration(float64(time.Second) / perSecond)}
}

// Wait blocks until this caller's reserved slot.
func (l *RateLimiter) Wait(ctx context.Context) error {
	var wait float64
	err := l.store.pool.QueryRow(ctx, l.store.stmt("rate", "reserve"),
		pgx.NamedArgs{"name": l.name, "seconds": l.interval.Seconds()}).Scan(&wait)
	if err != nil {
		return fmt.Errorf("reserve request slot: %w", err)
	}
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(time.Duration(wait * float64(time.Second)))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
