package stats_test

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// checkDefinitions asserts the acceptance checks 1-5 and 9 of
// docs/statistics.md: every derived table against the test's own model.
func checkDefinitions(t *testing.T, pool *pgxpool.Pool, exclude []string) {
	t.Helper()
	c := &checker{t: t}
	vespa, answers := baseValues(t, pool, exclude)
	if len(vespa) == 0 || len(answers) == 0 {
		t.Fatal("no base rows: the data set did not sync")
	}

	// 1. Formats.
	for _, table := range []string{"school_statistics", "national_statistics", "question_statistics", "national_question_statistics"} {
		if n := queryInt(t, pool, `SELECT count(*) FROM `+table+` WHERE academic_year IS NULL OR academic_year !~ '^\d{4}/\d{4}$'`); n != 0 {
			c.errorf("%s: %d rows with a NULL or malformed academic_year", table, n)
		}
	}
	for _, table := range []string{"national_statistics", "national_question_statistics"} {
		if n := queryInt(t, pool, `SELECT count(*) FROM `+table+` WHERE split_part(academic_year, '/', 1) = split_part(academic_year, '/', 2)`); n != 0 {
			c.errorf("%s: %d rows keyed by an A/A year", table, n)
		}
	}
	if n := queryInt(t, pool, `SELECT count(*) FROM school_statistics WHERE element = 'ERI'`); n != 0 {
		c.errorf("school_statistics: %d ERI rows", n)
	}

	// 2. Schools: one row per (E, Y, c, element), nothing else.
	want := group(vespa, func(v value) (string, bool) {
		return fmt.Sprintf("%s|%s|%d|%s", v.school, v.year, v.cycle, v.key), true
	})
	got := readRows(t, pool, "school_statistics", "establishment_id::text || '|' || academic_year || '|' || cycle || '|' || element", schoolCols)
	compareKeys(c, "school_statistics", want, got)
	for k, vals := range want {
		r, ok := got[k]
		if !ok {
			continue
		}
		s := summariseGroup(vals, 10)
		c.exact(k+" mean", r.mean, s.mean)
		c.exact(k+" average", r.average, s.mean)
		c.near(k+" std_dev (population)", r.sd, s.sdPop)
		c.exact(k+" p25", r.p25, s.p25)
		c.exact(k+" p50", r.p50, s.p50)
		c.exact(k+" p75", r.p75, s.p75)
		if r.count != s.n {
			c.errorf("%s count = %d, want %d", k, r.count, s.n)
		}
		checkDist(c, k, r, s.bins)
	}

	// 3. National elements: the population's raw scores pooled by nat(Y).
	natKey := func(v value) (string, bool) {
		return fmt.Sprintf("%d|%s|%s", v.cycle, natYear(v.year), v.key), v.national
	}
	wantNat := group(vespa, natKey)
	gotNat := readRows(t, pool, "national_statistics", "cycle || '|' || academic_year || '|' || element", nationalCols)
	gotNatElems := map[string]row{}
	for k, r := range gotNat {
		if !endsWith(k, "|ERI") {
			gotNatElems[k] = r
		}
	}
	compareKeys(c, "national_statistics elements", wantNat, gotNatElems)
	for k, vals := range wantNat {
		r, ok := gotNat[k]
		if !ok {
			continue
		}
		s := summariseGroup(vals, 10)
		if r.count != s.n {
			c.errorf("national %s count = %d, want %d", k, r.count, s.n)
		}
		c.exact("national "+k+" mean", r.mean, s.mean)
		c.near("national "+k+" std_dev", r.sd, s.sdPop)
		c.exact("national "+k+" p50", r.p50, s.p50)
		checkDist(c, "national "+k, r, s.bins)
		c.exact("national "+k+" min", r.minV, float64(s.min))
		c.exact("national "+k+" max", r.maxV, float64(s.max))
		mu := float64(0)
		for _, v := range s.raw {
			mu += float64(v)
		}
		mu /= float64(s.n)
		margin := 1.96 * s.sdPop / math.Sqrt(float64(s.n))
		c.near("national "+k+" ci lower", r.ciLo, mu-margin)
		c.near("national "+k+" ci upper", r.ciHi, mu+margin)
		c.near("national "+k+" skewness", r.skew, skewness(s.raw))
		if r.eri != nil {
			c.errorf("national %s: eri_score %v on an element row", k, *r.eri)
		}
	}

	// 4. ERI: one row per (c, N) iff more than 10 distinct students.
	outcomes := group(answers, func(a value) (string, bool) {
		return fmt.Sprintf("%d|%s|ERI", a.cycle, natYear(a.year)), a.national && outcomeIDs[a.key]
	})
	eriRows, small := 0, 0
	for k, vals := range outcomes {
		s := summariseGroup(vals, 5)
		r, ok := gotNat[k]
		switch {
		case s.students <= 10 && ok:
			c.errorf("ERI %s written for %d students (must be more than 10)", k, s.students)
		case s.students <= 10:
			small++
		case !ok:
			c.errorf("ERI %s missing (%d students)", k, s.students)
		default:
			eriRows++
			c.exact("ERI "+k+" eri_score", r.eri, s.mean)
			c.exact("ERI "+k+" mean", r.mean, s.mean)
			c.near("ERI "+k+" std_dev (sample)", r.sd, s.sdSamp)
			if r.count != s.students {
				c.errorf("ERI %s count = %d, want %d distinct students", k, r.count, s.students)
			}
			if *r.eri < 1 || *r.eri > 5 {
				c.errorf("ERI %s = %v outside [1, 5]", k, *r.eri)
			}
		}
	}
	for k := range gotNat {
		if _, ok := outcomes[k]; endsWith(k, "|ERI") && !ok {
			c.errorf("ERI row %s has no answers", k)
		}
	}
	if eriRows == 0 {
		t.Error("no ERI row expected: the data set does not exercise check 4")
	}
	t.Logf("ERI: %d rows, %d groups of 10 students or fewer", eriRows, small)

	// 5. Questions, per school and national.
	wantQ := group(answers, func(a value) (string, bool) {
		return fmt.Sprintf("%s|%s|%d|%s", a.school, a.year, a.cycle, a.key), true
	})
	gotQ := readRows(t, pool, "question_statistics", "establishment_id::text || '|' || academic_year || '|' || cycle || '|' || question_id", questionCols)
	compareKeys(c, "question_statistics", wantQ, gotQ)
	for k, vals := range wantQ {
		if r, ok := gotQ[k]; ok {
			checkQuestion(c, k, r, summariseGroup(vals, 5))
		}
	}
	wantNQ := group(answers, func(a value) (string, bool) {
		return fmt.Sprintf("%s|%d|%s", a.key, a.cycle, natYear(a.year)), a.national
	})
	gotNQ := readRows(t, pool, "national_question_statistics", "question_id || '|' || cycle || '|' || academic_year", questionCols)
	compareKeys(c, "national_question_statistics", wantNQ, gotNQ)
	for k, vals := range wantNQ {
		if r, ok := gotNQ[k]; ok {
			checkQuestion(c, "national "+k, r, summariseGroup(vals, 5))
		}
	}

	// 9. comparative_metrics holds one row per score row of a student with
	// an establishment.
	if got, want := queryInt(t, pool, `SELECT count(*) FROM comparative_metrics`),
		queryInt(t, pool, `SELECT count(*) FROM vespa_scores v JOIN students s ON s.id = v.student_id WHERE s.establishment_id IS NOT NULL`); got != want {
		c.errorf("comparative_metrics: %d rows, want %d", got, want)
	}
}

