package stats_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"testing"
	"time"

	"knacksync/internal/dbmigrate"
	"knacksync/internal/dbtest"
	"knacksync/internal/stats"
)

// legacyDerived is the dashboard's derived tables as an older database has
// them (no average, no national extras, no question mode or percentiles, no
// national question table), with rows the old scripts left: malformed year
// labels, a cycle-3-only row, an archive year, an Australian national label,
// and a row for a group that has base data but wrong values.
const legacyDerived = `
CREATE TABLE school_statistics (
    id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
    establishment_id uuid REFERENCES establishments(id) ON DELETE CASCADE,
    cycle integer NOT NULL CHECK (cycle IN (1, 2, 3)),
    academic_year varchar(10),
    element varchar(20) NOT NULL CHECK (element IN ('vision', 'effort', 'systems', 'practice', 'attitude', 'overall')),
    mean numeric(4,2), std_dev numeric(4,2), count integer,
    percentile_25 numeric(4,2), percentile_50 numeric(4,2), percentile_75 numeric(4,2),
    distribution jsonb, calculated_at timestamptz DEFAULT now(),
    UNIQUE (establishment_id, cycle, academic_year, element));
CREATE TABLE national_statistics (
    id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
    cycle integer NOT NULL CHECK (cycle IN (1, 2, 3)),
    academic_year varchar(10),
    element varchar(20) NOT NULL CONSTRAINT national_statistics_element_check
        CHECK (element IN ('vision', 'effort', 'systems', 'practice', 'attitude', 'overall')),
    mean numeric(4,2), std_dev numeric(4,2), count integer,
    percentile_25 numeric(4,2), percentile_50 numeric(4,2), percentile_75 numeric(4,2),
    distribution jsonb, calculated_at timestamptz DEFAULT now(),
    UNIQUE (cycle, academic_year, element));
CREATE TABLE question_statistics (
    id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
    establishment_id uuid REFERENCES establishments(id) ON DELETE CASCADE,
    cycle integer NOT NULL CHECK (cycle IN (1, 2, 3)),
    academic_year varchar(10),
    question_id varchar(50) NOT NULL,
    mean numeric(4,2), std_dev numeric(4,2), count integer, distribution jsonb,
    calculated_at timestamptz DEFAULT now(),
    UNIQUE (establishment_id, cycle, academic_year, question_id));

INSERT INTO school_statistics (establishment_id, cycle, academic_year, element, mean, count, distribution, calculated_at)
SELECT id, c, y, 'vision', m, 1, d::jsonb, '2025-01-01' FROM establishments,
    (VALUES (1, '2025-26', 5.0, '[]'), (1, '2026-YY', 5.0, '[]'), (1, '2026', 5.0, '[]'), (1, NULL, 5.0, '[]'),
            (3, '2024/2025', 7.5, '[0,0,0,0,0,0,1,0,0,0]'),
            (1, '2023/2024', 6.5, '{"0":0,"6":1}'),
            (1, '2024/2025', 9.99, '[0,0,0,0,0,0,0,0,0,1]')) AS v(c, y, m, d);
INSERT INTO national_statistics (cycle, academic_year, element, mean, count, calculated_at) VALUES
    (1, '2026-YY', 'vision', 5.0, 10, '2025-01-01'), (1, '2025/2025', 'vision', 5.0, 10, '2025-01-01'),
    (2, '2023/2024', 'vision', 6.1, 900, '2025-01-01'), (1, '2024/2025', 'vision', 4.0, 900, '2025-01-01');
INSERT INTO question_statistics (establishment_id, cycle, academic_year, question_id, mean, count, calculated_at)
SELECT id, 1, y, 'q1', 3.0, 5, '2025-01-01' FROM establishments, (VALUES ('2025-26'), ('2023/2024')) AS v(y);
`

