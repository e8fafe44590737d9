package config

import (
	"slices"
	"testing"
)

// STATS_EXCLUDE_EMAIL_DOMAINS: comma-separated domains, lower-cased, a
// leading "@" dropped; vespa.academy when unset.
func TestStatsExcludeEmailDomains(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		value string
		want  []string
	}{
		{"", []string{"vespa.academy"}},
		{" Vespa.Academy , @Test.Example.org,, ", []string{"vespa.academy", "test.example.org"}},
	} {
		c, err := Load(func(name string) string {
			if name == "STATS_EXCLUDE_EMAIL_DOMAINS" {
				return tt.value
			}
			return ""
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(c.StatsExcludeEmailDomains, tt.want) {
			t.Errorf("%q: %v, want %v", tt.value, c.StatsExcludeEmailDomains, tt.want)
		}
	}
}
