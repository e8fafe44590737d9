// Package config loads and validates the service's configuration from the
// environment. It is the only place that knows the variable names.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/robfig/cron/v3"
)

// Environments the service knows.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
)

// DefaultDatabaseURL is the local Postgres a newcomer's machine has.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/knacksync?sslmode=disable"

// Config is the resolved configuration. Durations and numbers are parsed;
// every field has been validated by Load.
type Config struct {
	DatabaseURL string
	Port        int
	Env         string

	KnackAPIURL    string
	KnackAppID     string
	KnackAPIKey    string
	KnackRateLimit float64
	// KnackQuotaReserve is the share of the daily Knack quota the service
	// never touches: the live app's (KNACK_QUOTA_RESERVE, default 0.5).
	KnackQuotaReserve float64

	WebhookSecret string
	// WebhookRate is the webhook requests one source may send per second
	// before it gets 429 (WEBHOOK_RATE_LIMIT).
	WebhookRate float64
	// TrustedProxies are the proxies whose Fly-Client-IP header names a
	// request's source for the per-source limits (TRUSTED_PROXIES,
	// comma-separated CIDRs; empty: the connection's address).
	TrustedProxies []netip.Prefix
	AdminUser      string
	AdminPassword  string

	SyncCron           string
	SyncMaxDeleteRatio float64
	// PollFields maps objects to the modified-date field their app stamps on
	// every change (SYNC_POLL_FIELDS="object_10:field_9001,..."); empty
	// turns the modified-date poll off.
	PollFields   map[string]string
	PollInterval time.Duration
	PollMargin   time.Duration

	// Database timeouts (statement_timeout, lock_timeout; 0: none) of
	// HTTP requests (DATABASE_STATEMENT_TIMEOUT, DATABASE_LOCK_TIMEOUT)
	// and of everything else: sweeps, hint passes, River, migrations on
	// start (SYNC_STATEMENT_TIMEOUT, SYNC_LOCK_TIMEOUT).
	RequestStatementTimeout time.Duration
	RequestLockTimeout      time.Duration
	SyncStatementTimeout    time.Duration
	SyncLockTimeout         time.Duration

	SentryDSN  string
	SMTPURL    string
	ReportFrom string
	ReportTo   string

	// StatsExcludeEmailDomains are the e-mail domains (lower case) whose
	// students the national statistics leave out
	// (STATS_EXCLUDE_EMAIL_DOMAINS, comma-separated; default vespa.academy).
	StatsExcludeEmailDomains []string
}

// Production reports whether the service runs in production.
func (c Config) Production() bool { return c.Env == EnvProduction }

// KnackConfigured reports whether credentials for a real Knack app are set.
func (c Config) KnackConfigured() bool { return c.KnackAppID != "" && c.KnackAPIKey != "" }

