package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"knacksync/internal/dbtest"
)

func TestServeHealthAndReadiness(t *testing.T) {
	t.Parallel()
	dbURL := dbtest.URL(t)
	srv, line := start(t, map[string]string{"DATABASE_URL": dbURL, "PORT": "0"}, "serve", "--addr", "127.0.0.1:0")
	base := strings.TrimPrefix(line, "knacksync serving on ")
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("first line = %q", line)
	}

	if code, body := get(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d %s", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d %s", code, body)
	}

	// The database goes away: the process is still alive, but not ready.
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dbtest.Admin(t).Exec(context.Background(), "DROP DATABASE "+pgx.Identifier{cfg.Database}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, base+"/readyz"); code != http.StatusServiceUnavailable || strings.Contains(body, "127.0.0.1") {
		t.Errorf("/readyz without database = %d %s, want 503 without details", code, body)
	}
	if code, _ := get(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz without database = %d, want 200", code)
	}

	if err := srv.stop(t); err != nil {
		t.Errorf("serve returned %v after SIGTERM, want nil", err)
	}
	if !strings.Contains(srv.stderr.String(), "msg=stopped") {
		t.Errorf("no graceful stop logged:\n%s", srv.stderr)
	}
}

func TestServeNotReadyUntilMigrated(t *testing.T) {
	t.Parallel()
	// Production never migrates on start (the release command does).
	env := map[string]string{
		"DATABASE_URL": dbtest.EmptyURL(t), "APP_ENV": "production",
		"WEBHOOK_SECRET": "0123456789abcdef0123", "ADMIN_USER": "admin", "ADMIN_PASSWORD": "admin-password-1",
		"KNACK_APP_ID": "app", "KNACK_API_KEY": "key",
	}
	srv, line := start(t, env, "serve", "--addr", "127.0.0.1:0")
	base := strings.TrimPrefix(line, "knacksync serving on ")
	if code, _ := get(t, base+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz before migrate = %d, want 503", code)
	}

	var out syncBuffer
	if err := run(context.Background(), []string{"server", "migrate"}, mapEnv(env), strings.NewReader(""), &out, &syncBuffer{}); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after migrate = %d, want 200", code)
	}
	if err := srv.stop(t); err != nil {
		t.Error(err)
	}
}

func TestMigrateCommandTwice(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": dbtest.EmptyURL(t)}
	var first, second syncBuffer
	if err := run(context.Background(), []string{"server", "migrate"}, mapEnv(env), strings.NewReader(""), &first, &syncBuffer{}); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"server", "migrate"}, mapEnv(env), strings.NewReader(""), &second, &syncBuffer{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(first.String(), "migrate: applied") || second.String() != "migrate: already current, nothing to do\n" {
		t.Errorf("first: %q\nsecond: %q", first.String(), second.String())
	}
}

func TestRunRejectsBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"no command", []string{"server"}, nil, "no command"},
		{"unknown command", []string{"server", "frobnicate"}, nil, `unknown command "frobnicate"`},
		{"bad config", []string{"server", "migrate"}, map[string]string{"PORT": "x", "APP_ENV": "prod"}, "PORT:"},
		{"production without secrets", []string{"server", "serve"}, map[string]string{"APP_ENV": "production"}, "WEBHOOK_SECRET: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := run(context.Background(), tt.args, mapEnv(tt.env), strings.NewReader(""), &syncBuffer{}, &syncBuffer{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
