package httpapi

import "github.com/labstack/echo/v4"

// routes lists every route the service serves, with who calls it.
func (s *Server) routes(e *echo.Echo) {
	// Fly.io's health check and anyone asking whether the process is alive.
	e.GET("/healthz", s.handleHealthz)
	// Fly.io's routing check: 503 until the database is reachable and
	// migrations are current.
	e.GET("/readyz", s.handleReadyz)
}
