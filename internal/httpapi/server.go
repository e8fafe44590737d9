// Package httpapi is the service's HTTP surface: webhooks, health, the status
// page and admin routes. Every route is listed in routes.go.
package httpapi

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/riverqueue/river"

	"knacksync/internal/dbtimeout"
	"knacksync/internal/store"
	"knacksync/internal/worker"
)

// Readiness reports whether the service can do its work (database reachable,
// migrations current).
type Readiness interface {
	Ready(ctx context.Context) error
}

// HintSink durably records change hints and enqueues the jobs that fetch
// them. Accept returns only after the hints are committed: the webhook
// answers 202 after it.
type HintSink interface {
	Accept(ctx context.Context, hints []store.Hint) error
}

// SweepEnqueuer asks for a full sweep now. alreadyQueued is true when one
// was already waiting or running (jobID is then that job's).
type SweepEnqueuer interface {
	EnqueueSweep(ctx context.Context, reason string) (jobID int64, alreadyQueued bool, err error)
}

// Deps are what the handlers need.
type Deps struct {
	Logger    *slog.Logger
	Readiness Readiness
	// Now is the clock (webhook signature timestamps); nil means time.Now.
	Now func() time.Time

	// Hints takes the webhook's change hints.
	Hints HintSink
	// WebhookSecret authenticates POST /webhooks/knack (X-Webhook-Secret
	// or an HMAC signature). Empty accepts unauthenticated hints: config
	// allows that in development only.
	WebhookSecret string
	// Objects are the Knack object keys a hint may name (syncer.Objects()).
	Objects []string

	// Sweeps starts a sweep for POST /api/sync.
	Sweeps SweepEnqueuer
	// AdminUser and AdminPassword guard the admin routes with basic auth.
	// Both empty (development only) serves them to loopback clients only.
	AdminUser     string
	AdminPassword string

	// Status reads the status page's data (GET / and GET /api/status):
	// the *store.Store. Nil answers those routes with 503.
	Status StatusLoader
	// Stats gives each run's derived statistics figures on the status
	// page (*stats.Stats). Nil leaves those columns empty.
	Stats RunStatistics
	// Knack gives the quota left shown on the status page: the
	// *knack.Client the workers use. Nil shows it as unknown.
	Knack KnackStats
	// Cron is SYNC_CRON: the status page's next scheduled run, and when an
	// object's last sync is stale. Empty: no schedule (only objects never
	// synced are stale).
	Cron string
	// StaleMargin is how long the scheduled sweep may take before the
	// objects it has not completed are shown stale; 0 means 2 hours.
	StaleMargin time.Duration

	// WebhookRate is the authenticated hints requests one source may send
	// per second (burst twice that); more get 429. 0 means 100. Requests
	// whose signature is still to be checked have a limit of their own
	// (a tenth of it), so that they cannot use up an authenticated
	// sender's.
	WebhookRate float64
	// TrustedProxies are the addresses of the proxy in front (Fly.io's):
	// on connections from them the Fly-Client-IP header names the source
	// of a request for the per-source limits. Empty: the connection's
	// address is the source.
	TrustedProxies []netip.Prefix
	// WebhookBodies bounds the webhook bodies read at once by
	// authenticated requests (0 means 64), and a quarter of it those of
	// requests whose signature is still to be checked: past either, 503.
	WebhookBodies int
	// Metrics counts hints received and rejected; optional.
	Metrics HintMetrics
	// MetricsHandler serves GET /metrics (admin); nil answers 404.
	MetricsHandler http.Handler
	// RiverUI serves the job UI under /riverui/ (admin); nil answers 404.
	RiverUI http.Handler
	// Errors hears of every 5xx (Sentry); optional.
	Errors ErrorReporter
}

// HintMetrics counts webhook hints (Prometheus).
type HintMetrics interface {
	HintAccepted(object string, n int)
	HintRejected(reason string)
}

// ErrorReporter reports unexpected errors (Sentry).
type ErrorReporter interface {
	CaptureError(ctx context.Context, err error, tags map[string]string)
}

