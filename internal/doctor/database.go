package doctor

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"knacksync/internal/config"
	"knacksync/internal/dbmigrate"
)

// minServerVersion is the oldest Postgres the service is built and tested
// for (Supabase runs 15 and later).
const minServerVersion = 15

// checkDatabase connects (creating nothing) and reads the server version.
// The pool it leaves in the session serves the checks that follow.
func checkDatabase(ctx context.Context, s *session) []Result {
	where := config.RedactURL(s.cfg.DatabaseURL)
	pcfg, err := dbmigrate.ParseConfig(s.cfg.DatabaseURL)
	if err != nil {
		return []Result{fail("%s: %s", where, s.errText(err))}
	}
	// A transaction pooler shares server connections between clients, so
	// the named prepared statements pgx caches would collide ("prepared
	// statement already exists"). The simple protocol works everywhere.
	if tx, _ := dbmigrate.PoolerMode(s.cfg.DatabaseURL, dbmigrate.ServerFacts{}); tx {
		pcfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	}
	// Two connections: the LISTEN/NOTIFY probe needs a second one.
	pcfg.MaxConns = 2
	pcfg.MinConns = 0
	start := time.Now()
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err == nil {
		if err = pool.Ping(ctx); err != nil {
			pool.Close()
		}
	}
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "3D000" {
			return []Result{fail("%s: %s: run `server migrate` (in development it creates the database)", where, s.errText(err))}
		}
		return []Result{fail("%s: %s", where, s.errText(err))}
	}
	took := time.Since(start)
	s.pool = pool

	var num int
	var version string
	err = pool.QueryRow(ctx, "SELECT current_setting('server_version_num')::int, current_setting('server_version')").Scan(&num, &version)
	if err != nil {
		return []Result{fail("%s: connected, but reading the server version failed: %s", where, s.errText(err))}
	}
	short := shortVersion(version)
	if num/10000 < minServerVersion {
		return []Result{warn("%s: PostgreSQL %s is older than %d, the oldest version the service is tested on", where, short, minServerVersion)}
	}
	return []Result{ok("%s: PostgreSQL %s (connected in %s)", where, short, round(took))}
}

// shortVersion drops the build details: "15.4 (Debian 15.4-1)" → "15.4".
func shortVersion(v string) string {
	for i, r := range v {
		if r == ' ' {
			return v[:i]
		}
	}
	return v
}

// round keeps durations readable: 12.345678ms → 12ms.
func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Microsecond)
}

// checkMigrations asks dbmigrate whether the service's and River's
// migrations are all applied.
func checkMigrations(ctx context.Context, s *session) []Result {
	var exists bool
	err := s.pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", dbmigrate.Schema+".schema_migrations").Scan(&exists)
	if err != nil {
		return []Result{fail("%s", s.errText(err))}
	}
	if !exists {
		return []Result{fail("no migrations applied (%s.schema_migrations does not exist): run `server migrate`", dbmigrate.Schema)}
	}
	if err := dbmigrate.Check(ctx, s.pool); err != nil {
		return []Result{fail("%s: run `server migrate`", s.errText(err))}
	}
	var version int64
	err = s.pool.QueryRow(ctx, "SELECT coalesce(max(version_id), 0) FROM "+dbmigrate.Schema+".schema_migrations WHERE is_applied").Scan(&version)
	if err != nil {
		return []Result{fail("%s", s.errText(err))}
	}
	return []Result{ok("service and River migrations all applied (service schema at version %d)", version)}
}

// checkRiver looks for River's job table and migration version in the
// service's schema, where dbmigrate puts them.
func checkRiver(ctx context.Context, s *session) []Result {
	table := dbmigrate.Schema + ".river_job"
	var jobs, migrations bool
	err := s.pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL, to_regclass($2) IS NOT NULL",
		table, dbmigrate.Schema+".river_migration").Scan(&jobs, &migrations)
	if err != nil {
		return []Result{fail("%s", s.errText(err))}
	}
	if !jobs || !migrations {
		return []Result{fail("%s does not exist: run `server migrate`", table)}
	}
	var version int
	err = s.pool.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM "+dbmigrate.Schema+".river_migration WHERE line = 'main'").Scan(&version)
	if err != nil {
		return []Result{fail("%s", s.errText(err))}
	}
	want := latestRiverVersion(s.pool)
	if version < want {
		return []Result{fail("%s present, but River's schema is at version %d, want %d: run `server migrate`", table, version, want)}
	}
	return []Result{ok("%s present, River schema at version %d", table, version)}
}

// latestRiverVersion is the newest River migration this binary carries.
func latestRiverVersion(pool *pgxpool.Pool) int {
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: dbmigrate.Schema, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return 0
	}
	all := m.AllVersions()
	if len(all) == 0 {
		return 0
	}
	return all[len(all)-1].Version
}

// checkPooler says whether River can LISTEN, from the URL and, when the
// database is reachable, from the server itself.
func checkPooler(ctx context.Context, s *session) []Result {
	var facts dbmigrate.ServerFacts
	if s.pool != nil {
		facts = dbmigrate.ProbeServer(ctx, s.pool)
	}
	tx, reason := dbmigrate.PoolerMode(s.cfg.DatabaseURL, facts)
	if tx {
		return []Result{warn("transaction pooler (%s): River runs poll-only (no LISTEN/NOTIFY); use the session pooler (port 5432) or a direct connection for prompt jobs", reason)}
	}
	return []Result{ok("%s: River can LISTEN for new jobs", reason)}
}
