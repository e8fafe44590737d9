package config

import "testing"

func TestLoadQuotaReserve(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]float64{"": 0.5, "0.25": 0.25, "0": 0, "1": 1, "40%": 0.4, "75": 0.75} {
		c, err := Load(getenv(map[string]string{"KNACK_QUOTA_RESERVE": in}))
		if err != nil {
			t.Errorf("KNACK_QUOTA_RESERVE=%q: %v", in, err)
			continue
		}
		if c.KnackQuotaReserve != want {
			t.Errorf("KNACK_QUOTA_RESERVE=%q gives %g, want %g", in, c.KnackQuotaReserve, want)
		}
	}
	for _, in := range []string{"-0.1", "half", "101", "150%"} {
		if _, err := Load(getenv(map[string]string{"KNACK_QUOTA_RESERVE": in})); err == nil {
			t.Errorf("KNACK_QUOTA_RESERVE=%q accepted", in)
		}
	}
}
