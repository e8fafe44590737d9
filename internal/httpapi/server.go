// Package httpapi is the service's HTTP surface: webhooks, health, the status
// page and admin routes. Every route is listed in routes.go.
package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// Readiness reports whether the service can do its work (database reachable,
// migrations current).
type Readiness interface {
	Ready(ctx context.Context) error
}

// Deps are what the handlers need.
type Deps struct {
	Logger    *slog.Logger
	Readiness Readiness
}

// Server holds the handlers' dependencies.
type Server struct {
	deps Deps
}

// New returns the service's full HTTP handler.
func New(deps Deps) http.Handler {
	s := &Server{deps: deps}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	e.Use(middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURIPath: true, LogMethod: true, LogLatency: true, LogError: true,
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			// The path only: query strings may carry tokens.
			deps.Logger.LogAttrs(c.Request().Context(), level, "http request",
				slog.String("method", v.Method), slog.String("path", v.URIPath),
				slog.Int("status", v.Status), slog.Duration("latency", v.Latency))
			return nil
		},
	}))
	e.Use(middleware.Recover())
	s.routes(e)
	return e
}

// handleError is the one place where errors become HTTP statuses. Handlers
// return errors and never write error bodies themselves.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := http.StatusInternalServerError, "internal error"
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		status = he.Code
		if m, ok := he.Message.(string); ok {
			msg = m
		} else {
			msg = http.StatusText(status)
		}
	case errors.Is(err, context.Canceled):
		status, msg = 499, "request cancelled"
	default:
		s.deps.Logger.ErrorContext(c.Request().Context(), "request failed",
			slog.String("path", c.Request().URL.Path), slog.String("error", err.Error()))
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, map[string]string{"error": msg})
}
