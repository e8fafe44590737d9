package stats_test

import (
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"knacksync/internal/stats"
	"knacksync/internal/store"
)

// tableCols are each derived table's columns but id and calculated_at.
var tableCols = map[string]string{
	"school_statistics": "establishment_id, cycle, academic_year, element, mean, average, std_dev, count, percentile_25, percentile_50, percentile_75, distribution",
	"national_statistics": "cycle, academic_year, element, mean, std_dev, count, percentile_25, percentile_50, percentile_75, distribution, " +
		"eri_score, min_value, max_value, confidence_interval_lower, confidence_interval_upper, skewness, additional_stats",
	"question_statistics":          "establishment_id, cycle, academic_year, question_id, mean, std_dev, count, mode, percentile_25, percentile_75, distribution",
	"national_question_statistics": "question_id, cycle, academic_year, mean, std_dev, count, mode, percentile_25, percentile_75, distribution",
}

// Checks 7 and 8: edits made in Knack and brought in by hint passes
// (scores changed, answers changed, a student moved to another school, a
// record deleted) leave the derived tables exactly as a full recompute
// makes them, and rows of other years untouched.
func TestIncrementalEqualsFull(t *testing.T) {
	t.Parallel()
	b := setup(t).withStats("vespa.academy")
	recomputeAll(t, b.stats)
	ctx := t.Context()

	// Rows of past years, by id, xmin and calculated_at.
	history := `SELECT coalesce(md5(string_agg(id::text || xmin::text || calculated_at::text, ',' ORDER BY id)), '') FROM %s WHERE academic_year NOT IN ('2025/2026', '2025/2025', '2026/2026')`
	pastBefore := map[string]string{}
	for _, table := range stats.Tables {
		var s string
		if err := b.pool.QueryRow(ctx, fmt.Sprintf(history, table)).Scan(&s); err != nil {
			t.Fatal(err)
		}
		pastBefore[table] = s
	}
	before := snapshotXmin(t, b)

	// Three students of this year with cycle 1 scores, in two schools.
	rows, err := b.pool.Query(ctx, `
		SELECT DISTINCT ON (s.establishment_id) s.knack_id, v.vision, s.establishment_id::text
		FROM vespa_scores v JOIN students s ON s.id = v.student_id
		JOIN establishments e ON e.id = s.establishment_id
		WHERE v.academic_year = '2025/2026' AND v.cycle = 1 AND v.vision IS NOT NULL
		ORDER BY s.establishment_id, s.knack_id LIMIT 3`)
	if err != nil {
		t.Fatal(err)
	}
	type pick struct {
		id     string
		vision int
		school string
	}
	var picks []pick
	for rows.Next() {
		var p pick
		if err := rows.Scan(&p.id, &p.vision, &p.school); err != nil {
			t.Fatal(err)
		}
		picks = append(picks, p)
	}
	if len(picks) < 3 {
		t.Fatalf("found %d students to edit", len(picks))
	}
	var otherSchool string
	if err := b.pool.QueryRow(ctx, `SELECT knack_id FROM establishments WHERE id::text <> $1 AND id::text <> $2 ORDER BY knack_id LIMIT 1`,
		picks[0].school, picks[1].school).Scan(&otherSchool); err != nil {
		t.Fatal(err)
	}
	// A changed score (0 is in no bin), a move, a delete.
	b.update(t, "object_10", picks[0].id, map[string]any{"field_155": (picks[0].vision + 5) % 11})
	b.update(t, "object_10", picks[1].id, map[string]any{"field_133": otherSchool})
	if !b.sim.Delete("object_10", picks[2].id) {
		t.Fatalf("delete %s: not in the simulator", picks[2].id)
	}
	hints := []store.Hint{
		{Object: "object_10", RecordID: picks[0].id, Event: "update"},
		{Object: "object_10", RecordID: picks[1].id, Event: "update"},
		{Object: "object_10", RecordID: picks[2].id, Event: "delete"},
	}
	b.hintAndProcess(t, hints...)

	if snapshotXmin(t, b) == before {
		t.Fatal("the hint pass changed no derived row: the edits did not reach the statistics")
	}
	for _, table := range stats.Tables {
		var s string
		if err := b.pool.QueryRow(ctx, fmt.Sprintf(history, table)).Scan(&s); err != nil {
			t.Fatal(err)
		}
		if s != pastBefore[table] {
			t.Errorf("%s: rows of past years were rewritten by current-year edits", table)
		}
	}

	// Answers changed in five questionnaires (of any year).
	before = snapshotXmin(t, b)
	hints = nil
	// Questionnaires of students of this year with answers (many generated
	// ones are deliberately unlinked).
	qrows, err := b.pool.Query(ctx, `
		SELECT r.record_id FROM knacksync.records r
		JOIN students s ON lower(s.email) = lower(r.data->'field_2732_raw'->>'email') AND s.academic_year = '2025/2026'
		WHERE r.object = 'object_29' AND EXISTS (SELECT 1 FROM question_responses q WHERE q.student_id = s.id)
		ORDER BY r.record_id LIMIT 5`)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(qrows, pgx.RowTo[string])
	if err != nil || len(ids) < 5 {
		t.Fatalf("questionnaires to edit: %d, %v", len(ids), err)
	}
	for i, id := range ids {
		b.update(t, "object_29", id, map[string]any{"field_1953": 1 + 4*(i%2), "field_1954": 3 + i%3, "field_2037": 1 + i%5})
		hints = append(hints, store.Hint{Object: "object_29", RecordID: id, Event: "update"})
	}
	b.hintAndProcess(t, hints...)
	if snapshotXmin(t, b) == before {
		t.Fatal("the questionnaire edits changed no derived row")
	}
	if n := queryInt(t, b.pool, `SELECT count(*) FROM knacksync.stats_dirty WHERE kind <> 'matview'`); n != 0 {
		t.Errorf("%d dirty keys left after the hint passes", n)
	}

	// The incremental result, kept; then a full recompute from scratch.
	for table, cols := range tableCols {
		if _, err := b.pool.Exec(ctx, fmt.Sprintf(`CREATE TABLE snap_%s AS SELECT %s FROM %s`, table, cols, table)); err != nil {
			t.Fatal(err)
		}
		if _, err := b.pool.Exec(ctx, `DELETE FROM `+table); err != nil {
			t.Fatal(err)
		}
	}
	recomputeAll(t, b.stats)
	for table, cols := range tableCols {
		for _, q := range []string{
			`SELECT count(*) FROM (SELECT %[2]s FROM %[1]s EXCEPT SELECT %[2]s FROM snap_%[1]s) d`,
			`SELECT count(*) FROM (SELECT %[2]s FROM snap_%[1]s EXCEPT SELECT %[2]s FROM %[1]s) d`,
		} {
			if n := queryInt(t, b.pool, fmt.Sprintf(q, table, cols)); n != 0 {
				t.Errorf("%s: %d rows differ between the incremental and the full result", table, n)
			}
		}
	}
	checkDefinitions(t, b.pool, []string{"vespa.academy"})
}
