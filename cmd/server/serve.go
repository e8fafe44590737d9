package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/dbmigrate"
	"knacksync/internal/httpapi"
	"knacksync/internal/worker"
)

func runServe(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("serve", e)
	addr := fs.String("addr", "", "listen address (default :$PORT)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, logger, err := loadConfig(e)
	if err != nil {
		return err
	}
	if *addr == "" {
		*addr = ":" + strconv.Itoa(cfg.Port)
	}

	pool, err := dbmigrate.Open(ctx, cfg.DatabaseURL, !cfg.Production())
	if err != nil {
		return err
	}
	defer pool.Close()
	// In production the release command migrates; locally, serve does it so
	// that one command is enough.
	if !cfg.Production() {
		if _, err := dbmigrate.Migrate(ctx, pool, logger); err != nil {
			return err
		}
	}

	riverOpts := worker.ClientOptions{}
	riverClient, err := worker.NewClient(pool, logger, riverOpts)
	if err != nil {
		return fmt.Errorf("river client: %w", err)
	}

	handler := httpapi.New(httpapi.Deps{Logger: logger, Readiness: readiness{pool}})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", *addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	if riverOpts.Workers != nil {
		if err := riverClient.Start(ctx); err != nil {
			return fmt.Errorf("start river: %w", err)
		}
	}
	fmt.Fprintf(e.stdout, "knacksync serving on http://%s\n", ln.Addr())
	logger.Info("serving", slog.String("addr", ln.Addr().String()))

	select {
	case err := <-serveErr:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	// Stop taking requests first, then let River finish (or hand back) jobs.
	err = srv.Shutdown(stopCtx)
	if riverOpts.Workers != nil {
		err = errors.Join(err, riverClient.Stop(stopCtx))
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// readiness is the database half of /readyz.
type readiness struct{ pool *pgxpool.Pool }

func (r readiness) Ready(ctx context.Context) error {
	if err := r.pool.Ping(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	return dbmigrate.Check(ctx, r.pool)
}
