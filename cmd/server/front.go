package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/config"
)

// front is serve's HTTP server. It listens at once and answers /healthz
// (the process is alive) while /readyz and every other route say 503 until
// the service behind it is ready: a machine that starts before its
// database is reachable stays up, out of the load balancer, instead of
// exiting and restarting in a loop.
type front struct {
	ln       net.Listener
	srv      *http.Server
	handler  atomic.Pointer[http.Handler]
	serveErr chan error
}

func startFront(addr string, logger *slog.Logger) (*front, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("listen %s: %w: another process has the port; stop it, or pick another with PORT=... or --addr HOST:PORT", addr, err)
		}
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	f := &front{ln: ln, serveErr: make(chan error, 1)}
	f.srv = &http.Server{
		Handler:           f,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go func() { f.serveErr <- f.srv.Serve(ln) }()
	return f, nil
}

// ServeHTTP hands the request to the service, or answers for a service
// still starting.
func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := f.handler.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/healthz" {
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
		return
	}
	w.Header().Set("Retry-After", "5")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(`{"message":"starting: waiting for the database"}` + "\n"))
}

// ready installs the service's handler.
func (f *front) ready(h http.Handler) { f.handler.Store(&h) }

// shutdown stops taking requests and waits for those in flight.
func (f *front) shutdown(ctx context.Context) error { return f.srv.Shutdown(ctx) }

// connectWithRetry opens the database, trying again with a growing pause
// (1 s to 30 s) while it fails, and saying why each time. It returns nil
// and ctx's error when ctx ends first.
func connectWithRetry(ctx context.Context, cfg config.Config, logger *slog.Logger) (*pgxpool.Pool, error) {
	wait := time.Second
	for {
		pool, err := openDatabase(ctx, cfg, logger)
		if err == nil {
			return pool, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		logger.Warn("database not reachable; /readyz answers 503 until it is",
			slog.String("error", err.Error()), slog.Duration("retry_in", wait))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}