// Server holds the handlers' dependencies.
type Server struct {
	deps    Deps
	now     func() time.Time
	objects map[string]bool
	// The webhook secret's SHA-256, compared in constant time.
	webhookSecret [sha256.Size]byte
	// The admin credentials' SHA-256, compared in constant time.
	adminUser, adminPassword [sha256.Size]byte
	adminConfigured          bool
	// csrf issues and checks the admin POSTs' tokens; crossOrigin rejects
	// cross-origin browser POSTs (csrf.go).
	csrf        csrfTokens
	crossOrigin *http.CrossOriginProtection
	// webhookLimit is the per-source limit of authenticated POST
	// /webhooks/knack, unverifiedLimit that of requests with a signature
	// still to check (webhook.go).
	webhookLimit, unverifiedLimit *sourceLimiter
	// bodySlots and unverifiedSlots bound the bodies read at once.
	bodySlots, unverifiedSlots slots
	// adminFailures throttles wrong admin passwords per source.
	adminFailures *failureBackoff
	// schedule is Deps.Cron parsed (nil without one).
	cron        string
	schedule    river.PeriodicSchedule
	staleMargin time.Duration
}

// New returns the service's full HTTP handler. It panics when a required
// dependency is missing: that is a wiring bug, not a runtime condition.
func New(deps Deps) http.Handler {
	switch {
	case deps.Logger == nil:
		panic("httpapi.New: Deps.Logger is nil")
	case deps.Hints == nil:
		panic("httpapi.New: Deps.Hints is nil")
	case deps.Sweeps == nil:
		panic("httpapi.New: Deps.Sweeps is nil")
	}
	s := &Server{
		deps:            deps,
		now:             deps.Now,
		objects:         make(map[string]bool, len(deps.Objects)),
		webhookSecret:   sha256.Sum256([]byte(deps.WebhookSecret)),
		adminUser:       sha256.Sum256([]byte(deps.AdminUser)),
		adminPassword:   sha256.Sum256([]byte(deps.AdminPassword)),
		adminConfigured: deps.AdminUser != "" || deps.AdminPassword != "",
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.csrf = newCSRFTokens(deps.AdminUser, deps.AdminPassword, s.now)
	if deps.WebhookRate <= 0 {
		deps.WebhookRate = 100
	}
	s.webhookLimit = newSourceLimiter(deps.WebhookRate, s.now)
	s.unverifiedLimit = newSourceLimiter(max(deps.WebhookRate/10, 1), s.now)
	if deps.WebhookBodies <= 0 {
		deps.WebhookBodies = 64
	}
	s.bodySlots, s.unverifiedSlots = newSlots(deps.WebhookBodies), newSlots(max(deps.WebhookBodies/4, 1))
	s.adminFailures = newFailureBackoff(s.now)
	s.crossOrigin = http.NewCrossOriginProtection()
	if deps.Cron != "" {
		sched, err := worker.Schedule(deps.Cron)
		if err != nil {
			panic("httpapi.New: Deps.Cron: " + err.Error())
		}
		s.cron, s.schedule = deps.Cron, sched
	}
	s.staleMargin = deps.StaleMargin
	if s.staleMargin <= 0 {
		s.staleMargin = defaultStaleMargin
	}
	for _, o := range deps.Objects {
		s.objects[o] = true
	}
	if deps.WebhookSecret == "" {
		deps.Logger.Warn("WEBHOOK_SECRET is empty: POST /webhooks/knack accepts unauthenticated hints (development only)")
	}
	if deps.Status == nil {
		deps.Logger.Warn("httpapi: Deps.Status is nil: GET / and GET /api/status answer 503")
	}
	if !s.adminConfigured {
		deps.Logger.Warn("ADMIN_USER and ADMIN_PASSWORD are empty: admin routes are served unauthenticated to loopback clients only (development only)")
	}

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	e.Use(middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURIPath: true, LogMethod: true, LogLatency: true, LogError: true,
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := requestLogLevel(v.Method, v.URIPath, v.Status)
			// The path only: query strings may carry tokens.
			deps.Logger.LogAttrs(c.Request().Context(), level, "http request",
				slog.String("method", v.Method), slog.String("path", v.URIPath),
				slog.Int("status", v.Status), slog.Duration("latency", v.Latency))
			return nil
		},
	}))
	e.Use(middleware.Recover())
	e.Use(requestTimeouts)
	s.routes(e)
	return e
}

