// Package doctor checks that the service can run where it is deployed: the
// configuration, the database and its migrations, the connection pooler,
// the Knack credentials, every field id of the VESPA map against the app's
// schema, the quota left, and the secrets and integrations. Each check
// yields one or more result lines; a check that fails does not stop the
// others. The pooler detection it reports is dbmigrate.PoolerMode, which
// `server serve` uses too.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/config"
	"knacksync/internal/knack"
)

// Status is a result's verdict.
type Status string

// Statuses, in rising order of gravity.
const (
	OK   Status = "OK"
	Warn Status = "WARN"
	Fail Status = "FAIL"
)

// Result is one line of the doctor's report.
type Result struct {
	Status Status
	Name   string // the check: config, database, knack, ...
	Detail string
}

// String is the report line: "OK   name: detail".
func (r Result) String() string {
	return fmt.Sprintf("%-4s %s: %s", r.Status, r.Name, r.Detail)
}

// DefaultTimeout bounds one check.
const DefaultTimeout = 10 * time.Second

// Options tune a run. The zero value is usable.
type Options struct {
	// Timeout bounds each check (default DefaultTimeout).
	Timeout time.Duration
	// Logger gets the Knack client's own log lines (default: discarded).
	Logger *slog.Logger
	// HTTPClient sends the Knack requests (default: the client's own).
	HTTPClient *http.Client
}

// Run runs every check in order and hands each result to report as soon as
// it is known. It returns how many checks failed (had a FAIL line), or
// ctx's error when ctx ended first. cfgErr is config.Load's error: with it,
// the checks that need the configuration are skipped.
func Run(ctx context.Context, cfg config.Config, cfgErr error, opts Options, report func(Result)) (failed int, err error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &session{cfg: cfg, cfgErr: cfgErr, opts: opts, counts: map[string]int{}, scrub: scrubber(cfg)}
	defer s.close()
	for _, c := range checks() {
		var results []Result
		if why := c.skip(s); why != "" {
			results = []Result{{Warn, c.name, "skipped: " + why}}
		} else {
			cctx, cancel := context.WithTimeout(ctx, opts.Timeout)
			results = c.run(cctx, s)
			timedOut := errors.Is(cctx.Err(), context.DeadlineExceeded)
			cancel()
			if ctx.Err() != nil {
				return failed, ctx.Err()
			}
			if timedOut {
				for i := range results {
					if results[i].Status == Fail {
						results[i].Detail += fmt.Sprintf(" (the check timed out after %s)", opts.Timeout)
					}
				}
			}
		}
		checkFailed := false
		for _, r := range results {
			r.Name = c.name
			// One line per result, whatever an error message holds (pgx
			// puts each failed host on a line of its own).
			r.Detail = strings.Join(strings.Fields(r.Detail), " ")
			checkFailed = checkFailed || r.Status == Fail
			report(r)
		}
		if checkFailed {
			failed++
		}
	}
	return failed, nil
}

// check is one item of the report.
type check struct {
	name string
	// skip says why the check cannot run, or "" when it can.
	skip func(*session) string
	run  func(context.Context, *session) []Result
}

// checks lists the checks in report order. Later checks use what earlier
// ones found (the pool, the Knack client, the record counts).
func checks() []check {
	needDB := func(s *session) string {
		if why := needConfig(s); why != "" {
			return why
		}
		if s.pool == nil {
			return "the database is unreachable"
		}
		return ""
	}
	needKnack := func(s *session) string {
		if why := needConfig(s); why != "" {
			return why
		}
		if !s.cfg.KnackConfigured() {
			return "Knack is not configured (KNACK_APP_ID, KNACK_API_KEY)"
		}
		return ""
	}
	needKnackAuth := func(s *session) string {
		if why := needKnack(s); why != "" {
			return why
		}
		if !s.knackOK {
			return "the Knack credentials check failed"
		}
		return ""
	}
	return []check{
		{"config", func(*session) string { return "" }, checkConfig},
		{"database", needConfig, checkDatabase},
		{"migrations", needDB, checkMigrations},
		{"river", needDB, checkRiver},
		{"statistics", needDB, checkStatistics},
		{"pooler", needConfig, checkPooler},
		{"knack", needConfig, checkKnack},
		{"fields", needKnack, checkFields},
		{"quota", needKnackAuth, checkQuota},
		{"webhook", needConfig, checkWebhook},
		{"admin", needConfig, checkAdmin},
		{"email", needConfig, checkEmail},
		{"sentry", needConfig, checkSentry},
	}
}

