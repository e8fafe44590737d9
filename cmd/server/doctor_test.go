package main

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"knacksync/internal/config"
	"knacksync/internal/dbtest"
	"knacksync/internal/knacksim"
	"knacksync/internal/knacksim/vespagen"
)

// doctorBundle is a setup `server doctor` is pointed at: a simulator with
// the VESPA schema and tiny data, and a migrated database.
type doctorBundle struct {
	sim     *knacksim.Server
	dbURL   string
	env     map[string]string
	records int // records in the dataset, all objects
}

// doctorSetup builds a setup that passes every check; edit modifies the
// dataset (its schema) before the simulator starts.
func doctorSetup(t *testing.T, simOpts knacksim.Options, edit func(*knacksim.Dataset)) *doctorBundle {
	t.Helper()
	ds, err := vespagen.Generate(vespagen.Tiny, 5, time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(ds)
	}
	b := &doctorBundle{dbURL: dbtest.URL(t)}
	for _, recs := range ds.Records {
		b.records += len(recs)
	}
	simOpts.Dataset = ds
	simOpts.RatePerSecond = -1
	if simOpts.DailyQuota == 0 {
		simOpts.DailyQuota = 1000
	}
	b.sim = knacksim.Start(t, simOpts)
	b.env = map[string]string{
		"DATABASE_URL":   b.dbURL,
		"KNACK_API_URL":  b.sim.URL(),
		"KNACK_APP_ID":   b.sim.AppID(),
		"KNACK_API_KEY":  b.sim.APIKey(),
		"WEBHOOK_SECRET": "doctor-webhook-secret-0123456789",
		"ADMIN_USER":     "admin",
		"ADMIN_PASSWORD": "admin-password",
		"SMTP_URL":       "smtp://mailer:smtp-password@127.0.0.1:2525",
		"REPORT_FROM":    "sync@example.org",
		"REPORT_TO":      "ops@example.org",
		"SENTRY_DSN":     "https://sentrykey@sentry.example.org/42",
	}
	return b
}

// want is the report of the good setup, by check name, in order; the
// cases below replace some lines.
func (b *doctorBundle) want() []string {
	return []string{
		"OK   config: valid (APP_ENV=development, Knack app " + b.sim.AppID() + " at " + b.sim.URL() + ")",
		"OK   database: " + config.RedactURL(b.dbURL) + ": PostgreSQL <version> (connected in <duration>)",
		"OK   migrations: service and River migrations all applied (service schema at version <n>)",
		"OK   river: knacksync.river_job present, River schema at version <n>",
		"OK   statistics: no derived rows kept from before knacksync: every row is recomputed from the base tables",
		"OK   pooler: direct connection or session pooler (LISTEN/NOTIFY works): River can LISTEN for new jobs",
		"OK   knack: KNACK_API_KEY works: read a page of object_2 (4 records) from " + b.sim.URL() + " in <duration>",
		`OK   fields: all 170 mapped fields of 7 objects exist in app "VESPA Academy" with the expected types`,
		fmt.Sprintf("OK   quota: 993 of 1000 requests left today; a full sweep costs about 7 requests (%d records in 7 objects)", b.records),
		"OK   webhook: WEBHOOK_SECRET is set",
		"OK   admin: ADMIN_USER=admin and ADMIN_PASSWORD are set",
		"OK   email: reports from sync@example.org to ops@example.org via smtp://mailer:xxxxx@127.0.0.1:2525",
		"OK   sentry: alerts go to https://xxxxx@sentry.example.org/42",
	}
}

// replace swaps the lines of the named checks ("knack" replaces the line
// that starts "…  knack: ") for the given ones, which may be several.
func replace(lines []string, with map[string][]string) []string {
	var out []string
	for _, l := range lines {
		name := strings.TrimSpace(l[5:strings.Index(l, ":")])
		if repl, ok := with[name]; ok {
			out = append(out, repl...)
			continue
		}
		out = append(out, l)
	}
	return out
}

var (
	maskDuration = regexp.MustCompile(`\b[0-9]+(\.[0-9]+)?(ns|µs|ms|s)\b`)
	maskVersion  = regexp.MustCompile(`PostgreSQL [0-9]+(\.[0-9]+)*`)
	maskNumber   = regexp.MustCompile(`at version [0-9]+`)
)

// mask hides what changes from run to run or machine to machine.
func mask(line string) string {
	line = maskVersion.ReplaceAllString(line, "PostgreSQL <version>")
	line = maskDuration.ReplaceAllString(line, "<duration>")
	return maskNumber.ReplaceAllString(line, "at version <n>")
}

