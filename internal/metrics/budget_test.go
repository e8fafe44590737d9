package metrics

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestKnackBudget(t *testing.T) {
	t.Parallel()
	m := New(Options{})
	b := Budget{}
	if err := m.RegisterKnackBudget(func() Budget { return b }); err != nil {
		t.Fatal(err)
	}
	if got := only(gather(t, m.Registry()), "knacksync_knack_h"); len(got) != 0 {
		t.Errorf("budget before Knack reported a limit = %v, want no series", got)
	}
	b = Budget{Known: true, HintBudget: 420, HintRequests: 420, Reserve: 500, HintsWaiting: true}
	want := map[string]float64{
		`knacksync_knack_hint_budget{}`:             420,
		`knacksync_knack_hint_requests_today{}`:     420,
		`knacksync_knack_hints_waiting_for_sweep{}`: 1,
		`knacksync_knack_quota_reserve{}`:           500,
	}
	all := gather(t, m.Registry())
	got := map[string]float64{}
	for k := range want {
		if v, ok := all[k]; ok {
			got[k] = v
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("budget mismatch (-want +got):\n%s", diff)
	}
	if err := m.RegisterKnackBudget(func() Budget { return b }); err == nil {
		t.Error("second RegisterKnackBudget succeeded, want an error")
	}
}