func needConfig(s *session) string {
	if s.cfgErr != nil {
		return "the configuration is invalid"
	}
	return ""
}

// session is what the checks of one run share.
type session struct {
	cfg    config.Config
	cfgErr error
	opts   Options

	pool    *pgxpool.Pool // nil when the database is unreachable
	knack   *knack.Client // nil until the knack check builds it
	knackOK bool          // a record page was read with the key
	// counts are total_records per object, from rows_per_page=1 pages.
	counts map[string]int
	scrub  func(string) string
}

// errText is an error's message for a report line, with every configured
// secret hidden: the checks never print a secret on purpose, but an error
// may echo one back.
// errText is err's text for a result line, secrets scrubbed and on one
// line. A connection error lists every attempt (pgx tries TLS, then plain
// text, on the same address), which often says the same thing twice: each
// distinct line once.
func (s *session) errText(err error) string {
	var lines []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(lines, l) {
			lines = append(lines, l)
		}
	}
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			if strings.HasSuffix(lines[i-1], ":") {
				b.WriteString(" ")
			} else {
				b.WriteString("; ")
			}
		}
		b.WriteString(l)
	}
	return s.scrub(b.String())
}

func (s *session) close() {
	if s.pool != nil {
		s.pool.Close()
	}
	if s.knack != nil {
		s.knack.CloseIdleConnections()
	}
}

func ok(format string, a ...any) Result   { return result(OK, format, a) }
func warn(format string, a ...any) Result { return result(Warn, format, a) }
func fail(format string, a ...any) Result { return result(Fail, format, a) }

func result(st Status, format string, a []any) Result {
	return Result{Status: st, Detail: fmt.Sprintf(format, a...)}
}

// checkConfig reports config.Load's verdict, every problem on one line.
func checkConfig(_ context.Context, s *session) []Result {
	if s.cfgErr != nil {
		return []Result{fail("%s", strings.Join(configProblems(s.cfgErr), "; "))}
	}
	knackTarget := "Knack not configured"
	if s.cfg.KnackConfigured() {
		knackTarget = fmt.Sprintf("Knack app %s at %s", s.cfg.KnackAppID, s.cfg.KnackAPIURL)
	}
	return []Result{ok("valid (APP_ENV=%s, %s)", s.cfg.Env, knackTarget)}
}

// configProblems splits config.Load's error into its problems (it joins
// them, one a line, behind an Unwrap() []error).
func configProblems(err error) []string {
	var multi interface{ Unwrap() []error }
	if errors.As(err, &multi) {
		var out []string
		for _, e := range multi.Unwrap() {
			out = append(out, e.Error())
		}
		if len(out) > 0 {
			return out
		}
	}
	return []string{strings.Join(strings.Fields(err.Error()), " ")}
}

// scrubber returns a function that hides every configured secret in a
// text.
func scrubber(cfg config.Config) func(string) string {
	var secrets []string
	for _, s := range []string{cfg.KnackAPIKey, cfg.WebhookSecret, cfg.AdminPassword} {
		if s != "" {
			secrets = append(secrets, s)
		}
	}
	for _, u := range []string{cfg.DatabaseURL, cfg.SMTPURL, cfg.SentryDSN} {
		if pw := urlSecret(u); pw != "" {
			secrets = append(secrets, pw)
		}
	}
	return func(s string) string {
		for _, secret := range secrets {
			s = hideSecret(s, secret)
		}
		return s
	}
}

// hideSecret replaces secret in s with xxxxx. A short secret (a weak
// development password) is replaced only where it stands alone, not inside
// words: "b" must not turn object_2 into oxxxxxject_2.
func hideSecret(s, secret string) string {
	if len(secret) >= 8 {
		return strings.ReplaceAll(s, secret, "xxxxx")
	}
	var b strings.Builder
	for {
		i := strings.Index(s, secret)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(secret)
		alone := (i == 0 || !isWordByte(s[i-1])) && (end == len(s) || !isWordByte(s[end]))
		b.WriteString(s[:i])
		if alone {
			b.WriteString("xxxxx")
		} else {
			b.WriteString(secret)
		}
		s = s[end:]
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
