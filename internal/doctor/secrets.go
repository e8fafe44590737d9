package doctor

import (
	"context"
	"net/url"

	"knacksync/internal/config"
)

// minWebhookSecret is the shortest webhook secret worth having: 16
// characters, as config requires in production.
const minWebhookSecret = 16

func checkWebhook(_ context.Context, s *session) []Result {
	switch n := len(s.cfg.WebhookSecret); {
	case n == 0 && s.cfg.Production():
		return []Result{fail("WEBHOOK_SECRET is not set: production needs it")}
	case n == 0:
		return []Result{warn("WEBHOOK_SECRET is not set: POST /webhooks/knack accepts unauthenticated hints (development only)")}
	case n < minWebhookSecret:
		return []Result{warn("WEBHOOK_SECRET is shorter than %d characters: use a longer one", minWebhookSecret)}
	}
	return []Result{ok("WEBHOOK_SECRET is set")}
}

func checkAdmin(_ context.Context, s *session) []Result {
	switch {
	case s.cfg.AdminUser != "" && s.cfg.AdminPassword != "":
		return []Result{ok("ADMIN_USER=%s and ADMIN_PASSWORD are set", s.cfg.AdminUser)}
	case s.cfg.Production():
		return []Result{fail("ADMIN_USER and ADMIN_PASSWORD are not set: production needs them")}
	}
	return []Result{warn("ADMIN_USER and ADMIN_PASSWORD are not set: the status page and River UI answer loopback clients only, unauthenticated (development only)")}
}

func checkEmail(_ context.Context, s *session) []Result {
	c := s.cfg
	if c.SMTPURL == "" {
		return []Result{warn("SMTP_URL is not set: no e-mail report")}
	}
	u, err := url.Parse(c.SMTPURL)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
		return []Result{fail("SMTP_URL is not an smtp://user:pass@host:port URL")}
	}
	if c.ReportFrom == "" || c.ReportTo == "" {
		return []Result{fail("SMTP_URL is set but REPORT_FROM or REPORT_TO is not")}
	}
	return []Result{ok("reports from %s to %s via %s", c.ReportFrom, c.ReportTo, config.RedactURL(c.SMTPURL))}
}

func checkSentry(_ context.Context, s *session) []Result {
	dsn := s.cfg.SentryDSN
	if dsn == "" {
		return []Result{warn("SENTRY_DSN is not set: no alerts")}
	}
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil || u.Host == "" {
		return []Result{fail("SENTRY_DSN is not a DSN like https://key@host/project")}
	}
	return []Result{ok("alerts go to %s", config.RedactURL(dsn))}
}

// urlSecret is the secret part of a URL: its password, or for a Sentry
// DSN (no password) its key.
func urlSecret(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return ""
	}
	if pw, ok := u.User.Password(); ok {
		return pw
	}
	if u.Scheme == "http" || u.Scheme == "https" {
		return u.User.Username()
	}
	return ""
}