// runDoctorCmd runs `server doctor` and returns its masked lines.
func runDoctorCmd(t *testing.T, env map[string]string, args ...string) ([]string, error) {
	t.Helper()
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := run(ctx, append([]string{"server", "doctor"}, args...), mapEnv(env), strings.NewReader(""), &stdout, &stderr)
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n") {
		lines = append(lines, mask(l))
	}
	for _, secret := range []string{"db-password", "smtp-password", "sentrykey", "admin-password", "doctor-webhook-secret"} {
		if strings.Contains(stdout.String(), secret) || strings.Contains(stderr.String(), secret) {
			t.Errorf("the output shows the secret %q:\n%s\n%s", secret, stdout.String(), stderr.String())
		}
	}
	return lines, err
}

func TestDoctorGoodSetup(t *testing.T) {
	t.Parallel()
	b := doctorSetup(t, knacksim.Options{}, nil)
	got, err := runDoctorCmd(t, b.env)
	if err != nil {
		t.Errorf("doctor = %v, want nil", err)
	}
	if diff := cmp.Diff(b.want(), got); diff != "" {
		t.Errorf("report mismatch (-want +got):\n%s", diff)
	}
}

func TestDoctorFindsProblems(t *testing.T) {
	t.Parallel()
	skipped := func(why string, names ...string) map[string][]string {
		m := map[string][]string{}
		for _, n := range names {
			m[n] = []string{fmt.Sprintf("WARN %s: skipped: %s", n, why)}
		}
		return m
	}
	merge := func(ms ...map[string][]string) map[string][]string {
		out := map[string][]string{}
		for _, m := range ms {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	tests := []struct {
		name    string
		args    []string
		simOpts knacksim.Options
		edit    func(*knacksim.Dataset)
		env     func(b *doctorBundle, env map[string]string)
		lines   func(b *doctorBundle) map[string][]string
		wantErr string // "" for none
	}{
		{
			name: "field map out of step with the app",
			edit: func(ds *knacksim.Dataset) {
				for i := range ds.Schema.Objects {
					o := &ds.Schema.Objects[i]
					switch o.Key {
					case "object_10":
						for j := range o.Fields {
							switch o.Fields[j].Key {
							case "field_197":
								o.Fields[j].Type = "short_text"
							case "field_133":
								o.Fields[j].Relationship.Object = "object_3"
							}
						}
					case "object_29":
						o.Fields = slices.DeleteFunc(o.Fields, func(f knacksim.Field) bool { return f.Key == "field_2732" })
					}
				}
			},
			lines: func(*doctorBundle) map[string][]string {
				return map[string][]string{"fields": {
					"FAIL fields: object_10.field_197: expected email, found short_text",
					"FAIL fields: object_10.field_133: expected a connection to object_2, found one to object_3",
					"FAIL fields: object_29.field_2732: missing (expected email)",
				}}
			},
			wantErr: "doctor: 1 check failed",
		},
		{
			name: "bad API key",
			env:  func(_ *doctorBundle, env map[string]string) { env["KNACK_API_KEY"] = "not-the-key" },
			lines: func(*doctorBundle) map[string][]string {
				return merge(
					map[string][]string{"knack": {"FAIL knack: KNACK_API_KEY rejected: HTTP 401 Unauthorized: Invalid API Key"}},
					skipped("the Knack credentials check failed", "quota"),
				)
			},
			wantErr: "doctor: 1 check failed",
		},
		{
			name: "bad application id",
			env:  func(_ *doctorBundle, env map[string]string) { env["KNACK_APP_ID"] = "000000000000000000000000" },
			lines: func(*doctorBundle) map[string][]string {
				return merge(
					map[string][]string{
						"config": {"OK   config: valid (APP_ENV=development, Knack app 000000000000000000000000 at <url>)"},
						"knack":  {"FAIL knack: KNACK_APP_ID rejected: HTTP 401 Unauthorized: Invalid Application ID"},
						"fields": {"FAIL fields: knack: schema of app 000000000000000000000000: HTTP 404 Not Found: Application not found"},
					},
					skipped("the Knack credentials check failed", "quota"),
				)
			},
			wantErr: "doctor: 2 checks failed",
		},
		{
			name: "transaction pooler URL",
			env: func(_ *doctorBundle, env map[string]string) {
				// Nothing listens there: the pooler check must judge from
				// the URL alone.
				env["DATABASE_URL"] = "postgres://postgres:db-password@127.0.0.1:6543/knacksync?sslmode=disable"
			},
			lines: func(*doctorBundle) map[string][]string {
				return merge(
					map[string][]string{
						"database": {"FAIL database: postgres://postgres:xxxxx@127.0.0.1:6543/knacksync?sslmode=disable: failed to connect to `user=postgres database=knacksync`: <error>"},
						"pooler":   {"WARN pooler: transaction pooler (port 6543): River runs poll-only (no LISTEN/NOTIFY); use the session pooler (port 5432) or a direct connection for prompt jobs"},
					},
					skipped("the database is unreachable", "migrations", "river", "statistics"),
				)
			},
			wantErr: "doctor: 1 check failed",
		},
		{
			name: "unmigrated database",
			env:  func(_ *doctorBundle, env map[string]string) { env["DATABASE_URL"] = dbtest.EmptyURL(t) },
			lines: func(*doctorBundle) map[string][]string {
				return map[string][]string{
					"database":   {"OK   database: <url>: PostgreSQL <version> (connected in <duration>)"},
					"migrations": {"FAIL migrations: no migrations applied (knacksync.schema_migrations does not exist): run `server migrate`"},
					"river":      {"FAIL river: knacksync.river_job does not exist: run `server migrate`"},
					"statistics": {"WARN statistics: not checked: the statistics tables do not exist yet (run `server migrate`)"},
				}
			},
			wantErr: "doctor: 2 checks failed",
		},
		{
			name:    "Knack too slow",
			args:    []string{"--timeout", "300ms"},
			simOpts: knacksim.Options{Latency: 2 * time.Second},
			lines: func(b *doctorBundle) map[string][]string {
				return merge(
					map[string][]string{
						"knack":  {"FAIL knack: reading object_2 at <url>: knack: list object_2 page 1: context deadline exceeded (the check timed out after <duration>)"},
						"fields": {"FAIL fields: knack: schema of app " + b.sim.AppID() + ": context deadline exceeded (the check timed out after <duration>)"},
					},
					skipped("the Knack credentials check failed", "quota"),
				)
			},
			wantErr: "doctor: 2 checks failed",
		},
		{
			name:    "quota nearly spent",
			simOpts: knacksim.Options{DailyQuota: 12},
			lines: func(b *doctorBundle) map[string][]string {
				return map[string][]string{"quota": {fmt.Sprintf(
					"WARN quota: 5 of 12 requests left today: not enough for one full sweep, which costs about 7 requests (%d records in 7 objects)", b.records)}}
			},
		},
		{
			name: "secrets and integrations missing",
			env: func(_ *doctorBundle, env map[string]string) {
				env["WEBHOOK_SECRET"] = "short"
				for _, k := range []string{"ADMIN_USER", "ADMIN_PASSWORD", "SMTP_URL", "REPORT_FROM", "REPORT_TO", "SENTRY_DSN"} {
					delete(env, k)
				}
			},
			lines: func(*doctorBundle) map[string][]string {
				return map[string][]string{
					"webhook": {"WARN webhook: WEBHOOK_SECRET is shorter than 16 characters: use a longer one"},
					"admin":   {"WARN admin: ADMIN_USER and ADMIN_PASSWORD are not set: the status page and River UI answer loopback clients only, unauthenticated (development only)"},
					"email":   {"WARN email: SMTP_URL is not set: no e-mail report"},
					"sentry":  {"WARN sentry: SENTRY_DSN is not set: no alerts"},
				}
			},
		},
		{
			name: "invalid configuration",
			env: func(_ *doctorBundle, env map[string]string) {
				env["PORT"] = "eighty"
				env["SYNC_CRON"] = "nightly"
			},
			lines: func(*doctorBundle) map[string][]string {
				return merge(
					map[string][]string{"config": {`FAIL config: PORT: "eighty" is not a port number (0-65535); SYNC_CRON: "nightly" is not a cron schedule: expected exactly 5 fields, found 1: [nightly]`}},
					skipped("the configuration is invalid", "database", "migrations", "river", "statistics", "pooler", "knack", "fields", "quota", "webhook", "admin", "email", "sentry"),
				)
			},
			wantErr: "doctor: 1 check failed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := doctorSetup(t, tt.simOpts, tt.edit)
			if tt.env != nil {
				tt.env(b, b.env)
			}
			got, err := runDoctorCmd(t, b.env, tt.args...)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("doctor = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Errorf("doctor = %v, want %q", err, tt.wantErr)
			}
			want := replace(b.want(), tt.lines(b))
			// Lines whose middle depends on the machine: compare what
			// the expectation spells out around the placeholder.
			for i := range got {
				if i < len(want) {
					got[i] = unmaskPlaceholders(want[i], got[i])
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("report mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// unmaskPlaceholders returns want when got matches it with <url> standing
// for any URL and <error> for any text to the end of the line; else got.
func unmaskPlaceholders(want, got string) string {
	if !strings.Contains(want, "<url>") && !strings.Contains(want, "<error>") {
		return got
	}
	pattern := regexp.QuoteMeta(want)
	pattern = strings.ReplaceAll(pattern, "<url>", `\S+`)
	pattern = strings.ReplaceAll(pattern, "<error>", `.+`)
	if regexp.MustCompile("^" + pattern + "$").MatchString(got) {
		return want
	}
	return got
}
