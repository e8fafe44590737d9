package httpapi

import "github.com/labstack/echo/v4"

// routes lists every route the service serves, with who calls it.
func (s *Server) routes(e *echo.Echo) {
	// Fly.io's health check and anyone asking whether the process is alive.
	e.GET("/healthz", s.handleHealthz)
	// Fly.io's routing check: 503 until the database is reachable and
	// migrations are current.
	e.GET("/readyz", s.handleReadyz)

	// Change hints from Knack Flows' HTTP action, the live app's JavaScript
	// and Make (and the simulator's emitter). Authenticated by the webhook
	// secret or signature, not by admin credentials.
	e.POST("/webhooks/knack", s.handleWebhook)

	// The admin routes share one middleware chain (a CSRF check joins it
	// here). It is applied per route rather than with e.Group(""): a group
	// with middleware on the root prefix also catches every unknown path,
	// which would then answer 401 instead of 404.
	admin := []echo.MiddlewareFunc{s.requireAdmin}
	// Operators: the status page's "sync now" button, curl, runbooks.
	e.POST("/api/sync", s.handleSync, admin...)
}
