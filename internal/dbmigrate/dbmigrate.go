// Package dbmigrate applies the service's migrations (goose, files in
// migrations/) and River's (rivermigrate), both into schema knacksync, under
// one advisory lock so that concurrent migrators queue instead of racing.
// It also opens the database (Open, ParseConfig) and tells a transaction
// pooler from Postgres (PoolerMode, ProbeServer): what `server serve`,
// `server migrate` and `server doctor` all need before anything else.
package dbmigrate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"knacksync/internal/pglock"
	"knacksync/migrations"
)

// Schema holds the service's own tables and River's.
const Schema = "knacksync"

// Result says what a Migrate call applied.
type Result struct {
	Applied      []string // service migrations applied, by file name
	RiverApplied []int    // River migration versions applied
}

// Migrate brings the database up to date. A second call is a no-op.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) (Result, error) {
	var res Result
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return res, fmt.Errorf("migrate: connect: %w", err)
	}
	defer conn.Release()
	// Every migrator takes the migration lock: they queue.
	if err := pglock.Lock(ctx, conn, pglock.Migrate); err != nil {
		return res, fmt.Errorf("migrate: take lock: %w", err)
	}
	defer func() {
		// Unlock on a fresh context: the caller's may be cancelled by now.
		_ = pglock.Unlock(context.WithoutCancel(ctx), conn, pglock.Migrate)
	}()

	if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+Schema); err != nil {
		return res, fmt.Errorf("migrate: create schema: %w", err)
	}

	provider, db, err := newProvider(pool)
	if err != nil {
		return res, err
	}
	defer db.Close()
	results, err := provider.Up(ctx)
	for _, r := range results {
		if r.Error == nil {
			res.Applied = append(res.Applied, r.Source.Path)
			logger.InfoContext(ctx, "migration applied", slog.String("file", r.Source.Path), slog.Duration("took", r.Duration))
		}
	}
	if err != nil {
		return res, fmt.Errorf("migrate: %w", unwrapPartial(err))
	}

	riverRes, err := riverMigrator(pool, logger).Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return res, fmt.Errorf("migrate: river: %w", err)
	}
	for _, v := range riverRes.Versions {
		res.RiverApplied = append(res.RiverApplied, v.Version)
	}
	if len(res.RiverApplied) > 0 {
		logger.InfoContext(ctx, "river migrations applied", slog.Any("versions", res.RiverApplied))
	}
	return res, nil
}

// ErrNotCurrent is returned by Check when migrations are pending.
var ErrNotCurrent = errors.New("migrations are not current")

// Check reports whether every service and River migration has been applied.
// It is cheap enough for a readiness probe.
func Check(ctx context.Context, pool *pgxpool.Pool) error {
	var current int64
	err := pool.QueryRow(ctx, "SELECT coalesce(max(version_id), 0) FROM "+Schema+".schema_migrations WHERE is_applied").Scan(&current)
	if err != nil {
		return fmt.Errorf("%w: read service version: %v", ErrNotCurrent, err)
	}
	if want := latestVersion(); current < want {
		return fmt.Errorf("%w: service schema at %d, want %d", ErrNotCurrent, current, want)
	}
	var river int
	err = pool.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM "+Schema+".river_migration WHERE line = 'main'").Scan(&river)
	if err != nil {
		return fmt.Errorf("%w: read river version: %v", ErrNotCurrent, err)
	}
	all := riverMigrator(pool, slog.New(slog.DiscardHandler)).AllVersions()
	if want := all[len(all)-1].Version; river < want {
		return fmt.Errorf("%w: river schema at %d, want %d", ErrNotCurrent, river, want)
	}
	return nil
}

func newProvider(pool *pgxpool.Pool) (*goose.Provider, interface{ Close() error }, error) {
	db := stdlib.OpenDBFromPool(pool)
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS,
		goose.WithTableName(Schema+".schema_migrations"),
		goose.WithDisableGlobalRegistry(true),
		// A migration numbered below the database's version (written
		// while a later one was already deployed) is applied, not refused.
		goose.WithAllowOutofOrder(true),
	)
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("migrate: load migrations: %w", err)
	}
	return p, db, nil
}

func riverMigrator(pool *pgxpool.Pool, logger *slog.Logger) *rivermigrate.Migrator[pgx.Tx] {
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: Schema, Logger: logger})
	if err != nil {
		// Only an unknown migration line fails here, and "main" always exists.
		panic(err)
	}
	return m
}

// latestVersion is the number of the highest migration file.
func latestVersion() int64 {
	names, _ := fs.Glob(migrations.FS, "*.sql")
	var max int64
	for _, name := range names {
		if v, err := goose.NumericComponent(name); err == nil && v > max {
			max = v
		}
	}
	return max
}

// unwrapPartial keeps goose's message about the failing file but shows the
// Postgres error (for example a unique-key violation report) first.
func unwrapPartial(err error) error {
	var partial *goose.PartialError
	if errors.As(err, &partial) && partial.Failed != nil {
		return fmt.Errorf("%s: %w", partial.Failed.Source.Path, partial.Err)
	}
	return err
}
