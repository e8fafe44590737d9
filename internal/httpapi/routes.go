package httpapi

import (
	"bytes"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
)

// routes lists every route the service serves, with who calls it.
func (s *Server) routes(e *echo.Echo) {
	// Security headers on every response (headers.go). Before routing, so
	// that 404s and 405s have them too.
	e.Pre(secureHeaders)

	// Fly.io's health check and anyone asking whether the process is alive.
	e.GET("/healthz", s.handleHealthz)
	// Fly.io's routing check: 503 until the database is reachable and
	// migrations are current.
	e.GET("/readyz", s.handleReadyz)

	// Change hints from Knack Flows' HTTP action, the live app's JavaScript
	// and Make (and the simulator's emitter). Authenticated by the webhook
	// secret or signature, not by admin credentials.
	e.POST("/webhooks/knack", s.handleWebhook)

	// Browsers, for the pages' tab icon (they ask for /favicon.ico on
	// their own). Public: a picture, no data (favicon.go).
	e.GET("/favicon.svg", s.handleFavicon)
	e.GET("/favicon.ico", s.handleFavicon)

	// The admin routes share one middleware chain: credentials (401), then
	// the CSRF check of every POST (403, csrf.go). It is applied per route
	// rather than with e.Group(""): a group with middleware on the root
	// prefix also catches every unknown path, which would then answer 401
	// instead of 404. TestAdminRoutesRequireAuth fails for any route that
	// is neither in its public list nor behind this chain.
	admin := []echo.MiddlewareFunc{s.requireAdmin, s.requireCSRF}
	// Operators in a browser: the status page.
	e.GET("/", s.handleStatusPage, admin...)
	// Scripts and runbooks: the status page's data as JSON, with the CSRF
	// token that admin POSTs need.
	e.GET("/api/status", s.handleStatusJSON, admin...)
	// Operators: the status page's "Sync now" button (a form: 303 back to
	// the page), curl and runbooks (X-CSRF-Token: 202 with JSON).
	e.POST("/api/sync", s.handleSync, admin...)
	// Operators and data managers: one run per object and table, linked
	// from the status page's runs.
	e.GET("/runs/:id", s.handleRun, admin...)
	// Data managers, into a spreadsheet: every open data issue (of
	// ?rule=), masked as on the page; linked from the status page.
	e.GET("/issues.csv", s.handleIssuesCSV, admin...)
	// Prometheus, scraping with basic auth (no personal data in it).
	if s.deps.MetricsHandler != nil {
		e.GET("/metrics", echo.WrapHandler(s.deps.MetricsHandler), admin...)
	}
	// Operators: River UI, to see and retry jobs. Its single-page app makes
	// its own API calls, so its POSTs are guarded by the cross-origin check
	// rather than a token (riverUIGuard), and it gets a policy that lets
	// its scripts run.
	if s.deps.RiverUI != nil {
		e.Any("/riverui", echo.WrapHandler(s.deps.RiverUI), s.requireAdmin, s.riverUIGuard)
		e.Any("/riverui/*", echo.WrapHandler(s.deps.RiverUI), s.requireAdmin, s.riverUIGuard)
	}
}

// maxRiverUIBody bounds a River UI API request's body (a job id list, a
// queue setting: bytes, not megabytes).
const maxRiverUIBody = 1 << 20

// riverUIGuard refuses cross-origin writes to River UI's API (the same
// check as the admin POSTs, Referer included), bounds their bodies (413),
// and relaxes the page policy to what its bundled scripts and styles need.
func (s *Server) riverUIGuard(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if err := s.checkOrigin(req); err != nil {
			return err
		}
		switch req.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			// Read here, whole, so that an oversize body is a 413 whatever
			// River UI would make of a cut one.
			body, err := readBody(c.Response().Writer, req, maxRiverUIBody)
			if err != nil {
				return err
			}
			req.Body = io.NopCloser(bytes.NewReader(body))
			req.ContentLength = int64(len(body))
		}
		c.Response().Header().Set("Content-Security-Policy",
			"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'")
		return next(c)
	}
}
