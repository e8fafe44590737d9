package stats_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// This file is the test's own model of docs/statistics.md, computed in Go
// from the base rows: it shares nothing with the SQL under test.

var elements = []string{"vision", "effort", "systems", "practice", "attitude", "overall"}

var outcomeIDs = map[string]bool{"outcome_q_confident": true, "outcome_q_equipped": true, "outcome_q_support": true}

// natYear is the benchmark year: A/A becomes A/A+1.
func natYear(y string) string {
	a, b, _ := strings.Cut(y, "/")
	if a == b {
		n, _ := strconv.Atoi(a)
		return fmt.Sprintf("%d/%d", n, n+1)
	}
	return y
}

// value is one base value with what decides where it counts.
type value struct {
	school, student, year string
	cycle                 int
	key                   string // element or question_id
	v                     int
	national              bool // in the national population
}

// baseValues reads the base rows of students with an establishment,
// unpivoted; national follows the population rule (school not cancelled,
// e-mail domain not excluded).
func baseValues(t *testing.T, pool *pgxpool.Pool, exclude []string) (vespa, answers []value) {
	t.Helper()
	ctx := t.Context()
	rows, err := pool.Query(ctx, `
		SELECT s.establishment_id::text, s.id::text, s.email, coalesce(e.status, ''), v.academic_year, v.cycle,
		       v.vision, v.effort, v.systems, v.practice, v.attitude, v.overall
		FROM vespa_scores v JOIN students s ON s.id = v.student_id JOIN establishments e ON e.id = s.establishment_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var school, student, email, status, year string
		var cycle int
		scores := make([]*int, 6)
		dest := []any{&school, &student, &email, &status, &year, &cycle}
		for i := range scores {
			dest = append(dest, &scores[i])
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		nat := inPopulation(email, status, exclude)
		for i, sc := range scores {
			if sc != nil {
				vespa = append(vespa, value{school, student, year, cycle, elements[i], *sc, nat})
			}
		}
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	rows, err = pool.Query(ctx, `
		SELECT s.establishment_id::text, s.id::text, s.email, coalesce(e.status, ''), q.academic_year, q.cycle,
		       q.question_id, q.response_value
		FROM question_responses q JOIN students s ON s.id = q.student_id JOIN establishments e ON e.id = s.establishment_id
		WHERE q.response_value IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var a value
		var email, status string
		if err := rows.Scan(&a.school, &a.student, &email, &status, &a.year, &a.cycle, &a.key, &a.v); err != nil {
			t.Fatal(err)
		}
		a.national = inPopulation(email, status, exclude)
		answers = append(answers, a)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	return vespa, answers
}

func inPopulation(email, status string, exclude []string) bool {
	if strings.EqualFold(status, "Cancelled") {
		return false
	}
	domain := strings.ToLower(email[strings.LastIndex(email, "@")+1:])
	return !slices.Contains(exclude, domain)
}

// summary is the expected statistics of one group of values.
type summary struct {
	n             int
	mean          float64 // rounded to 2 dp from the exact mean
	sdPop, sdSamp float64 // unrounded
	p25, p50, p75 float64 // rounded
	bins          []int64
	mode          int
	min, max      int
	students      int
	raw           []int
}

func summarise(vals []int, bins int, students map[string]bool) summary {
	s := summary{n: len(vals), raw: vals, students: len(students)}
	sorted := slices.Clone(vals)
	slices.Sort(sorted)
	sum := 0
	for _, v := range vals {
		sum += v
	}
	s.mean = round2(big.NewRat(int64(sum), int64(len(vals))))
	mu := float64(sum) / float64(len(vals))
	var sq float64
	for _, v := range vals {
		sq += (float64(v) - mu) * (float64(v) - mu)
	}
	s.sdPop = math.Sqrt(sq / float64(len(vals)))
	if len(vals) > 1 {
		s.sdSamp = math.Sqrt(sq / float64(len(vals)-1))
	}
	pct := func(p float64) float64 {
		pos := p * float64(len(sorted)-1)
		lo := int(math.Floor(pos))
		hi := min(lo+1, len(sorted)-1)
		return math.Round((float64(sorted[lo])+(pos-float64(lo))*float64(sorted[hi]-sorted[lo]))*100) / 100
	}
	s.p25, s.p50, s.p75 = pct(0.25), pct(0.5), pct(0.75)
	s.bins = make([]int64, bins)
	freq := map[int]int{}
	for _, v := range vals {
		if v >= 1 && v <= bins {
			s.bins[v-1]++
		}
		freq[v]++
	}
	for v := range freq {
		if freq[v] > freq[s.mode] || (freq[v] == freq[s.mode] && v < s.mode) {
			s.mode = v
		}
	}
	s.min, s.max = sorted[0], sorted[len(sorted)-1]
	return s
}

// round2 rounds an exact ratio to 2 decimals, halves away from zero.
func round2(r *big.Rat) float64 {
	scaled := new(big.Rat).Mul(r, big.NewRat(100, 1))
	num, den := scaled.Num(), scaled.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(m, big.NewInt(2)).CmpAbs(den) >= 0 {
		q.Add(q, big.NewInt(int64(num.Sign())))
	}
	f, _ := new(big.Rat).SetFrac(q, big.NewInt(100)).Float64()
	return f
}

// group collects values by a key function.
func group(vals []value, key func(value) (string, bool)) map[string][]value {
	out := map[string][]value{}
	for _, v := range vals {
		if k, ok := key(v); ok {
			out[k] = append(out[k], v)
		}
	}
	return out
}

func summariseGroup(vals []value, bins int) summary {
	ints := make([]int, len(vals))
	students := map[string]bool{}
	for i, v := range vals {
		ints[i] = v.v
		students[v.student] = true
	}
	return summarise(ints, bins, students)
}

// row is one stored derived row, as the test reads it.
type row struct {
	mean, average, sd, p25, p50, p75, eri *float64
	minV, maxV, ciLo, ciHi, skew          *float64
	count                                 int
	mode                                  *int
	dist                                  []int64
	distType                              string
}

// readRows reads a derived table keyed by keySQL (a text expression).
func readRows(t *testing.T, pool *pgxpool.Pool, table, keySQL string, cols string) map[string]row {
	t.Helper()
	rows, err := pool.Query(t.Context(), fmt.Sprintf(`SELECT %s, %s, coalesce(jsonb_typeof(distribution), 'null'), distribution::text FROM %s`, keySQL, cols, table))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]row{}
	for rows.Next() {
		var k string
		var r row
		var dist *string
		dest := []any{&k}
		switch table {
		case "school_statistics":
			dest = append(dest, &r.mean, &r.average, &r.sd, &r.count, &r.p25, &r.p50, &r.p75)
		case "national_statistics":
			dest = append(dest, &r.mean, &r.sd, &r.count, &r.p25, &r.p50, &r.p75, &r.eri, &r.minV, &r.maxV, &r.ciLo, &r.ciHi, &r.skew)
		default:
			dest = append(dest, &r.mean, &r.sd, &r.count, &r.p25, &r.p75, &r.mode)
		}
		dest = append(dest, &r.distType, &dist)
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		if dist != nil {
			if err := json.Unmarshal([]byte(*dist), &r.dist); err != nil {
				t.Fatalf("%s %s: distribution %s: %v", table, k, *dist, err)
			}
		}
		if _, dup := out[k]; dup {
			t.Fatalf("%s: two rows for %s", table, k)
		}
		out[k] = r
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	return out
}

const (
	schoolCols   = "mean::float8, average::float8, std_dev::float8, count, percentile_25::float8, percentile_50::float8, percentile_75::float8"
	nationalCols = "mean::float8, std_dev::float8, count, percentile_25::float8, percentile_50::float8, percentile_75::float8, eri_score::float8, min_value::float8, max_value::float8, confidence_interval_lower::float8, confidence_interval_upper::float8, skewness::float8"
	questionCols = "mean::float8, std_dev::float8, count, percentile_25::float8, percentile_75::float8, mode"
)

// checker reports mismatches, a few per kind.
type checker struct {
	t      *testing.T
	errors int
}

func (c *checker) errorf(format string, args ...any) {
	c.t.Helper()
	c.errors++
	if c.errors <= 20 {
		c.t.Errorf(format, args...)
	}
}

// exact compares a stored 2-dp value with the expected one.
func (c *checker) exact(what string, got *float64, want float64) {
	c.t.Helper()
	if got == nil || math.Abs(*got-want) > 1e-9 {
		c.errorf("%s = %v, want %.2f", what, deref(got), want)
	}
}

// near compares a stored rounded value with an unrounded expectation: they
// may differ by the rounding only.
func (c *checker) near(what string, got *float64, want float64) {
	c.t.Helper()
	if got == nil || math.Abs(*got-want) > 0.005+1e-9 {
		c.errorf("%s = %v, want %.4f (to 2 dp)", what, deref(got), want)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