// Load reads the configuration through getenv and validates it. All problems
// are reported at once, one line each.
func Load(getenv func(string) string) (Config, error) {
	var errs []error
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		DatabaseURL:   get("DATABASE_URL", DefaultDatabaseURL),
		Env:           get("APP_ENV", EnvDevelopment),
		KnackAPIURL:   strings.TrimRight(get("KNACK_API_URL", "https://api.knack.com/v1"), "/"),
		KnackAppID:    get("KNACK_APP_ID", ""),
		KnackAPIKey:   get("KNACK_API_KEY", ""),
		WebhookSecret: get("WEBHOOK_SECRET", ""),
		AdminUser:     get("ADMIN_USER", ""),
		AdminPassword: get("ADMIN_PASSWORD", ""),
		SyncCron:      get("SYNC_CRON", "0 2 * * *"),
		SentryDSN:     get("SENTRY_DSN", ""),
		SMTPURL:       get("SMTP_URL", ""),
		ReportFrom:    get("REPORT_FROM", ""),
		ReportTo:      get("REPORT_TO", ""),
	}

	for _, d := range strings.Split(get("STATS_EXCLUDE_EMAIL_DOMAINS", "vespa.academy"), ",") {
		if d = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(d), "@"))); d != "" {
			c.StatsExcludeEmailDomains = append(c.StatsExcludeEmailDomains, d)
		}
	}

	var err error
	if c.Port, err = strconv.Atoi(get("PORT", "8080")); err != nil || c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("PORT: %q is not a port number (0-65535)", getenv("PORT")))
	}
	if c.KnackRateLimit, err = strconv.ParseFloat(get("KNACK_RATE_LIMIT", "10"), 64); err != nil || c.KnackRateLimit <= 0 {
		errs = append(errs, fmt.Errorf("KNACK_RATE_LIMIT: %q is not a positive number of requests per second", getenv("KNACK_RATE_LIMIT")))
	}
	if c.KnackQuotaReserve, err = strconv.ParseFloat(strings.TrimSuffix(get("KNACK_QUOTA_RESERVE", "0.5"), "%"), 64); err != nil || c.KnackQuotaReserve < 0 || c.KnackQuotaReserve > 100 {
		errs = append(errs, fmt.Errorf("KNACK_QUOTA_RESERVE: %q is not a share of the daily quota (0 to 1, or a percentage such as 50%%)", getenv("KNACK_QUOTA_RESERVE")))
	} else if strings.HasSuffix(get("KNACK_QUOTA_RESERVE", ""), "%") || c.KnackQuotaReserve > 1 {
		c.KnackQuotaReserve /= 100
	}
	if c.WebhookRate, err = strconv.ParseFloat(get("WEBHOOK_RATE_LIMIT", "100"), 64); err != nil || c.WebhookRate <= 0 {
		errs = append(errs, fmt.Errorf("WEBHOOK_RATE_LIMIT: %q is not a positive number of requests per second", getenv("WEBHOOK_RATE_LIMIT")))
	}
	if c.TrustedProxies, err = parsePrefixes(get("TRUSTED_PROXIES", "")); err != nil {
		errs = append(errs, err)
	}
	// Each name spelled out in a get call: the README test finds them so.
	for _, d := range []struct {
		dst         *time.Duration
		name, value string
	}{
		{&c.RequestStatementTimeout, "DATABASE_STATEMENT_TIMEOUT", get("DATABASE_STATEMENT_TIMEOUT", "30s")},
		{&c.RequestLockTimeout, "DATABASE_LOCK_TIMEOUT", get("DATABASE_LOCK_TIMEOUT", "10s")},
		{&c.SyncStatementTimeout, "SYNC_STATEMENT_TIMEOUT", get("SYNC_STATEMENT_TIMEOUT", "30m")},
		{&c.SyncLockTimeout, "SYNC_LOCK_TIMEOUT", get("SYNC_LOCK_TIMEOUT", "10m")},
	} {
		if *d.dst, err = time.ParseDuration(d.value); err != nil || *d.dst < 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a duration (0 for no limit)", d.name, d.value))
		}
	}
	if c.SyncMaxDeleteRatio, err = strconv.ParseFloat(get("SYNC_MAX_DELETE_RATIO", "0.05"), 64); err != nil || c.SyncMaxDeleteRatio < 0 || c.SyncMaxDeleteRatio > 1 {
		errs = append(errs, fmt.Errorf("SYNC_MAX_DELETE_RATIO: %q is not a share between 0 and 1", getenv("SYNC_MAX_DELETE_RATIO")))
	}
	if c.Env != EnvDevelopment && c.Env != EnvProduction {
		errs = append(errs, fmt.Errorf("APP_ENV: %q is neither %q nor %q", c.Env, EnvDevelopment, EnvProduction))
	}
	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		errs = append(errs, errors.New("DATABASE_URL: not a postgres:// URL"))
	}
	if u, err := url.Parse(c.KnackAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("KNACK_API_URL: %q is not an http(s) URL", c.KnackAPIURL))
	}
	if c.PollFields, err = parsePollFields(get("SYNC_POLL_FIELDS", "")); err != nil {
		errs = append(errs, err)
	}
	if c.PollInterval, err = time.ParseDuration(get("SYNC_POLL_INTERVAL", "5m")); err != nil || c.PollInterval < 10*time.Second {
		errs = append(errs, fmt.Errorf("SYNC_POLL_INTERVAL: %q is not a duration of at least 10s", getenv("SYNC_POLL_INTERVAL")))
	}
	if c.PollMargin, err = time.ParseDuration(get("SYNC_POLL_MARGIN", "2h")); err != nil || c.PollMargin < 0 {
		errs = append(errs, fmt.Errorf("SYNC_POLL_MARGIN: %q is not a duration", getenv("SYNC_POLL_MARGIN")))
	}
	if (c.KnackAppID == "") != (c.KnackAPIKey == "") {
		errs = append(errs, errors.New("KNACK_APP_ID and KNACK_API_KEY: set both or neither"))
	}
	if _, err := cron.ParseStandard(c.SyncCron); err != nil {
		errs = append(errs, fmt.Errorf("SYNC_CRON: %q is not a cron schedule: %v", c.SyncCron, err))
	}
	if (c.AdminUser == "") != (c.AdminPassword == "") {
		errs = append(errs, errors.New("ADMIN_USER and ADMIN_PASSWORD: set both or neither"))
	}
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
			errs = append(errs, errors.New("SMTP_URL: not an smtp://user:pass@host:port URL"))
		}
		if c.ReportTo == "" || c.ReportFrom == "" {
			errs = append(errs, errors.New("REPORT_FROM and REPORT_TO: required when SMTP_URL is set"))
		}
	}
	if c.SentryDSN != "" {
		if u, err := url.Parse(c.SentryDSN); err != nil || u.User == nil || u.Host == "" {
			errs = append(errs, errors.New("SENTRY_DSN: not a DSN like https://key@host/project"))
		}
	}
	if c.Production() {
		for _, v := range []struct{ name, value string }{
			{"WEBHOOK_SECRET", c.WebhookSecret},
			{"ADMIN_USER", c.AdminUser},
			{"ADMIN_PASSWORD", c.AdminPassword},
			{"KNACK_APP_ID", c.KnackAppID},
			{"KNACK_API_KEY", c.KnackAPIKey},
		} {
			if v.value == "" {
				errs = append(errs, fmt.Errorf("%s: required when APP_ENV=production", v.name))
			}
		}
		if c.WebhookSecret != "" && len(c.WebhookSecret) < 16 {
			errs = append(errs, errors.New("WEBHOOK_SECRET: use at least 16 characters in production"))
		}
		if c.AdminPassword != "" && utf8.RuneCountInString(c.AdminPassword) < minAdminPassword {
			errs = append(errs, fmt.Errorf("ADMIN_PASSWORD: use at least %d characters in production (e.g. openssl rand -base64 24)", minAdminPassword))
		}
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("invalid configuration:\n  %w", lineErrors(errs))
	}
	return c, nil
}

