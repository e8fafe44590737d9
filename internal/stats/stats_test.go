package stats_test

import (
	"testing"

	"knacksync/internal/stats"
)

// excludedDomain picks the e-mail domain of the second-largest group of
// students in a school that is not cancelled, so that the exclusion removes
// students the national rows would otherwise count.
func excludedDomain(t *testing.T, b *bundle) string {
	t.Helper()
	var d string
	err := b.pool.QueryRow(t.Context(), `
		SELECT lower(split_part(s.email, '@', 2)) FROM students s JOIN establishments e ON e.id = s.establishment_id
		WHERE coalesce(e.status, '') <> 'Cancelled'
		GROUP BY 1 ORDER BY count(*) DESC, 1 OFFSET 1 LIMIT 1`).Scan(&d)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The acceptance checks 1-5 and 9 after a sweep and a full recompute, with
// one e-mail domain excluded and the data set's cancelled schools.
func TestFullRecomputeMatchesDefinitions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	domain := excludedDomain(t, b)
	b.withStats(domain)
	// The generator writes no score of 0 and no student without a school:
	// the dashboard's own writes can.
	if _, err := b.pool.Exec(t.Context(), `
		UPDATE vespa_scores SET vision = 0, overall = 0 WHERE id IN (SELECT id FROM vespa_scores WHERE cycle = 1 ORDER BY id LIMIT 7)`); err != nil {
		t.Fatal(err)
	}
	if _, err := b.pool.Exec(t.Context(), `
		UPDATE students SET establishment_id = NULL WHERE id IN (SELECT student_id FROM vespa_scores ORDER BY id DESC LIMIT 3)`); err != nil {
		t.Fatal(err)
	}
	res := recomputeAll(t, b.stats)
	if res.Written() == 0 {
		t.Fatal("the first recompute wrote nothing")
	}
	if res.ExcludedDomain == 0 || res.ExcludedCancelled == 0 {
		t.Errorf("exclusions: %d students of cancelled schools, %d of %s: want both above 0 (the data set has both)",
			res.ExcludedCancelled, res.ExcludedDomain, domain)
	}
	// The data set has Australian calendar years, so nat(Y) keying is tested.
	if n := queryInt(t, b.pool, `SELECT count(*) FROM vespa_scores WHERE split_part(academic_year, '/', 1) = split_part(academic_year, '/', 2)`); n == 0 {
		t.Error("no A/A base rows: the data set does not exercise nat(Y)")
	}
	// Scores of 0 exist, so "0 counts but is in no bin" is tested.
	if n := queryInt(t, b.pool, `SELECT count(*) FROM vespa_scores WHERE 0 IN (vision, effort, systems, practice, attitude, overall)`); n == 0 {
		t.Error("no score of 0: the data set does not exercise the bins rule")
	}
	checkDefinitions(t, b.pool, []string{domain})
}

// Check 6: a second recompute with nothing changed writes no row: xmin and
// calculated_at stay.
func TestSecondRecomputeWritesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t).withStats("vespa.academy")
	recomputeAll(t, b.stats)
	before := snapshotXmin(t, b)
	res := recomputeAll(t, b.stats)
	if n := res.Written(); n != 0 {
		t.Errorf("second recompute wrote %d rows (%+v), want 0", n, res.Tables)
	}
	if after := snapshotXmin(t, b); after != before {
		t.Errorf("xmin/calculated_at fingerprint changed: %s -> %s", before, after)
	}
	res, err := b.stats.RecomputeDirty(t.Context(), 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if res.Written() != 0 || res.DirtyKeys != 0 {
		t.Errorf("dirty recompute with nothing dirty: %d keys, %d rows", res.DirtyKeys, res.Written())
	}
}

// snapshotXmin fingerprints every derived row's xmin and calculated_at.
func snapshotXmin(t *testing.T, b *bundle) string {
	t.Helper()
	var out string
	for _, table := range stats.Tables {
		var s string
		if err := b.pool.QueryRow(t.Context(), `SELECT count(*) || ':' || coalesce(md5(string_agg(id::text || xmin::text || calculated_at::text, ',' ORDER BY id)), '') FROM `+table).Scan(&s); err != nil {
			t.Fatal(err)
		}
		out += table + "=" + s + " "
	}
	return out
}
