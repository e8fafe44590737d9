package metrics

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// sampleKey renders a series as name{k="v",...} with sorted labels; a
// histogram gives name_count{...} and name_sum{...}.
func sampleKey(name string, labels []*dto.LabelPair) string {
	pairs := make([]string, 0, len(labels))
	for _, l := range labels {
		pairs = append(pairs, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
	}
	slices.Sort(pairs)
	return name + "{" + strings.Join(pairs, ",") + "}"
}

// samples flattens metric families into series → value.
func samples(families []*dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			switch {
			case m.Counter != nil:
				out[sampleKey(f.GetName(), m.GetLabel())] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[sampleKey(f.GetName(), m.GetLabel())] = m.GetGauge().GetValue()
			case m.Untyped != nil:
				out[sampleKey(f.GetName(), m.GetLabel())] = m.GetUntyped().GetValue()
			case m.Histogram != nil:
				out[sampleKey(f.GetName()+"_count", m.GetLabel())] = float64(m.GetHistogram().GetSampleCount())
				out[sampleKey(f.GetName()+"_sum", m.GetLabel())] = m.GetHistogram().GetSampleSum()
			}
		}
	}
	return out
}

// gather collects reg's series.
func gather(t *testing.T, reg prometheus.Gatherer) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	return samples(families)
}

// only keeps the series whose name starts with prefix.
func only(all map[string]float64, prefix string) map[string]float64 {
	out := map[string]float64{}
	for _, k := range slices.Sorted(maps.Keys(all)) {
		if strings.HasPrefix(k, prefix) {
			out[k] = all[k]
		}
	}
	return out
}
