package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

func (s *Server) handleHealthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleReadyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.deps.Readiness.Ready(ctx); err != nil {
		// The detail goes to the log only: this route is public.
		s.deps.Logger.WarnContext(ctx, "not ready", slog.String("error", err.Error()))
		return echo.NewHTTPError(http.StatusServiceUnavailable, "not ready")
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
