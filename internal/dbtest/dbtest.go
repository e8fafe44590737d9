// Package dbtest gives each test its own database on a real Postgres server:
// a fresh copy of a template that was migrated once per migration state
// (pgtestdb), or an empty one. Postgres is never mocked.
//
// TEST_DATABASE_URL names the server (default: the local one). When it cannot
// be reached a test is skipped, except under CI=true, where it fails.
package dbtest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver pgtestdb uses
	"github.com/peterldowns/pgtestdb"

	"knacksync/internal/dbmigrate"
	"knacksync/migrations"
)

// DefaultURL is the local server the development machines and CI have.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ServerURL is the URL of the server tests run against.
func ServerURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

var reach struct {
	once sync.Once
	err  error
}

// Require skips the test when Postgres cannot be reached, or fails it under CI.
func Require(t testing.TB) {
	t.Helper()
	reach.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		pool, err := pgxpool.New(ctx, ServerURL())
		if err == nil {
			err = pool.Ping(ctx)
			pool.Close()
		}
		reach.err = err
	})
	if reach.err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Postgres is required under CI but unreachable at %s: %v", ServerURL(), reach.err)
		}
		t.Skipf("Postgres unreachable at %s (set TEST_DATABASE_URL): %v", ServerURL(), reach.err)
	}
}

func config(t testing.TB) pgtestdb.Config {
	t.Helper()
	u, err := url.Parse(ServerURL())
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	pw, _ := u.User.Password()
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	return pgtestdb.Config{
		DriverName:                "pgx",
		Host:                      u.Hostname(),
		Port:                      port,
		User:                      u.User.Username(),
		Password:                  pw,
		Database:                  trimSlash(u.Path),
		Options:                   u.RawQuery,
		ForceTerminateConnections: true,
		// The service migrates as the database owner, not as a superuser.
		TestRole: &pgtestdb.Role{Username: "knacksync_test", Password: "knacksync_test", Capabilities: "NOSUPERUSER NOCREATEROLE CREATEDB"},
	}
}

func trimSlash(p string) string {
	if len(p) > 0 && p[0] == '/' {
		return p[1:]
	}
	return p
}

// URL returns the URL of a fresh, fully migrated database.
func URL(t testing.TB) string {
	t.Helper()
	Require(t)
	return pgtestdb.Custom(t, config(t), migrator{}).URL()
}

// EmptyURL returns the URL of a fresh database with nothing in it.
func EmptyURL(t testing.TB) string {
	t.Helper()
	Require(t)
	return pgtestdb.Custom(t, config(t), pgtestdb.NoopMigrator{}).URL()
}

// Pool returns a pool on a fresh, fully migrated database, closed at cleanup.
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return Connect(t, URL(t))
}

// Connect opens a pool on url and closes it when the test ends.
func Connect(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// Admin returns a pool on the server's maintenance database, for tests that
// drop or terminate other databases.
func Admin(t testing.TB) *pgxpool.Pool {
	t.Helper()
	Require(t)
	return Connect(t, ServerURL())
}

// migrator builds pgtestdb's template with the service's real migrations.
type migrator struct{}

func (migrator) Hash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	// River's migrations are part of the state; its module version pins them.
	h.Write([]byte(riverVersion()))
	return hex.EncodeToString(h.Sum(nil))[:16], err
}

func (migrator) Migrate(ctx context.Context, _ *sql.DB, conf pgtestdb.Config) error {
	pool, err := pgxpool.New(ctx, conf.URL())
	if err != nil {
		return err
	}
	defer pool.Close()
	_, err = dbmigrate.Migrate(ctx, pool, slog.New(slog.DiscardHandler))
	return err
}
