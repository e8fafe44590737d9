package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"knacksync/internal/knack"
)

// statusError labels Knack attempts that got no HTTP response.
const statusError = "error"

// KnackResponse records one Knack API attempt; it has the signature of
// knack.Config.OnResponse (status 0: no response). Rate limiting shows as
// status="429", per-second and daily quota alike.
func (m *Metrics) KnackResponse(status int, d time.Duration) {
	if m == nil {
		return
	}
	m.knackRequests.WithLabelValues(statusLabel(status)).Inc()
	m.knackDuration.Observe(d.Seconds())
}

func statusLabel(status int) string {
	switch {
	case status == 0:
		return statusError
	case status < 100 || status > 599:
		// Not HTTP; keep the label set closed.
		return "other"
	default:
		return strconv.Itoa(status)
	}
}

// QuotaFunc reports the Knack app's daily plan quota: the requests left
// and the limit, as last seen in Knack's X-PlanLimit-* headers; ok is
// false before any was seen.
type QuotaFunc func() (remaining, limit int64, ok bool)

// KnackQuota reads the quota from a Knack client's Stats.
func KnackQuota(c interface{ Stats() knack.Stats }) QuotaFunc {
	return func() (int64, int64, bool) {
		s := c.Stats()
		return s.PlanLimitRemaining, s.PlanLimitLimit, s.PlanLimitRemaining >= 0
	}
}

// RegisterKnackQuota adds knacksync_knack_quota_remaining and
// knacksync_knack_quota_limit, read from f at scrape time. It is separate
// from New because the Knack client is built after Metrics (its
// OnResponse is KnackResponse). At most once per Metrics.
func (m *Metrics) RegisterKnackQuota(f QuotaFunc) error {
	return m.reg.Register(&quotaCollector{
		quota: f,
		remaining: prometheus.NewDesc(namespace+"_knack_quota_remaining",
			"Knack API requests left in the app's daily plan quota, as last reported by Knack (absent before the first response).", nil, nil),
		limit: prometheus.NewDesc(namespace+"_knack_quota_limit",
			"The Knack app's daily plan quota, as last reported by Knack (absent before the first response).", nil, nil),
	})
}

type quotaCollector struct {
	quota            QuotaFunc
	remaining, limit *prometheus.Desc
}

func (c *quotaCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.remaining
	ch <- c.limit
}

func (c *quotaCollector) Collect(ch chan<- prometheus.Metric) {
	remaining, limit, ok := c.quota()
	if !ok {
		// No figure yet: no series, rather than a 0 that would page.
		return
	}
	ch <- prometheus.MustNewConstMetric(c.remaining, prometheus.GaugeValue, float64(remaining))
	if limit >= 0 {
		ch <- prometheus.MustNewConstMetric(c.limit, prometheus.GaugeValue, float64(limit))
	}
}
