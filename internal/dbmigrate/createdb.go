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
// machine has a server but not the knacksync database).
func Open(ctx context.Context, databaseURL string, create bool) (*pgxpool.Pool, error) {
	pool, err := ping(ctx, databaseURL)
	var pgErr *pgconn.PgError
	if err != nil && create && errors.As(err, &pgErr) && pgErr.Code == "3D000" {
		if err := createDatabase(ctx, databaseURL); err != nil {
			return nil, err
		}
		pool, err = ping(ctx, databaseURL)
	}
	if err != nil {
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return pool, nil
}

func ping(ctx context.Context, databaseURL string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, err
	}
	// Pages applied in parallel, hint passes holding their locks, River's
	// workers and the HTTP handlers share the pool: pgxpool's default (the
	// larger of 4 and the CPUs) is too small. pool_max_conns in the URL wins.
	if !strings.Contains(databaseURL, "pool_max_conns") {
		cfg.MaxConns = 16
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
	pcfg, err := pgxpool.ParseConfig(databaseURL) // knows pool_* parameters
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