// parsePrefixes reads "172.16.0.0/12, fdaa::/16" (a bare address is a
// prefix of its full length).
func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		p, err := netip.ParsePrefix(v)
		if err != nil {
			a, aerr := netip.ParseAddr(v)
			if aerr != nil {
				return nil, fmt.Errorf("TRUSTED_PROXIES: %q is not an address or CIDR prefix", v)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// parsePollFields reads "object_10:field_9001,object_29:field_9002".
func parsePollFields(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, pair := range strings.Split(s, ",") {
		if pair = strings.TrimSpace(pair); pair == "" {
			continue
		}
		object, field, ok := strings.Cut(pair, ":")
		if !ok || !strings.HasPrefix(object, "object_") || !strings.HasPrefix(field, "field_") {
			return nil, fmt.Errorf("SYNC_POLL_FIELDS: %q is not object_N:field_N", pair)
		}
		out[object] = field
	}
	return out, nil
}

// lineErrors prints one problem per indented line; errors.Is still sees each.
type lineErrors []error

func (e lineErrors) Error() string {
	s := make([]string, len(e))
	for i, err := range e {
		s[i] = err.Error()
	}
	return strings.Join(s, "\n  ")
}

func (e lineErrors) Unwrap() []error { return e }

// LogValue prints the configuration with every secret redacted, so that the
// resolved config can be logged once at start.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("database_url", RedactURL(c.DatabaseURL)),
		slog.Int("port", c.Port),
		slog.String("app_env", c.Env),
		slog.String("knack_api_url", c.KnackAPIURL),
		slog.String("knack_app_id", c.KnackAppID),
		slog.String("knack_api_key", redact(c.KnackAPIKey)),
		slog.Float64("knack_rate_limit", c.KnackRateLimit),
		slog.Float64("knack_quota_reserve", c.KnackQuotaReserve),
		slog.String("webhook_secret", redact(c.WebhookSecret)),
		slog.Float64("webhook_rate_limit", c.WebhookRate),
		slog.Any("trusted_proxies", c.TrustedProxies),
		slog.Duration("database_statement_timeout", c.RequestStatementTimeout),
		slog.Duration("database_lock_timeout", c.RequestLockTimeout),
		slog.Duration("sync_statement_timeout", c.SyncStatementTimeout),
		slog.Duration("sync_lock_timeout", c.SyncLockTimeout),
		slog.String("admin_user", c.AdminUser),
		slog.String("admin_password", redact(c.AdminPassword)),
		slog.String("sync_cron", c.SyncCron),
		slog.Float64("sync_max_delete_ratio", c.SyncMaxDeleteRatio),
		slog.Any("sync_poll_fields", c.PollFields),
		slog.Duration("sync_poll_interval", c.PollInterval),
		slog.Duration("sync_poll_margin", c.PollMargin),
		slog.String("sentry_dsn", RedactURL(c.SentryDSN)),
		slog.String("smtp_url", RedactURL(c.SMTPURL)),
		slog.String("report_from", c.ReportFrom),
		slog.String("report_to", c.ReportTo),
	)
}

// minAdminPassword is the shortest admin password production accepts: the
// status page and River UI face the internet.
const minAdminPassword = 12

func redact(s string) string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// RedactURL hides the password (and a Sentry key, which sits in the user
// part) of a URL; an unparseable value is hidden entirely.
func RedactURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return "[redacted]"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		} else if u.Scheme == "https" || u.Scheme == "http" {
			u.User = url.User("xxxxx")
		}
	}
	return u.String()
}
