package httpapi

import (
	"testing"
	"time"

	"knacksync/internal/store"
)

func TestFormatNumber(t *testing.T) {
	t.Parallel()
	v := int64(1234567)
	for _, tt := range []struct {
		in   any
		want string
	}{
		{0, "0"}, {7, "7"}, {999, "999"}, {1000, "1,000"}, {12345, "12,345"},
		{99999978, "99,999,978"}, {int64(1000000), "1,000,000"}, {-1234567, "-1,234,567"}, {-999, "-999"},
		{&v, "1,234,567"}, {(*int64)(nil), ""}, {int32(4096), "4,096"},
	} {
		if got := formatNumber(tt.in); got != tt.want {
			t.Errorf("formatNumber(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ got, want string }{
		{objectName("object_10"), "Results (object_10)"},
		{objectName("object_29"), "Questionnaires (object_29)"},
		{objectName("object_2"), "Establishments (object_2)"},
		{objectName("object_5"), "Staff admins (object_5)"},
		{objectName("object_21"), "Super users (object_21)"},
		{objectName("object_3"), "Accounts (object_3)"},
		{objectName("object_112"), "Academic profiles (object_112)"},
		{objectName("object_77"), "object_77"}, // not in the map: the id alone
		{fieldName("object_10", "field_197"), "Email (field_197)"},
		{fieldName("object_10", "field_855"), "Completion date (field_855)"},
		{fieldName("object_29", "field_1955"), "Cycle 2 answer q1 (field_1955)"},
		{fieldName("object_10", "2025/2026"), "2025/2026"}, // an issue's field that is no field
		{objectNames([]string{"object_2", "object_10"}, []string{"object_2", "object_10", "object_29"}), "Establishments (object_2), Results (object_10)"},
		{objectNames([]string{"object_2", "object_10"}, []string{"object_2", "object_10"}), "all 2 objects"},
		{duplicateKey("object_10", "2025/2026|mia@wattle.example"), "the same student e-mail in 2025/2026"},
		{duplicateKey("object_29", "2025/2026|4f0c9a1e-0000-4000-8000-000000000000|2"), "the same student's cycle 2 answers in 2025/2026"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestErrorInWords(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ err, want string }{
		{"", ""},
		{"sweep object_10: page 3: HTTP 502 Bad Gateway",
			"Knack's servers failed (HTTP 502), even after retries, while syncing Results (object_10) (page 3)."},
		{"sweep object_2: page 1: HTTP 401 Unauthorized: Invalid API key",
			"Knack refused the API key or application id (HTTP 401): check KNACK_APP_ID and KNACK_API_KEY, while syncing Establishments (object_2) (page 1)."},
		{"sweep object_29: page 2: daily API quota exhausted (limit 10000), resets at 2025-09-02T00:00:00Z",
			"Knack's daily API quota is used up; it resets at 00:00 UTC, while syncing Questionnaires (object_29) (page 2)."},
		{"not enough Knack quota left today to finish a sweep: 40 requests left, 120 needed",
			"Not enough of today's Knack quota was left to finish a sweep, so none started."},
		{"fetch object_112/0123456789abcdef01234567: GET /v1/objects/object_112/records/0123: request timed out after 30s",
			"Knack did not answer in time, even after retries, while syncing Academic profiles (object_112)."},
		{"context canceled", "The run was stopped (the server shut down or restarted)."},
		{"sweep object_10: page 1: HTTP 429 Too Many Requests",
			"Knack kept answering \"too many requests\" (HTTP 429), even after retries, while syncing Results (object_10) (page 1)."},
		{"sweep object_10: merge: ERROR: canceling statement due to statement timeout (SQLSTATE 57014)",
			"The database was too busy and a statement timed out, while syncing Results (object_10)."},
		{"something odd", "The run stopped on an error."},
	} {
		if got := errorInWords(tt.err); got != tt.want {
			t.Errorf("errorInWords(%q)\n got %q\nwant %q", tt.err, got, tt.want)
		}
	}
}

func TestRetryText(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)
	next := time.Date(2025, 9, 2, 2, 0, 0, 0, time.UTC)
	failedSweep := statusRun{ID: 5, Kind: store.KindSweep, Objects: []string{"object_2", "object_10"}, Status: store.StatusFailed}
	failedHints := statusRun{ID: 6, Kind: store.KindIncremental, Objects: []string{"object_10"}, Status: store.StatusFailed}
	sweepJob := store.PendingJob{ID: 17, Kind: "knack_sweep", State: "retryable", Attempt: 1, MaxAttempts: 4, ScheduledAt: now.Add(81 * time.Second)}
	for _, tt := range []struct {
		name  string
		run   statusRun
		newer []statusRun
		jobs  []store.PendingJob
		next  *time.Time
		want  string
	}{
		{"succeeded: nothing to say", statusRun{Kind: store.KindSweep, Status: store.StatusSucceeded}, nil, []store.PendingJob{sweepJob}, &next, ""},
		{"River retries the sweep job", failedSweep, nil, []store.PendingJob{sweepJob}, &next,
			"River runs it again at 2025-09-01 12:01 UTC, in 1m 21s (job 17, attempt 2 of 4)."},
		{"the retry is running", failedSweep, nil, []store.PendingJob{{ID: 17, Kind: "knack_sweep", State: "running", Attempt: 2, MaxAttempts: 4, ScheduledAt: now}}, &next,
			"River is running it again now (job 17, attempt 2 of 4)."},
		{"no job: the next scheduled sweep", failedSweep, nil, nil, &next,
			"The next scheduled sweep, at 2025-09-02 02:00 UTC (in 14h 00m), tries again; or press Sync now."},
		{"no schedule", failedSweep, nil, nil, nil, "No sweep is scheduled: press Sync now to try again."},
		{"a later sweep succeeded", failedSweep,
			[]statusRun{{ID: 9, Kind: store.KindSweep, Objects: []string{"object_2", "object_10", "object_29"}, Status: store.StatusSucceeded}},
			[]store.PendingJob{sweepJob}, &next, "Run 9 has succeeded since."},
		{"a later sweep of other objects does not count", failedSweep,
			[]statusRun{{ID: 9, Kind: store.KindSweep, Objects: []string{"object_29"}, Status: store.StatusSucceeded}},
			nil, &next, "The next scheduled sweep, at 2025-09-02 02:00 UTC (in 14h 00m), tries again; or press Sync now."},
		{"the nearest later run speaks", failedSweep,
			[]statusRun{{ID: 11, Kind: store.KindSweep, Objects: []string{"object_2", "object_10"}, Status: store.StatusSucceeded},
				{ID: 10, Kind: store.KindSweep, Objects: []string{"object_2", "object_10"}, Status: store.StatusRunning}},
			nil, &next, "Run 10 is trying again now."},
		{"hints: the object's job", failedHints, nil,
			[]store.PendingJob{sweepJob, {ID: 3, Kind: "knack_hints", State: "available", Attempt: 0, MaxAttempts: 20, ScheduledAt: now.Add(-time.Second), Object: "object_10"}},
			&next, "River runs it again now (job 3, attempt 1 of 20)."},
		{"hints: another object's job does not count", failedHints, nil,
			[]store.PendingJob{{ID: 3, Kind: "knack_hints", State: "available", MaxAttempts: 20, ScheduledAt: now, Object: "object_29"}},
			&next, "The next change hint for the object, or the scheduled sweep at 2025-09-02 02:00 UTC, picks it up."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryText(tt.run, tt.newer, tt.jobs, tt.next, now); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
