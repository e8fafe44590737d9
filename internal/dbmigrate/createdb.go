package dbmigrate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Open connects to databaseURL and checks the connection. When create is true
// and the database does not exist yet, it is created first (a newcomer's
// machine has a server but not the knacksync database). configure, if
// given, edits the pool's configuration first (dbtimeout.Configure).
func Open(ctx context.Context, databaseURL string, create bool, configure ...func(*pgxpool.Config)) (*pgxpool.Pool, error) {
	pool, err := ping(ctx, databaseURL, configure)
	var pgErr *pgconn.PgError
	if err != nil && create && errors.As(err, &pgErr) && pgErr.Code == "3D000" {
		if err := createDatabase(ctx, databaseURL); err != nil {
			return nil, err
		}
		pool, err = ping(ctx, databaseURL, configure)
	}
	if err != nil {
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return pool, nil
}

// ParseConfig parses a DATABASE_URL for pgxpool, without the parameters
// meant for other tools: `pgbouncer=true` (Supabase's and Prisma's mark of a
// transaction pooler, which the service reads from the URL) would otherwise
// go to the server as a setting, and it refuses the connection ("unrecognized
// configuration parameter").
func ParseConfig(databaseURL string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, err
	}
	delete(cfg.ConnConfig.RuntimeParams, "pgbouncer")
	return cfg, nil
}

func ping(ctx context.Context, databaseURL string, configure []func(*pgxpool.Config)) (*pgxpool.Pool, error) {
	cfg, err := ParseConfig(databaseURL)
	if err != nil {
		return nil, err
	}
	// Pages applied in parallel, hint passes holding their locks, River's
	// workers and the HTTP handlers share the pool: pgxpool's default (the
	// larger of 4 and the CPUs) is too small. pool_max_conns in the URL wins.
	if !strings.Contains(databaseURL, "pool_max_conns") {
		cfg.MaxConns = 16
	}
	for _, f := range configure {
		f(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

func createDatabase(ctx context.Context, databaseURL string) error {
	pcfg, err := ParseConfig(databaseURL) // knows pool_* parameters
	if err != nil {
		return err
	}
	cfg := pcfg.ConnConfig
	name := cfg.Database
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	if errors.As(err, new(*pgconn.PgError)) && err.(*pgconn.PgError).Code == "42P04" {
		return nil // created meanwhile by another process
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}
