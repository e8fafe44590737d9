package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"knacksync/internal/store"
)

const collectorLastSuccess = "last_success"

// Querier runs a query; *pgxpool.Pool and pgx.Tx have it.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// lastSuccessCollector reads knacksync_last_success_timestamp_seconds from
// Postgres at scrape time, so that the figure is right whichever instance
// ran the sweep and survives restarts. It is store.LastSuccess, the status
// page's "last success" too.
type lastSuccessCollector struct {
	db      Querier
	objects []string
	timeout time.Duration
	logger  *slog.Logger
	errors  prometheus.Counter
	desc    *prometheus.Desc
}

func newLastSuccessCollector(db Querier, objects []string, timeout time.Duration, logger *slog.Logger, errors prometheus.Counter) *lastSuccessCollector {
	return &lastSuccessCollector{
		db: db, objects: objects, timeout: timeout, logger: logger, errors: errors,
		desc: prometheus.NewDesc(namespace+"_last_success_timestamp_seconds",
			"When the last sweep that completed the object finished, Unix seconds; 0 when none has.",
			[]string{"object"}, nil),
	}
}

func (c *lastSuccessCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect never fails the scrape: on a database error it reports no series
// and counts the error in knacksync_metrics_scrape_errors_total.
func (c *lastSuccessCollector) Collect(ch chan<- prometheus.Metric) {
	// promhttp gives collectors no context: the scrape's own timeout
	// cannot reach the query, so it gets its own.
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	last, err := c.query(ctx)
	if err != nil {
		c.errors.Inc()
		c.logger.WarnContext(ctx, "metrics: last successful sync query failed", slog.String("error", err.Error()))
		return
	}
	for _, o := range c.objects {
		if _, ok := last[o]; !ok {
			last[o] = 0
		}
	}
	for object, ts := range last {
		m, err := prometheus.NewConstMetric(c.desc, prometheus.GaugeValue, ts, object)
		if err != nil {
			c.errors.Inc()
			continue
		}
		ch <- m
	}
}

func (c *lastSuccessCollector) query(ctx context.Context) (map[string]float64, error) {
	last, err := store.LastSuccess(ctx, c.db)
	if err != nil {
		return nil, err
	}
	out := make(map[string]float64, len(last))
	for object, at := range last {
		out[object] = float64(at.UnixMicro()) / 1e6
	}
	return out, nil
}
