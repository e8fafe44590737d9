package config

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(getenv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 8080 || c.Env != EnvDevelopment || c.KnackRateLimit != 10 || c.SyncCron != "0 2 * * *" ||
		c.KnackAPIURL != "https://api.knack.com/v1" || c.DatabaseURL != DefaultDatabaseURL || c.SyncMaxDeleteRatio != 0.05 {
		t.Errorf("unexpected defaults: %+v", c)
	}
}

func TestLoadProblems(t *testing.T) {
	t.Parallel()
	prod := map[string]string{
		"APP_ENV": "production", "WEBHOOK_SECRET": "0123456789abcdef", "ADMIN_USER": "admin", "ADMIN_PASSWORD": "correct-horse-battery",
		"KNACK_APP_ID": "app", "KNACK_API_KEY": "key",
	}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name string
		env  map[string]string
		want []string // substrings, one per expected problem line
	}{
		{"valid production", prod, nil},
		{"bad port", with(nil, "PORT", "http"), []string{"PORT:"}},
		{"port out of range", with(nil, "PORT", "70000"), []string{"PORT:"}},
		{"bad env", with(nil, "APP_ENV", "staging"), []string{"APP_ENV:"}},
		{"bad rate", with(nil, "KNACK_RATE_LIMIT", "0"), []string{"KNACK_RATE_LIMIT:"}},
		{"bad ratio", with(nil, "SYNC_MAX_DELETE_RATIO", "1.5"), []string{"SYNC_MAX_DELETE_RATIO:"}},
		{"bad cron", with(nil, "SYNC_CRON", "every night"), []string{"SYNC_CRON:"}},
		{"bad database url", with(nil, "DATABASE_URL", "mysql://x"), []string{"DATABASE_URL:"}},
		{"bad knack url", with(nil, "KNACK_API_URL", "api.knack.com"), []string{"KNACK_API_URL:"}},
		{"half knack credentials", with(nil, "KNACK_APP_ID", "x"), []string{"KNACK_APP_ID and KNACK_API_KEY"}},
		{"half admin credentials", with(nil, "ADMIN_USER", "x"), []string{"ADMIN_USER and ADMIN_PASSWORD"}},
		{"smtp without addresses", with(nil, "SMTP_URL", "smtp://u:p@mail.example:587"), []string{"REPORT_FROM and REPORT_TO"}},
		{"bad smtp", with(nil, "SMTP_URL", "mail.example", "REPORT_FROM", "a@x.example", "REPORT_TO", "b@x.example"), []string{"SMTP_URL:"}},
		{"bad sentry dsn", with(nil, "SENTRY_DSN", "https://sentry.example/1"), []string{"SENTRY_DSN:"}},
		{"bad poll fields", with(nil, "SYNC_POLL_FIELDS", "object_10=field_1"), []string{"SYNC_POLL_FIELDS:"}},
		{"poll too often", with(nil, "SYNC_POLL_INTERVAL", "1s"), []string{"SYNC_POLL_INTERVAL:"}},
		{"production without secrets", map[string]string{"APP_ENV": "production"}, []string{
			"WEBHOOK_SECRET: required", "ADMIN_USER: required", "ADMIN_PASSWORD: required", "KNACK_APP_ID: required", "KNACK_API_KEY: required",
		}},
		{"production short secret", with(prod, "WEBHOOK_SECRET", "short"), []string{"WEBHOOK_SECRET: use at least 16"}},
		{"several at once", with(nil, "PORT", "x", "APP_ENV", "y"), []string{"PORT:", "APP_ENV:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(getenv(tt.env))
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("want no error, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want errors %q, got none", tt.want)
			}
			var lines lineErrors
			if !errors.As(err, &lines) || len(lines) != len(tt.want) {
				t.Fatalf("want %d problems, got: %v", len(tt.want), err)
			}
			for i, w := range tt.want {
				if !strings.Contains(lines[i].Error(), w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, lines[i], w)
				}
			}
		})
	}
}

func TestLogValueRedactsSecrets(t *testing.T) {
	t.Parallel()
	secrets := map[string]string{
		"DATABASE_URL":   "postgres://app:dbpass-123@db.example:5432/app",
		"KNACK_APP_ID":   "app",
		"KNACK_API_KEY":  "knack-key-123",
		"WEBHOOK_SECRET": "hook-secret-123",
		"ADMIN_USER":     "admin",
		"ADMIN_PASSWORD": "admin-pass-123",
		"SENTRY_DSN":     "https://sentrykey123@o1.ingest.sentry.example/42",
		"SMTP_URL":       "smtp://mailer:smtp-pass-123@mail.example:587",
		"REPORT_FROM":    "sync@x.example", "REPORT_TO": "ops@x.example",
	}
	c, err := Load(getenv(secrets))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("configuration", slog.Any("config", c))
	out := buf.String()
	for _, s := range []string{"dbpass-123", "knack-key-123", "hook-secret-123", "admin-pass-123", "sentrykey123", "smtp-pass-123"} {
		if strings.Contains(out, s) {
			t.Errorf("log contains secret %q: %s", s, out)
		}
	}
	for _, s := range []string{"db.example:5432", "mail.example:587", "o1.ingest.sentry.example", fmt.Sprint("admin_user=admin")} {
		if !strings.Contains(out, s) {
			t.Errorf("log lacks %q: %s", s, out)
		}
	}
}

func TestLoadPollFields(t *testing.T) {
	t.Parallel()
	c, err := Load(getenv(map[string]string{"SYNC_POLL_FIELDS": " object_10:field_9001, object_29:field_9002 ", "SYNC_POLL_INTERVAL": "2m"}))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"object_10": "field_9001", "object_29": "field_9002"}
	if fmt.Sprint(c.PollFields) != fmt.Sprint(want) || c.PollInterval != 2*time.Minute || c.PollMargin != 2*time.Hour {
		t.Errorf("poll config = %v %v %v", c.PollFields, c.PollInterval, c.PollMargin)
	}
}

// Production refuses a short admin password: the status page and River UI
// face the internet.
func TestProductionAdminPasswordLength(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"APP_ENV": "production", "WEBHOOK_SECRET": "0123456789abcdef", "ADMIN_USER": "admin",
		"KNACK_APP_ID": "5b0c1d2e3f4a5b6c7d8e9f00", "KNACK_API_KEY": "0a1b2c3d-0000-0000-0000-000000000000",
	}
	for _, tt := range []struct {
		password string
		ok       bool
	}{{"x", false}, {"elevenchars", false}, {"twelve-chars", true}} {
		env["ADMIN_PASSWORD"] = tt.password
		_, err := Load(func(k string) string { return env[k] })
		if got := err == nil; got != tt.ok {
			t.Errorf("ADMIN_PASSWORD of %d characters: error %v, want accepted=%v", len(tt.password), err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "ADMIN_PASSWORD: use at least 12 characters") {
			t.Errorf("error %q does not say why", err)
		}
	}
}
