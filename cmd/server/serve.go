package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"riverqueue.com/riverui"

	"knacksync/internal/config"
	"knacksync/internal/dbmigrate"
	"knacksync/internal/httpapi"
	"knacksync/internal/knack"
	"knacksync/internal/metrics"
	"knacksync/internal/notify"
	"knacksync/internal/store"
	"knacksync/internal/syncer"
	"knacksync/internal/worker"
)

func runServe(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("serve", e)
	addr := fs.String("addr", "", "listen address (default :$PORT)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, logger, err := loadConfig(e)
	if err != nil {
		return err
	}
	if *addr == "" {
		*addr = ":" + strconv.Itoa(cfg.Port)
	}
	f, err := startFront(*addr, logger)
	if err != nil {
		return err
	}
	pool, err := connectWithRetry(ctx, cfg, logger)
	if err != nil {
		_ = f.shutdown(context.WithoutCancel(ctx))
		if ctx.Err() != nil {
			return nil // stopped before the database came
		}
		return err
	}
	defer pool.Close()
	return serve(ctx, e, cfg, logger, pool, f)
}

// serve runs the service behind f, and River, until ctx ends (serve and
// demo).
func serve(ctx context.Context, e env, cfg config.Config, logger *slog.Logger, pool *pgxpool.Pool, f *front) error {
	st := store.New(pool)
	sentry, err := notify.NewSentry(cfg.SentryDSN, cfg.Env, logger,
		notify.WithCron(cfg.SyncCron),
		notify.WithSecrets(append(notify.URLSecrets(cfg.DatabaseURL, cfg.SMTPURL),
			cfg.KnackAPIKey, cfg.WebhookSecret, cfg.AdminPassword)...))
	if err != nil {
		return err
	}
	// Flushed last, after River stopped: the last jobs' errors get out.
	defer sentry.Close(2 * time.Second)
	mailer, err := notify.NewMailer(cfg.SMTPURL, cfg.ReportFrom, cfg.ReportTo, logger)
	if err != nil {
		return err
	}
	observer := notify.NewObserver(sentry, mailer, notify.NewLoader(pool), logger)
	m := metrics.New(metrics.Options{DB: pool, Objects: syncer.Objects(), Logger: logger})
	riverClient, kn, working, err := newRiver(cfg, logger, pool, st, sentry, observer, m)
	if err != nil {
		return err
	}

	riverUI, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: riverui.NewEndpoints(riverClient, nil), Logger: logger, Prefix: "/riverui",
	})
	if err != nil {
		return fmt.Errorf("river ui: %w", err)
	}
	if err := riverUI.Start(ctx); err != nil {
		return fmt.Errorf("river ui: %w", err)
	}
	// Concurrent webhook requests share transactions (group commit): each
	// still gets its 202 only once its hints are durable.
	hints := worker.NewGroupCommit(&worker.Hints{Pool: pool, Store: st, Client: riverClient, Now: time.Now}, hintCommitters, hintBatch)
	defer hints.Close()
	handler := httpapi.New(httpapi.Deps{
		Logger:         logger,
		Readiness:      readiness{pool},
		Now:            time.Now,
		WebhookSecret:  cfg.WebhookSecret,
		Objects:        syncer.Objects(),
		Hints:          hints,
		Sweeps:         worker.SweepQueue{Store: st, Client: riverClient},
		AdminUser:      cfg.AdminUser,
		AdminPassword:  cfg.AdminPassword,
		Status:         st,
		Stats:          newStats(cfg, logger, pool),
		Cron:           cfg.SyncCron,
		Knack:          knackStats(kn),
		WebhookRate:    cfg.WebhookRate,
		TrustedProxies: cfg.TrustedProxies,
		Metrics:        m,
		MetricsHandler: m.Handler(),
		RiverUI:        riverUI,
		Errors:         sentry,
	})
	f.ready(handler)

	riverErr := make(chan error, 1)
	var riverStarted atomic.Bool
	if working {
		go func() { riverErr <- startRiver(ctx, cfg, logger, pool, st, riverClient, &riverStarted, m) }()
	}
	fmt.Fprintf(e.stdout, "knacksync serving on http://%s\n", f.ln.Addr())
	logger.Info("serving", slog.String("addr", f.ln.Addr().String()), slog.Bool("workers", working))

	select {
	case err := <-f.serveErr:
		return fmt.Errorf("http server: %w", err)
	case err := <-riverErr:
		if err != nil {
			return err
		}
		<-ctx.Done()
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing requests in flight, then River's running jobs (up to 30 s; a sweep hands its work back and resumes on the next start); Ctrl-C again quits at once")
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	// Stop taking requests first, then let River finish (or hand back) jobs:
	// an interrupted sweep resumes on the next start.
	err = f.shutdown(stopCtx)
	if riverStarted.Load() {
		err = errors.Join(err, riverClient.Stop(stopCtx))
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// hintCommitters transactions record webhook hints at once, each with up
// to hintBatch hints of the requests that waited meanwhile.
const (
	hintCommitters = 2
	hintBatch      = 5000
)

// startRiver starts the workers once the database is migrated (in
// production the release command migrates, and a machine may start first:
// it serves /readyz as 503 meanwhile), then enqueues a sweep when one is due.
func startRiver(ctx context.Context, cfg config.Config, logger *slog.Logger, pool *pgxpool.Pool, st *store.Store, client *river.Client[pgx.Tx], started *atomic.Bool, m *metrics.Metrics) error {
	for {
		err := dbmigrate.Check(ctx, pool)
		if err == nil {
			break
		}
		logger.Warn("waiting for migrations before starting workers", slog.String("error", err.Error()))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(2 * time.Second):
		}
	}
	// Before Start, so that no job's outcome is missed.
	if err := m.WatchRiver(ctx, client); err != nil {
		logger.Warn("job metrics", slog.String("error", err.Error()))
	}
	// Held for the process's life: a sweep job this process runs is then
	// known to be alive; one whose process died is resumed at once
	// (worker.ResumeDeadSweeps) instead of after River's rescue delay.
	releaseOwner, err := worker.HoldOwnerLock(ctx, st, client)
	if err != nil {
		return err
	}
	if err := client.Start(ctx); err != nil {
		releaseOwner()
		return fmt.Errorf("start river: %w", err)
	}
	go func() {
		<-client.Stopped()
		releaseOwner()
	}()
	started.Store(true)
	// The process was down when the nightly sweep was due, or a sweep was
	// interrupted: run it now.
	if reason, err := worker.CatchUp(ctx, st, client, cfg.SyncCron, time.Now()); err != nil {
		logger.Error("catch-up check failed", slog.String("error", err.Error()))
	} else if reason != "" {
		logger.Warn("sweep enqueued on start", slog.String("reason", reason))
	}
	return nil
}

// newRiver builds the River client. Without a Knack app to fetch from, it is
// insert-only: hints are accepted and queued, and wait for a configuration.
func newRiver(cfg config.Config, logger *slog.Logger, pool *pgxpool.Pool, st *store.Store, sentry *notify.Sentry, observer worker.Observer, m *metrics.Metrics) (*river.Client[pgx.Tx], *knack.Client, bool, error) {
	budget := newBudget(cfg, logger, st, sentry)
	kn, err := newMeteredKnackClient(cfg, logger, st, m.KnackResponse, budget)
	if errors.Is(err, errNoKnack) {
		logger.Warn("no Knack app configured: webhooks are queued but nothing is fetched (set KNACK_APP_ID and KNACK_API_KEY, or run `server demo`)")
		c, err := worker.NewClient(pool, logger, worker.ClientOptions{})
		return c, nil, false, err
	}
	if err != nil {
		return nil, nil, false, err
	}
	if err := m.RegisterKnackQuota(metrics.KnackQuota(kn)); err != nil {
		logger.Warn("quota metric", slog.String("error", err.Error()))
	}
	if err := m.RegisterKnackBudget(budget.Metrics); err != nil {
		logger.Warn("budget metric", slog.String("error", err.Error()))
	}
	sy := syncer.New(st, kn, logger, time.Now, syncer.Config{MaxDeleteRatio: cfg.SyncMaxDeleteRatio, OnRunFinished: m.ObserveRun, Stats: newStats(cfg, logger, pool)})
	// Behind a transaction pooler LISTEN/NOTIFY does not work: River polls.
	pollOnly, reason := dbmigrate.PoolerMode(cfg.DatabaseURL, dbmigrate.ProbeServer(context.Background(), pool))
	if pollOnly {
		logger.Warn("transaction pooler: River runs poll-only", slog.String("reason", reason))
	}
	c, err := worker.NewRiverClient(worker.Deps{
		Pool: pool, Store: st, Syncer: sy, Observer: observer, Logger: logger, Now: time.Now,
		Cron: cfg.SyncCron, PollOnly: pollOnly,
		PollFields: cfg.PollFields, PollEvery: cfg.PollInterval, PollMargin: cfg.PollMargin,
		ErrorHandler: sentry.RiverErrorHandler(), Middleware: []rivertype.Middleware{sentry.RiverMiddleware()},
		Budget: budget,
	})
	if err != nil {
		return nil, nil, false, fmt.Errorf("river client: %w", err)
	}
	return c, kn, true, nil
}

// knackStats is the status page's quota source: nil without a Knack client
// (a nil *knack.Client in the interface would not be nil).
func knackStats(kn *knack.Client) httpapi.KnackStats {
	if kn == nil {
		return nil
	}
	return kn
}

// readiness is the database half of /readyz.
type readiness struct{ pool *pgxpool.Pool }

func (r readiness) Ready(ctx context.Context) error {
	if err := r.pool.Ping(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	return dbmigrate.Check(ctx, r.pool)
}