func checkQuestion(c *checker, k string, r row, s summary) {
	c.t.Helper()
	var sum int64
	for _, n := range r.dist {
		sum += n
	}
	if r.count != s.n || sum != int64(s.n) {
		c.errorf("%s count = %d, Σ distribution = %d, want %d", k, r.count, sum, s.n)
	}
	c.exact(k+" mean", r.mean, s.mean)
	c.near(k+" std_dev (sample)", r.sd, s.sdSamp)
	c.exact(k+" p25", r.p25, s.p25)
	c.exact(k+" p75", r.p75, s.p75)
	if r.mode == nil || *r.mode != s.mode {
		c.errorf("%s mode = %v, want %d (smallest most frequent)", k, r.mode, s.mode)
	}
	checkDist(c, k, r, s.bins)
}

func checkDist(c *checker, k string, r row, want []int64) {
	c.t.Helper()
	if r.distType != "array" || !slices.Equal(r.dist, want) {
		c.errorf("%s distribution = %s %v, want array %v", k, r.distType, r.dist, want)
	}
}

func compareKeys[V any](c *checker, table string, want map[string][]value, got map[string]V) {
	c.t.Helper()
	for k := range want {
		if _, ok := got[k]; !ok {
			c.errorf("%s: no row for %s", table, k)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			c.errorf("%s: row %s has no base rows", table, k)
		}
	}
}

func endsWith(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}

// skewness is the population third standardised moment (0 for sd 0).
func skewness(vals []int) float64 {
	n := float64(len(vals))
	var mu float64
	for _, v := range vals {
		mu += float64(v)
	}
	mu /= n
	var m2, m3 float64
	for _, v := range vals {
		d := float64(v) - mu
		m2 += d * d
		m3 += d * d * d
	}
	m2 /= n
	m3 /= n
	if m2 == 0 {
		return 0
	}
	return m3 / (m2 * math.Sqrt(m2))
}
