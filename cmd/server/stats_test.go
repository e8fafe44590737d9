package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"knacksync/internal/dbtest"
)

// `server sync --stats-only` recomputes the derived statistics from the
// base tables without Knack (none is configured here: any Knack call would
// fail), and a second run writes nothing.
func TestSyncStatsOnly(t *testing.T) {
	t.Parallel()
	dbURL := dbtest.URL(t)
	pool := dbtest.Connect(t, dbURL)
	_, err := pool.Exec(context.Background(), `
		INSERT INTO establishments (knack_id, name) VALUES ('5f1a2b3c4d5e6f7a8b9c0d1e', 'Hillside');
		INSERT INTO students (knack_id, email, establishment_id, academic_year)
		SELECT '5f1a2b3c4d5e6f7a8b9c0d2' || n, 'pupil' || n || '@hillside.example', e.id, '2025/2026'
		FROM establishments e, generate_series(1, 3) n;
		INSERT INTO vespa_scores (student_id, cycle, vision, effort, systems, practice, attitude, overall, academic_year)
		SELECT id, 1, 4 + right(knack_id, 1)::int, 5, 5, 5, 5, 5, '2025/2026' FROM students;`)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DATABASE_URL": dbURL, "APP_ENV": "development"}
	for i, want := range []string{`school_statistics\s+6\s+0\s+0\s`, `school_statistics\s+0\s+0\s+0\s`} {
		var out, errOut bytes.Buffer
		if err := run(t.Context(), []string{"server", "sync", "--stats-only"}, mapEnv(env), strings.NewReader(""), &out, &errOut); err != nil {
			t.Fatalf("run %d: %v\n%s", i+1, err, errOut.String())
		}
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("run %d output does not match %s:\n%s", i+1, want, out.String())
		}
	}
	// Vision 5, 6 and 7: mean 6, population SD √(2/3) = 0.82.
	var mean, sd float64
	var dist string
	if err := pool.QueryRow(context.Background(), `SELECT mean, std_dev, distribution::text FROM school_statistics WHERE element = 'vision'`).Scan(&mean, &sd, &dist); err != nil {
		t.Fatal(err)
	}
	if mean != 6 || sd != 0.82 || dist != "[0, 0, 0, 0, 1, 1, 1, 0, 0, 0]" {
		t.Errorf("vision: mean %v sd %v distribution %s, want 6 0.82 [0, 0, 0, 0, 1, 1, 1, 0, 0, 0]", mean, sd, dist)
	}
}