// docs/statistics.md, "Adopting an existing database": on a legacy database, malformed labels go, groups with base data
// are recomputed, other rows stay untouched and are listed as history.
func TestLegacyDatabaseAdoption(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Connect(t, dbtest.EmptyURL(t))
	schema, err := os.ReadFile("../dbmigrate/testdata/legacy-schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, string(schema)+legacyDerived); err != nil {
		t.Fatalf("load legacy database: %v", err)
	}
	kept := `SELECT string_agg((t.id, t.cycle, t.academic_year, t.mean, t.std_dev, t.count, t.distribution, t.calculated_at)::text, ';' ORDER BY t.id) || '|' || string_agg(t.xmin::text, ',' ORDER BY t.id) FROM %s t WHERE %s`
	keptSchool := `academic_year IN ('2023/2024') OR (academic_year = '2024/2025' AND cycle = 3)`
	keptNational := `academic_year = '2023/2024'`
	snapshot := func() [3]string {
		var out [3]string
		for i, q := range []string{
			fmt.Sprintf(kept, "school_statistics", keptSchool),
			fmt.Sprintf(kept, "national_statistics", keptNational),
			fmt.Sprintf(kept, "question_statistics", "true AND academic_year = '2023/2024'"),
		} {
			if err := pool.QueryRow(ctx, q).Scan(&out[i]); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	before := snapshot()

	if _, err := dbmigrate.Migrate(ctx, pool, quiet); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	// Malformed labels and the Australian national label are gone.
	for q, want := range map[string]int64{
		`SELECT count(*) FROM school_statistics`:            3,
		`SELECT count(*) FROM national_statistics`:          2,
		`SELECT count(*) FROM question_statistics`:          1,
		`SELECT count(*) FROM national_question_statistics`: 0,
	} {
		if got := queryInt(t, pool, q); got != want {
			t.Errorf("%s = %d after migrate, want %d", q, got, want)
		}
	}
	// What an older database lacked now exists, existing rows unchanged.
	for _, q := range []string{
		`SELECT average FROM school_statistics LIMIT 1`,
		`SELECT eri_score, min_value, max_value, confidence_interval_lower, confidence_interval_upper, skewness, additional_stats FROM national_statistics LIMIT 1`,
		`SELECT mode, percentile_25, percentile_75 FROM question_statistics LIMIT 1`,
		`SELECT trust_id FROM establishments LIMIT 1`,
		`SELECT count(*) FROM current_school_averages`,
		`SELECT count(*) FROM qla_question_performance`,
		`SELECT count(*) FROM comparative_metrics`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	if after := snapshot(); after != before {
		t.Errorf("migrate changed rows it keeps:\n before %v\n after  %v", before, after)
	}

	s := stats.New(pool, quiet, time.Now, stats.Config{ExcludeDomains: []string{"vespa.academy"}})
	res, err := s.RecomputeAll(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The groups with base data (one student, 2024/2025 cycle 1) are
	// recomputed, the legacy row for vision among them.
	var mean, average float64
	var count int
	var dist string
	if err := pool.QueryRow(ctx, `SELECT mean, average, count, distribution::text FROM school_statistics
		WHERE academic_year = '2024/2025' AND cycle = 1 AND element = 'vision'`).Scan(&mean, &average, &count, &dist); err != nil {
		t.Fatal(err)
	}
	if mean != 6 || average != 6 || count != 1 || dist != "[0, 0, 0, 0, 0, 1, 0, 0, 0, 0]" {
		t.Errorf("recomputed legacy row: mean %v average %v count %d distribution %s, want 6 6 1 [0, 0, 0, 0, 0, 1, 0, 0, 0, 0]", mean, average, count, dist)
	}
	if n := queryInt(t, pool, `SELECT count(*) FROM school_statistics WHERE academic_year = '2024/2025' AND cycle = 1`); n != 6 {
		t.Errorf("school rows for the base data: %d, want 6", n)
	}
	if n := queryInt(t, pool, `SELECT count(*) FROM national_statistics WHERE academic_year = '2024/2025' AND cycle = 1 AND element = 'vision' AND mean = 6 AND count = 1`); n != 1 {
		t.Error("the national row copied from Knack for a year with base data was not recomputed")
	}
	// The rows without base data are untouched, and listed as history.
	if after := snapshot(); after != before {
		t.Errorf("recompute changed history rows:\n before %v\n after  %v", before, after)
	}
	hist, err := s.History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, h := range hist {
		got[h.Table+" "+h.AcademicYear] = h.Rows
	}
	want := map[string]int64{
		"school_statistics 2023/2024": 1, "school_statistics 2024/2025": 1,
		"national_statistics 2023/2024": 1, "question_statistics 2023/2024": 1,
	}
	if !maps.Equal(got, want) {
		t.Errorf("history = %v, want %v", got, want)
	}
	if res.Written() == 0 {
		t.Error("the recompute wrote nothing")
	}
	if res, err := s.RecomputeAll(ctx, 0); err != nil || res.Written() != 0 {
		t.Errorf("second recompute: %d rows, %v; want 0", res.Written(), err)
	}
}
