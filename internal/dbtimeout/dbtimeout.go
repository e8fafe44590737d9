// Package dbtimeout gives the service's database connections their
// statement_timeout and lock_timeout: short ones while an HTTP request uses
// a connection, so that a request facing a held lock or a runaway query
// fails with a clear error instead of hanging, and longer ones for
// everything else (sweeps, hint passes, River's own queries, migrations run
// by `serve` in development), whose merges and lock waits at VESPA scale
// take minutes.
//
// The HTTP layer marks a request's context with ForRequest; the pool's
// PrepareConn hook (Configure) then sets the request timeouts on the
// connection it hands out, and sets the background ones back when an
// unmarked context takes it next. Each connection remembers its mode, so
// a SET is sent only when the mode changes.
package dbtimeout

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Timeouts are one mode's settings; 0 means no limit.
type Timeouts struct {
	Statement time.Duration
	Lock      time.Duration
}

// Config holds both modes.
type Config struct {
	// Request applies to connections used by an HTTP request.
	Request Timeouts
	// Background applies to every other use: sweeps, workers, migrations.
	Background Timeouts
}

type requestKey struct{}

// ForRequest marks ctx as an HTTP request's: the connections it acquires
// get Config.Request.
func ForRequest(ctx context.Context) context.Context {
	return context.WithValue(ctx, requestKey{}, true)
}

// IsRequest reports whether ctx was marked by ForRequest.
func IsRequest(ctx context.Context) bool {
	v, _ := ctx.Value(requestKey{}).(bool)
	return v
}

// modeKey is where a connection remembers its mode (pgconn CustomData).
const modeKey = "knacksync.dbtimeout.mode"

const (
	modeBackground = "background"
	modeRequest    = "request"
)

// Configure installs the hooks on pc. Connections start in background
// mode (AfterConnect) and switch when acquired for the other one
// (PrepareConn). Hooks already set on pc still run first.
//
// The settings are sent with set_config (one statement, both protocols),
// never as startup parameters, which PgBouncer refuses. Behind a
// transaction-mode pooler a session setting would leak to other clients:
// do not call Configure there.
func Configure(pc *pgxpool.Config, c Config) {
	afterConnect, prepare := pc.AfterConnect, pc.PrepareConn
	pc.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		if afterConnect != nil {
			if err := afterConnect(ctx, conn); err != nil {
				return err
			}
		}
		return apply(ctx, conn, modeBackground, c.Background)
	}
	pc.PrepareConn = func(ctx context.Context, conn *pgx.Conn) (bool, error) {
		if prepare != nil {
			if ok, err := prepare(ctx, conn); !ok || err != nil {
				return ok, err
			}
		}
		mode, t := modeBackground, c.Background
		if IsRequest(ctx) {
			mode, t = modeRequest, c.Request
		}
		if conn.PgConn().CustomData()[modeKey] == mode {
			return true, nil
		}
		if err := apply(ctx, conn, mode, t); err != nil {
			// The connection's state is unknown: drop it, fail the query.
			return false, err
		}
		return true, nil
	}
}

// apply sets t on conn and remembers mode.
func apply(ctx context.Context, conn *pgx.Conn, mode string, t Timeouts) error {
	_, err := conn.Exec(ctx, "SELECT set_config('statement_timeout', $1, false), set_config('lock_timeout', $2, false)",
		millis(t.Statement), millis(t.Lock))
	if err != nil {
		return fmt.Errorf("set %s database timeouts: %w", mode, err)
	}
	conn.PgConn().CustomData()[modeKey] = mode
	return nil
}

// millis is d in Postgres's unit for both settings (milliseconds).
func millis(d time.Duration) string {
	return strconv.FormatInt(d.Milliseconds(), 10)
}

// Postgres's codes for the two timeouts.
const (
	codeLockNotAvailable = "55P03" // lock_timeout
	codeQueryCanceled    = "57014" // statement_timeout, or a cancel request
)

// IsTimeout reports whether err is Postgres giving up on a statement for
// lock_timeout or statement_timeout, and which ("lock_timeout",
// "statement_timeout").
func IsTimeout(err error) (which string, ok bool) {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return "", false
	}
	switch pgErr.Code {
	case codeLockNotAvailable:
		return "lock_timeout", true
	case codeQueryCanceled:
		// A cancelled context also ends in 57014 ("due to user request").
		if strings.Contains(pgErr.Message, "statement timeout") {
			return "statement_timeout", true
		}
	}
	return "", false
}
