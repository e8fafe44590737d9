package httpapi

import (
	"log/slog"
	"net/http"
	"testing"
)

// The River UI's polling, health checks and scrapes that succeed are DEBUG;
// webhooks, admin actions and failures stay visible.
func TestRequestLogLevel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method, path string
		status       int
		want         slog.Level
	}{
		{http.MethodGet, "/riverui/api/jobs", 200, slog.LevelDebug},
		{http.MethodGet, "/riverui/api/states", 304, slog.LevelDebug},
		{http.MethodGet, "/healthz", 200, slog.LevelDebug},
		{http.MethodGet, "/readyz", 200, slog.LevelDebug},
		{http.MethodGet, "/readyz", 503, slog.LevelError},
		{http.MethodGet, "/metrics", 200, slog.LevelDebug},
		{http.MethodGet, "/metrics", 401, slog.LevelInfo},
		{http.MethodPost, "/riverui/api/jobs/cancel", 200, slog.LevelInfo},
		{http.MethodGet, "/riverui/api/jobs", 403, slog.LevelInfo},
		{http.MethodPost, "/webhooks/knack", 202, slog.LevelInfo},
		{http.MethodGet, "/", 200, slog.LevelInfo},
		{http.MethodPost, "/api/sync", 500, slog.LevelError},
	}
	for _, tt := range tests {
		if got := requestLogLevel(tt.method, tt.path, tt.status); got != tt.want {
			t.Errorf("%s %s → %d: level %v, want %v", tt.method, tt.path, tt.status, got, tt.want)
		}
	}
}