// requestLogLevel keeps the INFO log for what a person reads: the River
// UI's polling (several requests a second while it is open), health checks
// and metric scrapes are DEBUG when they succeed.
func requestLogLevel(method, path string, status int) slog.Level {
	switch {
	case status >= 500:
		return slog.LevelError
	case status < 400 && method == http.MethodGet &&
		(strings.HasPrefix(path, "/riverui/") || path == "/healthz" || path == "/readyz" || path == "/metrics"):
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// Error kinds the handlers return; handleError turns them into statuses.
var (
	// errUnsupportedMedia: 415.
	errUnsupportedMedia = errors.New("Content-Type must be application/json")
	// errWebhookUnauthorized: 401. Says nothing about which check failed.
	errWebhookUnauthorized = errors.New("missing or invalid X-Webhook-Secret or X-Webhook-Signature")
	// errAdminUnauthorized: 401 with a basic-auth challenge.
	errAdminUnauthorized = errors.New("admin credentials required")
	// errTooManyHints: 429, a source sent more than its rate of hints.
	errTooManyHints = errors.New("too many webhook requests from this address: slow down (see Retry-After)")
	// errWebhookBusy: 503, every body slot is taken.
	errWebhookBusy = errors.New("too many webhook bodies being received: retry shortly (see Retry-After)")
	// errAdminThrottled: 429, too many wrong admin passwords from this
	// source (Retry-After says when to try again).
	errAdminThrottled = errors.New("too many wrong admin credentials from this address: wait (see Retry-After)")
	// errAdminLoopbackOnly: 403, no admin credentials are configured and
	// the client is not on loopback.
	errAdminLoopbackOnly = errors.New("admin routes are served to loopback clients only while ADMIN_USER and ADMIN_PASSWORD are not set")
)

// requestTimeouts marks the request's context so that the database
// connections it uses get the request-path statement and lock timeouts
// (dbtimeout), River UI's queries included.
func requestTimeouts(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		c.SetRequest(req.WithContext(dbtimeout.ForRequest(req.Context())))
		return next(c)
	}
}

// dbTimeout names the database timeout that stopped err's statement, or
// is empty.
func dbTimeout(err error) string {
	which, _ := dbtimeout.IsTimeout(err)
	return which
}

// badRequest is a 400 whose message is safe to show the client.
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

// tooLarge is a 413 whose message is safe to show the client.
type tooLarge struct{ msg string }

func (e *tooLarge) Error() string { return e.msg }

// adminRealm is the basic-auth realm of the admin routes.
const adminRealm = `Basic realm="knacksync"`

// handleError is the one place where errors become HTTP statuses. Handlers
// return errors and never write error bodies themselves.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := http.StatusInternalServerError, "internal error"
	var (
		he *echo.HTTPError
		br *badRequest
		tl *tooLarge
	)
	switch {
	case errors.As(err, &he):
		status = he.Code
		if m, ok := he.Message.(string); ok {
			msg = m
		} else {
			msg = http.StatusText(status)
		}
	case errors.As(err, &br):
		status, msg = http.StatusBadRequest, br.msg
	case errors.As(err, &tl):
		status, msg = http.StatusRequestEntityTooLarge, tl.msg
	case errors.Is(err, errTooManyHints), errors.Is(err, errAdminThrottled):
		status, msg = http.StatusTooManyRequests, err.Error()
	case errors.Is(err, errWebhookBusy):
		status, msg = http.StatusServiceUnavailable, err.Error()
	case errors.Is(err, errUnsupportedMedia):
		status, msg = http.StatusUnsupportedMediaType, err.Error()
	case errors.Is(err, errWebhookUnauthorized):
		status, msg = http.StatusUnauthorized, err.Error()
	case errors.Is(err, errAdminUnauthorized):
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, adminRealm)
		status, msg = http.StatusUnauthorized, err.Error()
	case errors.Is(err, errAdminLoopbackOnly):
		status, msg = http.StatusForbidden, err.Error()
	case errors.Is(err, context.Canceled):
		status, msg = 499, "request cancelled"
	case dbTimeout(err) != "":
		// Postgres gave up on a lock or a statement (dbtimeout): the
		// database is busy (a sweep's merge, a migration); retrying later
		// works. Logged, not reported: it is load, not a bug.
		which := dbTimeout(err)
		s.deps.Logger.WarnContext(c.Request().Context(), "request stopped by a database timeout",
			slog.String("path", c.Request().URL.Path), slog.String("timeout", which))
		c.Response().Header().Set("Retry-After", "5")
		status, msg = http.StatusServiceUnavailable, "the database is busy ("+which+" reached): retry shortly"
	default:
		s.deps.Logger.ErrorContext(c.Request().Context(), "request failed",
			slog.String("path", c.Request().URL.Path), slog.String("error", err.Error()))
		if s.deps.Errors != nil {
			s.deps.Errors.CaptureError(c.Request().Context(), err, map[string]string{
				"http.method": c.Request().Method, "http.route": c.Path(),
			})
		}
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, map[string]string{"error": msg})
}
