package doctor

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"knacksync/internal/config"
	"knacksync/internal/dbtest"
	"knacksync/internal/knack"
	"knacksync/internal/knack/knacktest/vespagen"
	"knacksync/internal/vespa"
)

func TestPoolerMode(t *testing.T) {
	t.Parallel()
	const direct = "postgres://postgres:pw@db.abcdefghij.supabase.co:5432/postgres"
	tests := []struct {
		name   string
		url    string
		facts  ServerFacts
		wantTx bool
		reason string
	}{
		{"local, not asked", "postgres://postgres@127.0.0.1:5432/knacksync", ServerFacts{}, false, "direct connection or session pooler (judged from the URL)"},
		{"no port", "postgres://postgres@localhost/knacksync", ServerFacts{}, false, "direct connection or session pooler (judged from the URL)"},
		{"Supabase direct", direct, ServerFacts{Notify: NotifyWorks}, false, "direct connection or session pooler (LISTEN/NOTIFY works)"},
		{"Supabase session pooler", "postgres://postgres.ref:pw@aws-0-eu-west-2.pooler.supabase.com:5432/postgres", ServerFacts{}, false, "Supabase session pooler"},
		{"Supabase transaction pooler", "postgres://postgres.ref:pw@aws-0-eu-west-2.pooler.supabase.com:6543/postgres", ServerFacts{}, true, "Supabase, port 6543"},
		{"Supabase host in capitals", "postgres://u:pw@AWS-0-EU-WEST-2.POOLER.SUPABASE.COM:6543/postgres", ServerFacts{}, true, "Supabase, port 6543"},
		{"dedicated PgBouncer on 6543", "postgres://u:pw@db.abcdefghij.supabase.co:6543/postgres", ServerFacts{}, true, "port 6543"},
		{"any host on 6543", "postgresql://u@10.0.0.5:6543/db?sslmode=require", ServerFacts{}, true, "port 6543"},
		{"several hosts, one on 6543", "postgres://u@h1:5432,h2:6543/db", ServerFacts{}, true, "port 6543"},
		{"pgbouncer=true", "postgres://u@db.example.org:5432/db?pgbouncer=true", ServerFacts{}, true, "DATABASE_URL has pgbouncer=true"},
		{"port 6543 in the path is no port", "postgres://u@db.example.org:5432/6543", ServerFacts{}, false, "direct connection or session pooler (judged from the URL)"},
		{"server says transaction", direct, ServerFacts{PoolMode: "transaction"}, true, "the server reports pool_mode=transaction"},
		{"server says statement", direct, ServerFacts{PoolMode: "statement"}, true, "the server reports pool_mode=statement"},
		// The server knows its mode better than a port number does.
		{"server says session on 6543", "postgres://u@h:6543/db", ServerFacts{PoolMode: "session"}, false, "session pooler (the server reports pool_mode=session)"},
		{"PgBouncer, mode unknown", direct, ServerFacts{Pooler: "PgBouncer 1.22.1"}, true, "PgBouncer 1.22.1, pool mode unknown"},
		{"notification lost", direct, ServerFacts{Notify: NotifyLost}, true, "a LISTEN/NOTIFY round trip lost its notification"},
		// Polling is the safe side: a port-6543 URL stays a pooler even if
		// a round trip happened to work.
		{"notify works on 6543", "postgres://u@h:6543/db", ServerFacts{Notify: NotifyWorks}, true, "port 6543"},
		{"unparseable URL", "postgres://u@h:port/db\x7f", ServerFacts{}, false, "direct connection or session pooler (judged from the URL)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tx, reason := PoolerMode(tt.url, tt.facts)
			if tx != tt.wantTx || reason != tt.reason {
				t.Errorf("PoolerMode(%q, %+v) = %v, %q; want %v, %q", tt.url, tt.facts, tx, reason, tt.wantTx, tt.reason)
			}
		})
	}
}

