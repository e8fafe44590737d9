package dbmigrate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TransactionPoolerPort is the port of Supabase's transaction pooler
// (Supavisor and the dedicated PgBouncer alike); its session pooler and
// direct connections use 5432.
const TransactionPoolerPort = "6543"

// ServerFacts is what the database server said about itself that can tell
// a transaction pooler from Postgres. The zero value means "not asked".
type ServerFacts struct {
	// PoolMode is PgBouncer's answer to SHOW pool_mode ("session",
	// "transaction", "statement"); empty when the command failed, as it
	// does on Postgres.
	PoolMode string
	// Pooler is the answer to SHOW VERSION when it names PgBouncer; empty
	// on Postgres (which has no such setting).
	Pooler string
	// Notify is the outcome of a LISTEN/NOTIFY round trip, the very thing
	// River's listener needs and a transaction pooler breaks.
	Notify NotifyProbe
}

// NotifyProbe is the outcome of a LISTEN/NOTIFY round trip.
type NotifyProbe int

// Outcomes of a LISTEN/NOTIFY round trip.
const (
	NotifyUntested NotifyProbe = iota
	NotifyWorks
	NotifyLost // the notification never arrived
)

// notifyWait is how long ProbeServer waits for its own notification. On
// Postgres it arrives within milliseconds.
const notifyWait = 3 * time.Second

// ProbeServer asks the server behind pool what it is. Every question is
// best effort: a failed one leaves its fact empty. It takes up to a few
// seconds when LISTEN/NOTIFY is broken, and never changes the database.
func ProbeServer(ctx context.Context, pool *pgxpool.Pool) ServerFacts {
	var f ServerFacts
	// Both commands exist only on PgBouncer's console; on Postgres they
	// fail with "unrecognized configuration parameter", which is fine.
	var mode string
	if err := pool.QueryRow(ctx, "SHOW pool_mode").Scan(&mode); err == nil {
		f.PoolMode = strings.ToLower(strings.TrimSpace(mode))
	}
	var version string
	if err := pool.QueryRow(ctx, "SHOW VERSION").Scan(&version); err == nil && strings.Contains(strings.ToLower(version), "pgbouncer") {
		f.Pooler = strings.TrimSpace(version)
	}
	f.Notify = probeNotify(ctx, pool)
	return f
}

// probeNotify LISTENs on one connection and NOTIFYs from another. Behind
// a transaction pooler the LISTEN lands on whichever server connection
// ran that one statement, so the notification never reaches this client.
func probeNotify(ctx context.Context, pool *pgxpool.Pool) NotifyProbe {
	var b [8]byte
	_, _ = rand.Read(b[:])
	channel := "knacksync_probe_" + hex.EncodeToString(b[:])

	conn, err := pool.Acquire(ctx)
	if err != nil {
		return NotifyUntested
	}
	// The listening connection leaves the pool: nobody else should get a
	// session with a LISTEN on it, or one whose wait was interrupted.
	raw := conn.Hijack()
	defer raw.Close(context.WithoutCancel(ctx))
	if _, err := raw.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return NotifyUntested
	}
	if _, err := pool.Exec(ctx, "SELECT pg_notify($1, 'probe')", channel); err != nil {
		return NotifyUntested
	}
	wctx, cancel := context.WithTimeout(ctx, notifyWait)
	defer cancel()
	n, err := raw.WaitForNotification(wctx)
	switch {
	case err == nil && n.Channel == channel:
		return NotifyWorks
	case errors.Is(wctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
		return NotifyLost
	}
	return NotifyUntested
}

// PoolerMode reports whether databaseURL leads to a transaction pooler, on
// which River cannot LISTEN and must run poll-only, and why it thinks so.
// facts is what ProbeServer learnt from the server; the zero ServerFacts
// decides from the URL alone (port 6543, pgbouncer=true). Where the signs
// disagree it leans to "transaction pooler": polling costs latency, while
// a listener behind a transaction pooler silently misses jobs.
func PoolerMode(databaseURL string, facts ServerFacts) (transactionPooler bool, reason string) {
	switch facts.PoolMode {
	case "transaction", "statement":
		return true, "the server reports pool_mode=" + facts.PoolMode
	case "session":
		return false, "session pooler (the server reports pool_mode=session)"
	}
	if facts.Notify == NotifyLost {
		return true, "a LISTEN/NOTIFY round trip lost its notification"
	}
	supabase := false
	if u, err := url.Parse(databaseURL); err == nil {
		if strings.EqualFold(u.Query().Get("pgbouncer"), "true") {
			return true, "DATABASE_URL has pgbouncer=true"
		}
		// A URL may list several hosts: "h1:6543,h2:6543".
		for _, hp := range strings.Split(u.Host, ",") {
			host, port, err := net.SplitHostPort(hp)
			if err != nil {
				host, port = hp, ""
			}
			onSupabase := strings.HasSuffix(strings.ToLower(host), "pooler.supabase.com")
			supabase = supabase || onSupabase
			if port == TransactionPoolerPort {
				if onSupabase {
					return true, "Supabase, port " + TransactionPoolerPort
				}
				return true, "port " + TransactionPoolerPort
			}
		}
	}
	if facts.Pooler != "" {
		return true, facts.Pooler + ", pool mode unknown"
	}
	if supabase {
		return false, "Supabase session pooler"
	}
	if facts.Notify == NotifyWorks {
		return false, "direct connection or session pooler (LISTEN/NOTIFY works)"
	}
	return false, "direct connection or session pooler (judged from the URL)"
}
