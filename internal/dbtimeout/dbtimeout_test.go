package dbtimeout_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/dbtest"
	"knacksync/internal/dbtimeout"
	"knacksync/internal/store"
)

var testTimeouts = dbtimeout.Config{
	Request:    dbtimeout.Timeouts{Statement: 3 * time.Second, Lock: 300 * time.Millisecond},
	Background: dbtimeout.Timeouts{Statement: 10 * time.Minute, Lock: 20 * time.Second},
}

// pool is a one-connection pool with the hooks, so that both modes take
// turns on the same connection.
func pool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pc, err := pgxpool.ParseConfig(dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	pc.MaxConns = 1
	dbtimeout.Configure(pc, testTimeouts)
	p, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// settings reads both settings inside a transaction, as store.InTx runs
// the sweep's.
func settings(t *testing.T, st *store.Store, ctx context.Context) (statement, lock string) {
	t.Helper()
	err := st.InTx(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, "SELECT current_setting('statement_timeout'), current_setting('lock_timeout')").Scan(&statement, &lock)
	})
	if err != nil {
		t.Fatal(err)
	}
	return statement, lock
}

// Each use gets its mode's settings, also when the modes alternate on one
// connection: a request never inherits the sweep's long ones, a sweep's
// transaction never the request's short ones.
func TestModesAlternate(t *testing.T) {
	t.Parallel()
	st := store.New(pool(t))
	bg, req := context.Background(), dbtimeout.ForRequest(context.Background())
	// Postgres shows the values in its own units.
	for i, c := range []struct {
		name            string
		ctx             context.Context
		statement, lock string
	}{
		{"sweep", bg, "10min", "20s"},
		{"request", req, "3s", "300ms"},
		{"request again", req, "3s", "300ms"},
		{"sweep after a request", bg, "10min", "20s"},
		{"request after a sweep", req, "3s", "300ms"},
	} {
		statement, lock := settings(t, st, c.ctx)
		if statement != c.statement || lock != c.lock {
			t.Errorf("%d %s: statement_timeout %s, lock_timeout %s; want %s, %s", i, c.name, statement, lock, c.statement, c.lock)
		}
	}
}

// A request-path query behind a lock held longer than the request's
// lock_timeout fails with a lock_timeout error soon after it, instead of
// waiting; the same query from a sweep waits the lock out.
func TestRequestLockTimeout(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t)
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	dbtimeout.Configure(pc, testTimeouts)
	p, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	holder := dbtest.Connect(t, url)
	ctx := context.Background()
	if _, err := holder.Exec(ctx, "CREATE TABLE held (n int)"); err != nil {
		t.Fatal(err)
	}

	const hold = 2 * time.Second
	locked := make(chan struct{})
	released := make(chan error, 1)
	go func() {
		released <- pgx.BeginFunc(ctx, holder, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "LOCK TABLE held IN ACCESS EXCLUSIVE MODE"); err != nil {
				return err
			}
			close(locked)
			time.Sleep(hold)
			return nil
		})
	}()
	<-locked

	start := time.Now()
	_, err = p.Exec(dbtimeout.ForRequest(ctx), "SELECT count(*) FROM held")
	took := time.Since(start)
	which, ok := dbtimeout.IsTimeout(err)
	if !ok || which != "lock_timeout" {
		t.Errorf("request behind a %s lock: %v, want a lock_timeout error", hold, err)
	}
	if took > hold/2 {
		t.Errorf("request behind a %s lock failed after %s, want about its lock_timeout (%s)", hold, took, testTimeouts.Request.Lock)
	}

	start = time.Now()
	if _, err := p.Exec(ctx, "SELECT count(*) FROM held"); err != nil {
		t.Errorf("sweep behind the same lock: %v, want it to wait", err)
	}
	if err := <-released; err != nil {
		t.Fatal(err)
	}
	t.Logf("request failed after %s (lock_timeout %s); the sweep waited %s", took.Round(time.Millisecond), testTimeouts.Request.Lock, time.Since(start).Round(time.Millisecond))
}

// A request's runaway statement stops at the request's statement_timeout;
// a cancelled context is not mistaken for a timeout.
func TestRequestStatementTimeout(t *testing.T) {
	t.Parallel()
	p := pool(t)
	start := time.Now()
	_, err := p.Exec(dbtimeout.ForRequest(context.Background()), "SELECT pg_sleep(10)")
	if which, ok := dbtimeout.IsTimeout(err); !ok || which != "statement_timeout" {
		t.Errorf("a 10 s statement in a request: %v, want a statement_timeout error", err)
	}
	if took := time.Since(start); took > 6*time.Second {
		t.Errorf("a 10 s statement in a request ran %s, want about %s", took, testTimeouts.Request.Statement)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = p.Exec(ctx, "SELECT pg_sleep(10)")
	if _, ok := dbtimeout.IsTimeout(err); ok || err == nil {
		t.Errorf("a cancelled statement: %v, want an error that is not a timeout", err)
	}
}
