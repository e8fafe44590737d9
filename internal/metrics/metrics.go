// Package metrics is the service's Prometheus instrumentation, served at
// GET /metrics: Knack requests and quota, sync runs, webhook hints, River
// job outcomes and the last successful sync per object.
//
// Every metric lives on the Metrics' own registry, never on the global
// default one, so that tests (and two servers in one process) do not share
// counters. Label values are drawn from closed sets (HTTP statuses, run
// kinds, Knack object keys, table names, job kinds, rejection reasons):
// nothing from a request body, no record ids, no emails, no secrets.
package metrics

import (
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"knacksync/internal/buildinfo"
)

const namespace = "knacksync"

// DefaultQueryTimeout bounds the scrape-time query for the last successful
// sync; Prometheus' own scrape timeout defaults to 10 s.
const DefaultQueryTimeout = 2 * time.Second

// Options configure New. Every field is optional.
type Options struct {
	// DB, when set, is queried at scrape time for
	// knacksync_last_success_timestamp_seconds. A *pgxpool.Pool fits.
	DB Querier
	// Objects are the Knack object keys the service syncs
	// (syncer.Objects()). Each gets a last-success series even before its
	// first successful sweep (value 0), so that an alert on its age fires;
	// and hints naming anything else are counted as object="other".
	Objects []string
	// QueryTimeout bounds the scrape-time query; default DefaultQueryTimeout.
	QueryTimeout time.Duration
	// Logger hears about failed scrape-time queries; default: discarded.
	Logger *slog.Logger
}

// Metrics holds the service's collectors. Its recording methods are safe
// for concurrent use, and are no-ops on a nil *Metrics.
type Metrics struct {
	reg     *prometheus.Registry
	logger  *slog.Logger
	objects map[string]bool

	knackRequests *prometheus.CounterVec
	knackDuration prometheus.Histogram

	runs           *prometheus.CounterVec
	runDuration    *prometheus.HistogramVec
	recordsChanged *prometheus.CounterVec
	recordsDeleted *prometheus.CounterVec
	rowsWritten    *prometheus.CounterVec

	hintsReceived *prometheus.CounterVec
	hintsRejected *prometheus.CounterVec

	jobs        *prometheus.CounterVec
	jobDuration *prometheus.HistogramVec

	scrapeErrors *prometheus.CounterVec
}

// New returns Metrics on a fresh registry that also carries the Go runtime
// and process collectors.
func New(opts Options) *Metrics {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.QueryTimeout <= 0 {
		opts.QueryTimeout = DefaultQueryTimeout
	}
	m := &Metrics{
		reg:     prometheus.NewRegistry(),
		logger:  opts.Logger,
		objects: map[string]bool{},

		knackRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "knack_requests_total",
			Help: `HTTP attempts sent to the Knack API, retries included, by response status ("error": no response, e.g. a timeout).`,
		}, []string{"status"}),
		knackDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "knack_request_duration_seconds",
			Help:    "Duration of one Knack API attempt, response body included.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),

		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "sync_runs_total",
			Help: "Finished sync runs by kind (sweep, incremental, reproject, ...) and status (succeeded, failed).",
		}, []string{"kind", "status"}),
		runDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "sync_duration_seconds",
			Help: "Duration of finished sync runs by kind, from start to finish.",
			// From a one-record incremental run to a multi-hour sweep.
			Buckets: []float64{.5, 1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400},
		}, []string{"kind"}),
		recordsChanged: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "records_changed_total",
			Help: "Knack records found changed by finished sync runs, by Knack object.",
		}, []string{"object"}),
		recordsDeleted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "records_deleted_total",
			Help: "Knack records found deleted by finished sync runs, by Knack object.",
		}, []string{"object"}),
		rowsWritten: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "rows_written_total",
			Help: "Rows written to target tables by finished sync runs, by table and operation (insert, update, delete).",
		}, []string{"table", "op"}),

		hintsReceived: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "hints_received_total",
			Help: "Webhook change hints accepted, by Knack object.",
		}, []string{"object"}),
		hintsRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "hints_rejected_total",
			Help: "Webhook requests refused, by reason (unauthorized, bad_request, too_large, unsupported_media).",
		}, []string{"reason"}),

		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "jobs_total",
			Help: "River job attempts worked by this process, by job kind and outcome (completed, retried, snoozed, cancelled, discarded, interrupted).",
		}, []string{"kind", "outcome"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "job_duration_seconds",
			Help:    "Time River spent in a job's worker, by job kind.",
			Buckets: []float64{.01, .05, .25, 1, 5, 15, 60, 300, 1800, 7200},
		}, []string{"kind"}),

		scrapeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "metrics_scrape_errors_total",
			Help: "Scrape-time queries that failed or timed out, by collector.",
		}, []string{"collector"}),
	}
	for _, o := range opts.Objects {
		m.objects[o] = true
	}

	bi := buildinfo.Read()
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help: "Always 1; the labels say which build runs (server version).",
	}, []string{"version", "commit", "build_time", "goversion"})
	build.WithLabelValues(bi.Version, bi.Commit, bi.BuildTime, bi.GoVersion).Set(1)
	m.reg.MustRegister(
		build,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.knackRequests, m.knackDuration,
		m.runs, m.runDuration, m.recordsChanged, m.recordsDeleted, m.rowsWritten,
		m.hintsReceived, m.hintsRejected,
		m.jobs, m.jobDuration,
		m.scrapeErrors,
	)
	m.initSeries(opts.Objects)
	if opts.DB != nil {
		m.reg.MustRegister(newLastSuccessCollector(opts.DB, slices.Clone(opts.Objects), opts.QueryTimeout,
			opts.Logger, m.scrapeErrors.WithLabelValues(collectorLastSuccess)))
	}
	return m
}

// initSeries creates the series alerts are written against at zero, so
// that increase() and rate() see the first event instead of a series
// appearing out of nowhere.
func (m *Metrics) initSeries(objects []string) {
	for _, s := range []string{"200", "429", statusError} {
		m.knackRequests.WithLabelValues(s)
	}
	for _, r := range rejectReasons() {
		m.hintsRejected.WithLabelValues(r)
	}
	for _, s := range []string{"succeeded", "failed"} {
		m.runs.WithLabelValues("sweep", s)
	}
	for _, o := range objects {
		m.hintsReceived.WithLabelValues(o)
	}
}

// Registry is the registry every metric above is on, for collectors the
// package does not know (e.g. connection pool statistics).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition formats. A
// failing collector costs its own series only, never the whole scrape.
func (m *Metrics) Handler() http.Handler {
	return promhttp.InstrumentMetricHandler(m.reg, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(m.logger.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.reg,
		// Scrapes are cheap except the last-success query: bound how many
		// run at once, whoever sends them.
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	}))
}
