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
