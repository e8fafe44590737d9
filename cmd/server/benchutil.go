package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/config"
	"knacksync/internal/dbmigrate"
	"knacksync/internal/knacksim"
	"knacksync/internal/knacksim/vespagen"
)

// freshDatabase creates and migrates a database of its own next to
// databaseURL's (the benches). drop closes the pool and removes it.
func freshDatabase(ctx context.Context, databaseURL string, logger *slog.Logger) (dbURL, name string, pool *pgxpool.Pool, drop func(), err error) {
	name = "knacksync_bench_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	dbURL = withDatabase(databaseURL, name)
	if pool, err = dbmigrate.Open(ctx, dbURL, true); err != nil {
		return "", "", nil, nil, err
	}
	drop = func() {
		pool.Close()
		_ = dropDatabase(context.WithoutCancel(ctx), databaseURL, name, true)
	}
	if _, err = dbmigrate.Migrate(ctx, pool, logger); err != nil {
		drop()
		return "", "", nil, nil, err
	}
	return dbURL, name, pool, drop, nil
}

// dropDatabase removes the database name on databaseURL's server. force
// ends its sessions first; without it, a database in use is an error.
func dropDatabase(ctx context.Context, databaseURL, name string, force bool) error {
	cfg, err := dbmigrate.ParseConfig(withDatabase(databaseURL, "postgres"))
	if err != nil {
		return err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	sql := "DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize()
	if force {
		sql += " WITH (FORCE)"
	}
	_, err = conn.Exec(ctx, sql)
	return err
}

// benchBackend starts the simulator with generated data at scale and a
// fresh database, and points cfg at both, as the benches that run the
// service in process need (webhooks, stats). close stops the simulator and
// drops the database (keep: only closes the pool, and names it on stderr).
func benchBackend(ctx context.Context, e env, cfg *config.Config, logger *slog.Logger, scale vespagen.Scale, simOpts knacksim.Options, keep bool) (sim *knacksim.Server, pool *pgxpool.Pool, name string, close func(), err error) {
	liftMemoryLimit(e.getenv)
	if sim, err = newVespaSimulator(scale, 1, simOpts); err != nil {
		return nil, nil, "", nil, err
	}
	if err := sim.Start("127.0.0.1:0"); err != nil {
		sim.Close()
		return nil, nil, "", nil, err
	}
	dbURL, name, pool, drop, err := freshDatabase(ctx, cfg.DatabaseURL, logger)
	if err != nil {
		sim.Close()
		return nil, nil, "", nil, err
	}
	close = func() {
		if keep {
			pool.Close()
			fmt.Fprintf(e.stderr, "bench database: %s\n", name)
		} else {
			drop()
		}
		sim.Close()
	}
	cfg.DatabaseURL = dbURL
	cfg.KnackAPIURL, cfg.KnackAppID, cfg.KnackAPIKey = sim.URL(), sim.AppID(), sim.APIKey()
	cfg.KnackRateLimit = 10
	cfg.WebhookSecret = "bench-webhook-secret-0123456789"
	// The load comes from one address: measure the receiver, not its
	// per-source limit.
	cfg.WebhookRate = 1e9
	return sim, pool, name, close, nil
}

// withDatabase is url with another database name; credentials and
// parameters stay.
func withDatabase(databaseURL, name string) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return databaseURL
	}
	u.Path = "/" + name
	return u.String()
}

// serveInProcess runs `serve` with cfg on a free loopback port of this
// process and waits until it is healthy; stop ends it. done receives serve's
// result should it end on its own (whoever takes it puts it back for stop).
func serveInProcess(ctx context.Context, e env, cfg config.Config, logger *slog.Logger, pool *pgxpool.Pool) (base string, stop func(), done chan error, err error) {
	addr, err := freeAddr()
	if err != nil {
		return "", nil, nil, err
	}
	f, err := startFront(addr, logger)
	if err != nil {
		return "", nil, nil, err
	}
	srvCtx, cancel := context.WithCancel(ctx)
	done = make(chan error, 1)
	go func() {
		done <- serve(srvCtx, env{getenv: e.getenv, stdout: &bytes.Buffer{}, stderr: e.stderr}, cfg, logger, pool, f)
	}()
	stop = func() { cancel(); <-done }
	base = "http://" + addr
	if err := waitReady(ctx, base); err != nil {
		stop()
		return "", nil, nil, fmt.Errorf("serve in process: %w", err)
	}
	return base, stop, done, nil
}
