package dbmigrate_test

import (
	"context"
	"testing"

	"knacksync/internal/dbmigrate"
	"knacksync/internal/dbtest"
)

func TestPoolerMode(t *testing.T) {
	t.Parallel()
	const direct = "postgres://postgres:pw@db.abcdefghij.supabase.co:5432/postgres"
	tests := []struct {
		name   string
		url    string
		facts  dbmigrate.ServerFacts
		wantTx bool
		reason string
	}{
		{"local, not asked", "postgres://postgres@127.0.0.1:5432/knacksync", dbmigrate.ServerFacts{}, false, "direct connection or session pooler (judged from the URL)"},
		{"no port", "postgres://postgres@localhost/knacksync", dbmigrate.ServerFacts{}, false, "direct connection or session pooler (judged from the URL)"},
		{"Supabase direct", direct, dbmigrate.ServerFacts{Notify: dbmigrate.NotifyWorks}, false, "direct connection or session pooler (LISTEN/NOTIFY works)"},
		{"Supabase session pooler", "postgres://postgres.ref:pw@aws-0-eu-west-2.pooler.supabase.com:5432/postgres", dbmigrate.ServerFacts{}, false, "Supabase session pooler"},
		{"Supabase transaction pooler", "postgres://postgres.ref:pw@aws-0-eu-west-2.pooler.supabase.com:6543/postgres", dbmigrate.ServerFacts{}, true, "Supabase, port 6543"},
		{"Supabase host in capitals", "postgres://u:pw@AWS-0-EU-WEST-2.POOLER.SUPABASE.COM:6543/postgres", dbmigrate.ServerFacts{}, true, "Supabase, port 6543"},
		{"dedicated PgBouncer on 6543", "postgres://u:pw@db.abcdefghij.supabase.co:6543/postgres", dbmigrate.ServerFacts{}, true, "port 6543"},
		{"any host on 6543", "postgresql://u@10.0.0.5:6543/db?sslmode=require", dbmigrate.ServerFacts{}, true, "port 6543"},
		{"several hosts, one on 6543", "postgres://u@h1:5432,h2:6543/db", dbmigrate.ServerFacts{}, true, "port 6543"},
		{"pgbouncer=true", "postgres://u@db.example.org:5432/db?pgbouncer=true", dbmigrate.ServerFacts{}, true, "DATABASE_URL has pgbouncer=true"},
		{"port 6543 in the path is no port", "postgres://u@db.example.org:5432/6543", dbmigrate.ServerFacts{}, false, "direct connection or session pooler (judged from the URL)"},
		{"server says transaction", direct, dbmigrate.ServerFacts{PoolMode: "transaction"}, true, "the server reports pool_mode=transaction"},
		{"server says statement", direct, dbmigrate.ServerFacts{PoolMode: "statement"}, true, "the server reports pool_mode=statement"},
		// The server knows its mode better than a port number does.
		{"server says session on 6543", "postgres://u@h:6543/db", dbmigrate.ServerFacts{PoolMode: "session"}, false, "session pooler (the server reports pool_mode=session)"},
		{"PgBouncer, mode unknown", direct, dbmigrate.ServerFacts{Pooler: "PgBouncer 1.22.1"}, true, "PgBouncer 1.22.1, pool mode unknown"},
		{"notification lost", direct, dbmigrate.ServerFacts{Notify: dbmigrate.NotifyLost}, true, "a LISTEN/NOTIFY round trip lost its notification"},
		// Polling is the safe side: a port-6543 URL stays a pooler even if
		// a round trip happened to work.
		{"notify works on 6543", "postgres://u@h:6543/db", dbmigrate.ServerFacts{Notify: dbmigrate.NotifyWorks}, true, "port 6543"},
		{"unparseable URL", "postgres://u@h:port/db\x7f", dbmigrate.ServerFacts{}, false, "direct connection or session pooler (judged from the URL)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tx, reason := dbmigrate.PoolerMode(tt.url, tt.facts)
			if tx != tt.wantTx || reason != tt.reason {
				t.Errorf("dbmigrate.PoolerMode(%q, %+v) = %v, %q; want %v, %q", tt.url, tt.facts, tx, reason, tt.wantTx, tt.reason)
			}
		})
	}
}

func TestProbeServerOnPostgres(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	got := dbmigrate.ProbeServer(context.Background(), pool)
	if want := (dbmigrate.ServerFacts{Notify: dbmigrate.NotifyWorks}); got != want {
		t.Errorf("ProbeServer = %+v, want %+v", got, want)
	}
	// The pool still works, and the listening connection did not go back
	// into it.
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM pg_listening_channels()").Scan(&n); err != nil || n != 0 {
		t.Errorf("listening channels on a pooled connection: %d, %v", n, err)
	}
}