// TestFieldMapMatchesGenerator cross-checks the reflective walk against
// the simulator's schema, which vespagen builds from the map member by
// member.
func TestFieldMapMatchesGenerator(t *testing.T) {
	t.Parallel()
	type field struct{ Object, Key, Type, Target string }
	var want []field
	for _, o := range vespagen.Schema().Objects {
		for _, f := range o.Fields {
			ff := field{Object: o.Key, Key: f.Key, Type: f.Type}
			if f.Relationship != nil {
				ff.Target = f.Relationship.Object
			}
			want = append(want, ff)
		}
	}
	var got []field
	for _, o := range FieldMap() {
		for _, f := range o.Fields {
			got = append(got, field{o.Key, f.Key, f.Type, f.Object})
		}
	}
	sortFields := func(fs []field) {
		slices.SortFunc(fs, func(a, b field) int { return cmp.Compare(a.Object+"."+a.Key, b.Object+"."+b.Key) })
	}
	sortFields(want)
	sortFields(got)
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("FieldMap mismatch (-vespagen +doctor):\n%s", diff)
	}
	if len(got) != 170 {
		t.Errorf("FieldMap has %d fields, want 170", len(got))
	}
}

func TestFieldProblem(t *testing.T) {
	t.Parallel()
	obj := knack.ObjectSchema{Key: "object_10", Fields: []knack.FieldSchema{
		{Key: "field_197", Type: "email"},
		{Key: "field_187", Type: "short_text"},
		{Key: "field_133", Type: "connection", Relationship: &knack.FieldRelationship{Object: "object_2"}},
		{Key: "field_134", Type: "connection"},
	}}
	tests := []struct {
		field vespa.Field
		want  string
	}{
		{vespa.Field{Key: "field_197", Type: vespa.TypeEmail}, ""},
		{vespa.Field{Key: "field_187", Type: vespa.TypeName}, "expected name, found short_text"},
		{vespa.Field{Key: "field_999", Type: vespa.TypeNumber}, "missing (expected number)"},
		{vespa.Field{Key: "field_133", Type: vespa.TypeConnection, Object: "object_2"}, ""},
		{vespa.Field{Key: "field_133", Type: vespa.TypeConnection, Object: "object_3"}, "expected a connection to object_3, found one to object_2"},
		{vespa.Field{Key: "field_134", Type: vespa.TypeConnection, Object: "object_2"}, "expected a connection to object_2, found one without a target object"},
	}
	for _, tt := range tests {
		if got := fieldProblem(obj, tt.field); got != tt.want {
			t.Errorf("fieldProblem(%+v) = %q, want %q", tt.field, got, tt.want)
		}
	}
}

func TestConfigProblems(t *testing.T) {
	t.Parallel()
	_, err := config.Load(func(k string) string {
		return map[string]string{"PORT": "x", "KNACK_APP_ID": "app"}[k]
	})
	got := configProblems(err)
	want := []string{
		`PORT: "x" is not a port number (0-65535)`,
		"KNACK_APP_ID and KNACK_API_KEY: set both or neither",
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if got := configProblems(errors.New("one\n  two")); !gocmp.Equal(got, []string{"one two"}) {
		t.Errorf("plain error: %q", got)
	}
}

func TestScrubber(t *testing.T) {
	t.Parallel()
	scrub := scrubber(config.Config{
		DatabaseURL:   "postgres://u:dbpass@h/db",
		KnackAPIKey:   "knack-key",
		WebhookSecret: "hook-secret",
		AdminPassword: "admin-pass",
		SMTPURL:       "smtp://m:smtppass@h:25",
		SentryDSN:     "https://sentrykey@o1.ingest.sentry.io/2",
	})
	in := "dbpass knack-key hook-secret admin-pass smtppass sentrykey plain"
	if got, want := scrub(in), "xxxxx xxxxx xxxxx xxxxx xxxxx xxxxx plain"; got != want {
		t.Errorf("scrub = %q, want %q", got, want)
	}
}

func TestProbeServerOnPostgres(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	got := ProbeServer(context.Background(), pool)
	if want := (ServerFacts{Notify: NotifyWorks}); got != want {
		t.Errorf("ProbeServer = %+v, want %+v", got, want)
	}
	// The pool still works, and the listening connection did not go back
	// into it.
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM pg_listening_channels()").Scan(&n); err != nil || n != 0 {
		t.Errorf("listening channels on a pooled connection: %d, %v", n, err)
	}
}
