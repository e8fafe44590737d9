package metrics

import "github.com/prometheus/client_golang/prometheus"

// Budget is the day's Knack quota budget (worker.Budget's figures).
type Budget struct {
	// Known is false until Knack reported the plan's limit: no series then.
	Known bool
	// HintBudget is the hint requests the day allows; HintRequests those
	// made; Reserve the requests kept for the live app.
	HintBudget   int64
	HintRequests int64
	Reserve      int64
	// HintsWaiting is true when the hint budget is spent and hints wait for
	// the nightly sweep.
	HintsWaiting bool
}

// BudgetFunc reports the budget at scrape time; it must not block.
type BudgetFunc func() Budget

// RegisterKnackBudget adds knacksync_knack_hint_budget,
// knacksync_knack_hint_requests_today, knacksync_knack_quota_reserve and
// knacksync_knack_hints_waiting_for_sweep (1 when hints wait for the
// nightly sweep), read from f at scrape time. At most once per Metrics.
func (m *Metrics) RegisterKnackBudget(f BudgetFunc) error {
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(namespace+"_knack_"+name, help, nil, nil)
	}
	return m.reg.Register(&budgetCollector{
		budget:   f,
		hint:     desc("hint_budget", "Knack requests hint passes may make today (the daily limit less the reserve and a sweep's needs)."),
		hintUsed: desc("hint_requests_today", "Knack requests made for hints today (UTC day)."),
		reserve:  desc("quota_reserve", "Knack requests of the daily limit the service leaves to the live app (KNACK_QUOTA_RESERVE)."),
		waiting:  desc("hints_waiting_for_sweep", "1 when today's hint budget is spent and hints wait for the nightly sweep, else 0."),
	})
}

type budgetCollector struct {
	budget                           BudgetFunc
	hint, hintUsed, reserve, waiting *prometheus.Desc
}

func (c *budgetCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.hint
	ch <- c.hintUsed
	ch <- c.reserve
	ch <- c.waiting
}

func (c *budgetCollector) Collect(ch chan<- prometheus.Metric) {
	b := c.budget()
	if !b.Known {
		return
	}
	waiting := 0.0
	if b.HintsWaiting {
		waiting = 1
	}
	ch <- prometheus.MustNewConstMetric(c.hint, prometheus.GaugeValue, float64(b.HintBudget))
	ch <- prometheus.MustNewConstMetric(c.hintUsed, prometheus.GaugeValue, float64(b.HintRequests))
	ch <- prometheus.MustNewConstMetric(c.reserve, prometheus.GaugeValue, float64(b.Reserve))
	ch <- prometheus.MustNewConstMetric(c.waiting, prometheus.GaugeValue, waiting)
}
