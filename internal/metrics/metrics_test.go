package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"knacksync/internal/knack"
	"knacksync/internal/store"
)

func TestKnackResponse(t *testing.T) {
	t.Parallel()
	m := New(Options{})
	m.KnackResponse(200, 100*time.Millisecond)
	m.KnackResponse(200, 300*time.Millisecond)
	m.KnackResponse(429, 10*time.Millisecond)
	m.KnackResponse(500, time.Second)
	m.KnackResponse(0, 30*time.Second)
	m.KnackResponse(1000, 0)

	got := gather(t, m.Registry())
	want := map[string]float64{
		`knacksync_knack_requests_total{status="200"}`:   2,
		`knacksync_knack_requests_total{status="429"}`:   1,
		`knacksync_knack_requests_total{status="500"}`:   1,
		`knacksync_knack_requests_total{status="error"}`: 1,
		`knacksync_knack_requests_total{status="other"}`: 1,
	}
	if diff := cmp.Diff(want, only(got, "knacksync_knack_requests_total")); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}
	if n := got[`knacksync_knack_request_duration_seconds_count{}`]; n != 6 {
		t.Errorf("duration count = %v, want 6", n)
	}
	if s := got[`knacksync_knack_request_duration_seconds_sum{}`]; s < 31.40 || s > 31.42 {
		t.Errorf("duration sum = %v, want 31.41", s)
	}
}

// fakeStats stands in for a knack.Client's Stats.
type fakeStats struct{ s knack.Stats }

func (f *fakeStats) Stats() knack.Stats { return f.s }

func TestKnackQuota(t *testing.T) {
	t.Parallel()

	t.Run("AbsentUntilSeen", func(t *testing.T) {
		t.Parallel()
		m := New(Options{})
		stats := &fakeStats{s: knack.Stats{PlanLimitRemaining: -1, PlanLimitLimit: -1}}
		if err := m.RegisterKnackQuota(KnackQuota(stats)); err != nil {
			t.Fatal(err)
		}
		if got := only(gather(t, m.Registry()), "knacksync_knack_quota"); len(got) != 0 {
			t.Errorf("quota before any response = %v, want no series", got)
		}
	})

	t.Run("ReadAtScrape", func(t *testing.T) {
		t.Parallel()
		m := New(Options{})
		stats := &fakeStats{s: knack.Stats{PlanLimitRemaining: 24000, PlanLimitLimit: 25000}}
		if err := m.RegisterKnackQuota(KnackQuota(stats)); err != nil {
			t.Fatal(err)
		}
		want := map[string]float64{
			`knacksync_knack_quota_limit{}`:     25000,
			`knacksync_knack_quota_remaining{}`: 24000,
		}
		if diff := cmp.Diff(want, only(gather(t, m.Registry()), "knacksync_knack_quota")); diff != "" {
			t.Errorf("quota mismatch (-want +got):\n%s", diff)
		}
		stats.s.PlanLimitRemaining = 23990
		if got := gather(t, m.Registry())[`knacksync_knack_quota_remaining{}`]; got != 23990 {
			t.Errorf("quota after change = %v, want 23990", got)
		}
	})

	t.Run("Once", func(t *testing.T) {
		t.Parallel()
		m := New(Options{})
		f := func() (int64, int64, bool) { return 1, 2, true }
		if err := m.RegisterKnackQuota(f); err != nil {
			t.Fatal(err)
		}
		if err := m.RegisterKnackQuota(f); err == nil {
			t.Error("second RegisterKnackQuota succeeded, want an error")
		}
	})
}

