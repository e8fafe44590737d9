package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/config"
	"knacksync/internal/dbmigrate"
	"knacksync/internal/dbtimeout"
	"knacksync/internal/knack"
	"knacksync/internal/store"
	"knacksync/internal/syncer"
	"knacksync/internal/worker"
)

// openDatabase connects, and in development creates and migrates the
// database so that one command is enough on a new machine. In production
// the release command migrates.
func openDatabase(ctx context.Context, cfg config.Config, logger *slog.Logger) (*pgxpool.Pool, error) {
	url := cfg.DatabaseURL
	if tx, _ := dbmigrate.PoolerMode(url, dbmigrate.ServerFacts{}); tx && !strings.Contains(url, "default_query_exec_mode") {
		// A transaction pooler (Supavisor, PgBouncer) cannot keep prepared
		// statements across transactions.
		sep := "?"
		if strings.Contains(url, "?") {
			sep = "&"
		}
		url += sep + "default_query_exec_mode=simple_protocol"
	}
	tx, _ := dbmigrate.PoolerMode(url, dbmigrate.ServerFacts{})
	var timeouts []func(*pgxpool.Config)
	if !tx {
		// Short statement and lock timeouts for HTTP requests, longer ones
		// for sweeps and jobs (dbtimeout). Not behind a transaction pooler,
		// where a session setting would reach other clients' transactions.
		timeouts = append(timeouts, func(pc *pgxpool.Config) {
			dbtimeout.Configure(pc, dbtimeout.Config{
				Request:    dbtimeout.Timeouts{Statement: cfg.RequestStatementTimeout, Lock: cfg.RequestLockTimeout},
				Background: dbtimeout.Timeouts{Statement: cfg.SyncStatementTimeout, Lock: cfg.SyncLockTimeout},
			})
		})
	}
	pool, err := dbmigrate.Open(ctx, url, !cfg.Production(), timeouts...)
	if err != nil {
		return nil, err
	}
	if !cfg.Production() {
		if _, err := dbmigrate.Migrate(ctx, pool, logger); err != nil {
			pool.Close()
			return nil, err
		}
	}
	return pool, nil
}

var errNoKnack = errors.New("KNACK_APP_ID and KNACK_API_KEY are not set: point them (and KNACK_API_URL) at a Knack app, or at `server sim` for a local try")

// newKnackClient builds the Knack client from the configuration. Its
// requests take slots of the budget shared through Postgres (st), so that
// every process of the service together stays under Knack's rate limit.
//
// onResponse, when not nil, hears of every response (metrics). Every
// request is counted in the day's ledger and kept above the quota reserve.
func newKnackClient(cfg config.Config, logger *slog.Logger, st *store.Store, onResponse func(int, time.Duration)) (*knack.Client, error) {
	return newMeteredKnackClient(cfg, logger, st, onResponse, newBudget(cfg, logger, st, nil))
}

// newBudget is the Knack quota budget of cfg over st.
func newBudget(cfg config.Config, logger *slog.Logger, st *store.Store, warner worker.Warner) *worker.Budget {
	return worker.NewBudget(st, worker.BudgetOptions{Reserve: cfg.KnackQuotaReserve, Objects: syncer.Objects(), Warner: warner, Logger: logger})
}

// newMeteredKnackClient is newKnackClient with the budget that meters it.
func newMeteredKnackClient(cfg config.Config, logger *slog.Logger, st *store.Store, onResponse func(int, time.Duration), budget *worker.Budget) (*knack.Client, error) {
	if !cfg.KnackConfigured() {
		return nil, errNoKnack
	}
	return knack.New(knack.Config{
		BaseURL:   cfg.KnackAPIURL,
		AppID:     cfg.KnackAppID,
		APIKey:    cfg.KnackAPIKey,
		RateLimit: cfg.KnackRateLimit,
		// The same headroom as the client's own bucket: Knack counts per
		// clock second, and a late request must not make 11.
		Limiter: st.RateLimiter("knack:"+cfg.KnackAppID, cfg.KnackRateLimit*knack.RateHeadroom),
		// Enough pages in flight to keep the rate limit busy at Knack's
		// latency (~300 ms), few enough to bound memory (~25 MB a page).
		Concurrency: int(cfg.KnackRateLimit*0.4) + 1,
		Logger:      logger,
		OnResponse:  onResponse,
		Meter:       budget,
	}), nil
}
