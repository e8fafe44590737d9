package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/dbtimeout"
	"knacksync/internal/store"
	"knacksync/internal/worker"
)

// A webhook whose hints cannot be recorded because a lock is held (here
// the exclusive lock a hints job takes for its last look, held on and on)
// answers 503 with Retry-After soon after the request lock_timeout,
// instead of hanging until the sender gives up; nothing is recorded.
func TestWebhookLockTimeout(t *testing.T) {
	t.Parallel()
	const lockTimeout = 300 * time.Millisecond
	var holder *pgxpool.Pool
	b := setup(t, func(d *Deps) {
		h := *d.Hints.(*worker.Hints)
		pc := h.Pool.Config()
		holder = h.Pool
		dbtimeout.Configure(pc, dbtimeout.Config{
			Request:    dbtimeout.Timeouts{Statement: 5 * time.Second, Lock: lockTimeout},
			Background: dbtimeout.Timeouts{Statement: time.Minute, Lock: time.Minute},
		})
		p, err := pgxpool.NewWithConfig(context.Background(), pc)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		h.Pool, h.Store = p, store.New(p)
		d.Hints = &h
	})

	ctx := context.Background()
	locked, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- pgx.BeginFunc(ctx, holder, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('hints-accept:' || $1, 0))", "object_10"); err != nil {
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	<-locked

	start := time.Now()
	rec := b.serve(webhookRequest([]byte(`{"object":"object_10","record_id":"5f3a9c1e2b4d6f8a0c1e3b5d","event":"update"}`), headerWebhookSecret, testSecret))
	took := time.Since(start)
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var got struct{ Error string }
	_ = json.Unmarshal(rec.Body.Bytes(), &got)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !strings.Contains(got.Error, "lock_timeout") {
		t.Errorf("webhook behind a held lock: %d Retry-After %q %s, want 503 with Retry-After naming lock_timeout", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	if took > 3*time.Second {
		t.Errorf("webhook behind a held lock answered after %s, want about the lock_timeout (%s)", took, lockTimeout)
	}
	if n := b.hintRows(t); n != 0 {
		t.Errorf("%d hints recorded by a request that failed", n)
	}
	// The lock gone, the same request goes through on the same pool.
	if rec := b.serve(webhookRequest([]byte(`{"object":"object_10","record_id":"5f3a9c1e2b4d6f8a0c1e3b5d","event":"update"}`), headerWebhookSecret, testSecret)); rec.Code != http.StatusAccepted {
		t.Errorf("after the lock: %d %s", rec.Code, rec.Body)
	}
	t.Logf("webhook behind a held lock: %d after %s (lock_timeout %s)", rec.Code, took.Round(time.Millisecond), lockTimeout)
}
