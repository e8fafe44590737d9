package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/dbtest"
	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
	"knacksync/internal/knacksim/vespagen"
)

// stack is the service running against a simulator, as in production.
type stack struct {
	base   string // the server's URL
	sim    *knacksim.Server
	pool   *pgxpool.Pool
	knack  *knack.Client // a client of the simulator, for changes "in Knack"
	secret string
	srv    *running
}

// startStack starts a tiny-scale simulator and `server serve` on a fresh
// database, with the simulator's change hints pointed at the server, and
// waits for the catch-up sweep that a first start runs.
func startStack(t *testing.T, simOpts knacksim.Options, env map[string]string) *stack {
	t.Helper()
	ds, err := vespagen.Generate(vespagen.Tiny, 7, time.Now().UTC().Truncate(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	simOpts.Dataset = ds
	if simOpts.RatePerSecond == 0 {
		simOpts.RatePerSecond = -1
	}
	sim := knacksim.Start(t, simOpts)
	dbURL := dbtest.URL(t)
	s := &stack{sim: sim, pool: dbtest.Connect(t, dbURL), secret: "test-webhook-secret-0123456789"}
	full := map[string]string{
		"DATABASE_URL": dbURL, "KNACK_API_URL": sim.URL(), "KNACK_APP_ID": sim.AppID(), "KNACK_API_KEY": sim.APIKey(),
		"KNACK_RATE_LIMIT": "200", "WEBHOOK_SECRET": s.secret, "LOG_LEVEL": "info",
		// The tests' storms come from one address; the per-source limit
		// has its own test.
		"WEBHOOK_RATE_LIMIT": "100000",
	}
	for k, v := range env {
		full[k] = v
	}
	var line string
	s.srv, line = start(t, full, "serve", "--addr", "127.0.0.1:0")
	s.base = strings.TrimPrefix(line, "knacksync serving on ")
	sim.SetHook(s.base+"/webhooks/knack", s.secret)
	s.knack = knack.New(knack.Config{BaseURL: sim.URL(), AppID: sim.AppID(), APIKey: sim.APIKey(), RateLimit: 200})
	t.Cleanup(s.knack.CloseIdleConnections)
	s.waitFor(t, "the first sweep", 60*time.Second, func() bool {
		return s.count(t, "SELECT count(*) FROM knacksync.runs WHERE kind = 'sweep' AND status = 'succeeded'") > 0
	})
	return s
}

func (s *stack) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// waitFor polls cond until it holds or the timeout passes.
func (s *stack) waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s\nserver log:\n%s", timeout, what, lastLines(s.srv.stderr.String(), 30))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// settled reports that no hint waits and no hints job is queued or running.
func (s *stack) settled(t *testing.T) bool {
	return s.count(t, "SELECT count(*) FROM knacksync.hints") == 0 &&
		s.count(t, "SELECT count(*) FROM knacksync.river_job WHERE kind = 'knack_hints' AND state IN ('available','running','scheduled','retryable','pending')") == 0
}

// dump renders every target table as sorted lines of natural keys and
// values (no uuids, no timestamps), to compare two databases.
//
// Rows of an academic year that ended before today are left out: they are
// history (docs/mapping.md, rule 11), which a sync never changes, so they
// keep what Knack said then while a clean sync takes what it says now.
func dump(t *testing.T, pool *pgxpool.Pool) map[string][]string {
	t.Helper()
	const current = ` NOT knacksync.is_history(%s.academic_year, current_date)`
	queries := map[string]string{
		"establishments":     `SELECT knack_id, name, status, portal_type, is_australian, use_standard_year FROM establishments`,
		"students":           `SELECT s.knack_id, s.email, s.academic_year, s.name, e.knack_id, s.year_group, s.course, s.faculty, s."group", s.gender FROM students s LEFT JOIN establishments e ON e.id = s.establishment_id WHERE` + fmt.Sprintf(current, "s"),
		"vespa_scores":       `SELECT s.email, v.academic_year, v.cycle, v.vision, v.effort, v.systems, v.practice, v.attitude, v.overall, v.completion_date FROM vespa_scores v JOIN students s ON s.id = v.student_id WHERE` + fmt.Sprintf(current, "v"),
		"question_responses": `SELECT s.email, q.academic_year, q.cycle, q.question_id, q.response_value FROM question_responses q JOIN students s ON s.id = q.student_id WHERE` + fmt.Sprintf(current, "q"),
		"student_comments":   `SELECT s.email, c.academic_year, c.cycle, c.comment_type, c.comment_text FROM student_comments c JOIN students s ON s.id = c.student_id WHERE` + fmt.Sprintf(current, "c"),
		"staff_admins":       `SELECT a.knack_id, a.email, a.name, e.knack_id FROM staff_admins a LEFT JOIN establishments e ON e.id = a.establishment_id`,
		"super_users":        `SELECT knack_id, email, name FROM super_users`,
		"academic_profiles":  `SELECT student_email, academic_year, knack_record_id, student_name, attendance, prior_attainment, establishment_name FROM academic_profiles WHERE` + fmt.Sprintf(current, "academic_profiles"),
		"student_subjects":   `SELECT p.student_email, p.academic_year, s.subject_position, s.subject_name, s.current_grade FROM student_subjects s JOIN academic_profiles p ON p.id = s.profile_id WHERE` + fmt.Sprintf(current, "p"),
	}
	out := map[string][]string{}
	for table, q := range queries {
		rows, err := pool.Query(context.Background(), q)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], fmt.Sprintf("%v", vals))
		}
		if rows.Err() != nil {
			t.Fatal(rows.Err())
		}
		slices.Sort(out[table])
	}
	return out
}

// currentResults returns the object_10 records with exactly one student
// row, of an academic year that has not ended: changing them in Knack
// changes the database (history does not change, docs/mapping.md rule 11).
func currentResults(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT knack_id FROM students GROUP BY knack_id
		HAVING count(*) = 1 AND bool_and(NOT knacksync.is_history(academic_year, current_date)) ORDER BY knack_id`)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}
