package vespa

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Rule 5 ranks duplicates by the completion timestamp: the date, and the
// time of day when Knack gives one; a date alone counts as 00:00.
func TestProjectObject10CompletedAt(t *testing.T) {
	t.Parallel()
	f := Object10
	at := func(y int, m time.Month, d, h, min int) *time.Time {
		v := time.Date(y, m, d, h, min, 0, 0, time.UTC)
		return &v
	}
	tests := []struct {
		name  string
		field []kv
		want  *time.Time
	}{
		{"formatted date and 24-hour time", both(f.CompletionDate, "", "03/10/2025 16:45"), at(2025, 10, 3, 16, 45)},
		{"formatted pm time", both(f.CompletionDate, "", "03/10/2025 4:45pm"), at(2025, 10, 3, 16, 45)},
		{"formatted 12 am is midnight", both(f.CompletionDate, "", "03/10/2025 12:10 am"), at(2025, 10, 3, 0, 10)},
		{"formatted date alone: 00:00", both(f.CompletionDate, "", "03/10/2025"), at(2025, 10, 3, 0, 0)},
		{
			"raw object: its iso_timestamp's wall clock",
			both(f.CompletionDate, map[string]any{"date": "10/03/2025", "iso_timestamp": "2025-10-03T09:05:00.000Z"}, "03/10/2025"),
			at(2025, 10, 3, 9, 5),
		},
		{
			"raw object without iso_timestamp: the formatted time",
			both(f.CompletionDate, map[string]any{"date": "10/03/2025"}, "03/10/2025 11:00"),
			at(2025, 10, 3, 11, 0),
		},
		{"no date: nil", both(f.CompletionDate, "", ""), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, issues, ok := ProjectObject10(resultRecord(t, resultA, tt.field), testContext())
			if !ok {
				t.Fatalf("not ok: %v", issueKeys(issues))
			}
			if diff := cmp.Diff(tt.want, rows.Student.CompletedAt); diff != "" {
				t.Errorf("completed at (-want +got):\n%s", diff)
			}
		})
	}
}