func TestObserveRun(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	finished := func(d time.Duration) *time.Time { f := start.Add(d); return &f }

	m := New(Options{})
	m.ObserveRun(&store.Run{
		Kind: store.KindSweep, Status: store.StatusSucceeded, StartedAt: start, FinishedAt: finished(90 * time.Second),
		Progress: []store.ObjectProgress{
			{Object: "object_10", RecordsChanged: 5, RecordsDeleted: 1},
			{Object: "object_29", RecordsChanged: 0},
		},
		Tables: map[string]store.Counts{
			"vespa_students": {Inserted: 3, Updated: 2, Deleted: 1, Unchanged: 100},
			"vespa_scores":   {Updated: 7},
		},
	})
	m.ObserveRun(&store.Run{
		Kind: store.KindIncremental, Status: store.StatusSucceeded, StartedAt: start, FinishedAt: finished(2 * time.Second),
		Progress: []store.ObjectProgress{{Object: "object_10", RecordsChanged: 2}},
		Tables:   map[string]store.Counts{"vespa_students": {Updated: 2}},
	})
	m.ObserveRun(&store.Run{Kind: store.KindSweep, Status: store.StatusFailed, StartedAt: start, FinishedAt: finished(time.Hour)})
	// Ignored: no run, and a run not finished.
	m.ObserveRun(nil)
	m.ObserveRun(&store.Run{Kind: store.KindSweep, Status: store.StatusRunning, StartedAt: start})

	got := gather(t, m.Registry())
	for _, tc := range []struct {
		prefix string
		want   map[string]float64
	}{
		{"knacksync_sync_runs_total", map[string]float64{
			`knacksync_sync_runs_total{kind="incremental",status="succeeded"}`: 1,
			`knacksync_sync_runs_total{kind="sweep",status="failed"}`:          1,
			`knacksync_sync_runs_total{kind="sweep",status="succeeded"}`:       1,
		}},
		{"knacksync_sync_duration_seconds", map[string]float64{
			`knacksync_sync_duration_seconds_count{kind="incremental"}`: 1,
			`knacksync_sync_duration_seconds_sum{kind="incremental"}`:   2,
			`knacksync_sync_duration_seconds_count{kind="sweep"}`:       2,
			`knacksync_sync_duration_seconds_sum{kind="sweep"}`:         3690,
		}},
		{"knacksync_records_changed_total", map[string]float64{
			`knacksync_records_changed_total{object="object_10"}`: 7,
			`knacksync_records_changed_total{object="object_29"}`: 0,
		}},
		{"knacksync_records_deleted_total", map[string]float64{
			`knacksync_records_deleted_total{object="object_10"}`: 1,
			`knacksync_records_deleted_total{object="object_29"}`: 0,
		}},
		{"knacksync_rows_written_total", map[string]float64{
			`knacksync_rows_written_total{op="delete",table="vespa_scores"}`:   0,
			`knacksync_rows_written_total{op="insert",table="vespa_scores"}`:   0,
			`knacksync_rows_written_total{op="update",table="vespa_scores"}`:   7,
			`knacksync_rows_written_total{op="delete",table="vespa_students"}`: 1,
			`knacksync_rows_written_total{op="insert",table="vespa_students"}`: 3,
			`knacksync_rows_written_total{op="update",table="vespa_students"}`: 4,
		}},
	} {
		t.Run(tc.prefix, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, only(got, tc.prefix)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHints(t *testing.T) {
	t.Parallel()
	m := New(Options{Objects: []string{"object_10", "object_29"}})
	m.HintAccepted("object_10", 3)
	m.HintAccepted("object_10", 1)
	m.HintAccepted("object_999", 2) // not on the allow-list
	m.HintAccepted("object_29", 0)
	m.HintRejected(RejectUnauthorized)
	m.HintRejected(RejectUnauthorized)
	m.HintRejected(RejectTooLarge)
	m.HintRejected("someone@example.com")

	got := gather(t, m.Registry())
	want := map[string]float64{
		`knacksync_hints_received_total{object="object_10"}`:         4,
		`knacksync_hints_received_total{object="object_29"}`:         0,
		`knacksync_hints_received_total{object="other"}`:             2,
		`knacksync_hints_rejected_total{reason="bad_request"}`:       0,
		`knacksync_hints_rejected_total{reason="other"}`:             1,
		`knacksync_hints_rejected_total{reason="too_large"}`:         1,
		`knacksync_hints_rejected_total{reason="unauthorized"}`:      2,
		`knacksync_hints_rejected_total{reason="unsupported_media"}`: 0,
	}
	if diff := cmp.Diff(want, only(got, "knacksync_hints_")); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestNilMetrics(t *testing.T) {
	t.Parallel()
	// The recorders are no-ops on nil, so a caller may hold a nil *Metrics.
	var m *Metrics
	m.KnackResponse(200, time.Second)
	m.ObserveRun(&store.Run{Kind: store.KindSweep, Status: store.StatusSucceeded})
	m.HintAccepted("object_10", 1)
	m.HintRejected(RejectBadRequest)
	if err := m.WatchRiver(t.Context(), nil); err == nil {
		t.Error("WatchRiver on nil Metrics succeeded, want an error")
	}
}

// scrape fetches the handler's exposition over HTTP and decodes it.
func scrape(t *testing.T, h http.Handler) ([]*dto.MetricFamily, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	res, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s\n%s", res.Status, body)
	}
	dec := expfmt.NewDecoder(strings.NewReader(string(body)), expfmt.ResponseFormat(res.Header))
	var families []*dto.MetricFamily
	for {
		var f dto.MetricFamily
		if err := dec.Decode(&f); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decode: %v", err)
		}
		families = append(families, &f)
	}
	return families, string(body)
}

func TestHandler(t *testing.T) {
	t.Parallel()
	m := New(Options{Objects: []string{"object_10"}})
	m.KnackResponse(429, time.Millisecond)
	m.HintAccepted("object_10", 2)
	m.HintRejected(RejectBadRequest)
	m.ObserveRun(&store.Run{Kind: store.KindSweep, Status: store.StatusSucceeded,
		Progress: []store.ObjectProgress{{Object: "object_10", RecordsChanged: 1}},
		Tables:   map[string]store.Counts{"vespa_students": {Inserted: 1}}})
	if err := m.RegisterKnackQuota(func() (int64, int64, bool) { return 9, 10, true }); err != nil {
		t.Fatal(err)
	}

	families, body := scrape(t, m.Handler())
	got := samples(families)
	for key, want := range map[string]float64{
		`knacksync_knack_requests_total{status="429"}`:                     1,
		`knacksync_knack_quota_remaining{}`:                                9,
		`knacksync_hints_received_total{object="object_10"}`:               2,
		`knacksync_hints_rejected_total{reason="bad_request"}`:             1,
		`knacksync_sync_runs_total{kind="sweep",status="succeeded"}`:       1,
		`knacksync_records_changed_total{object="object_10"}`:              1,
		`knacksync_rows_written_total{op="insert",table="vespa_students"}`: 1,
	} {
		if got[key] != want {
			t.Errorf("%s = %v, want %v", key, got[key], want)
		}
	}
	// The runtime and process collectors are on the registry too.
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if !strings.Contains(body, "\n"+name+" ") {
			t.Errorf("scrape lacks %s", name)
		}
	}
	// No personal data: no label value carries an email address.
	for _, f := range families {
		for _, mt := range f.GetMetric() {
			for _, l := range mt.GetLabel() {
				if strings.Contains(l.GetValue(), "@") {
					t.Errorf("%s has label %s=%q", f.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
}
