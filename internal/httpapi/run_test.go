package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"knacksync/internal/stats"
	"knacksync/internal/store"
)

const refreshMeta = `<meta http-equiv="refresh" content="10">`

// The run detail page: per object and per table, statistics rows, the
// error in words with when it is tried again, through the full handler.
func TestRunPage(t *testing.T) {
	t.Parallel()
	b := setup(t, func(d *Deps) {
		d.Stats = stats.New(d.Status.(*store.Store).Pool(), d.Logger, d.Now, stats.Config{})
	})
	runs := b.seed(t)
	failed, running := runs[1], runs[2]
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := b.pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`INSERT INTO knacksync.run_tables (run_id, table_name, inserted, updated, deleted, unchanged, repaired, unowned)
		VALUES ($1, 'students', 12, 3400, 5, 1234567, 7, 2)`, failed)
	exec(`INSERT INTO knacksync.run_statistics (run_id, recomputes, full_recompute, dirty_keys, school_rows, national_rows,
		question_rows, national_question_rows, duration_ms) VALUES ($1, 1, true, 0, 1200, 34, 5600, 78, 2500)`, failed)

	page := func(path string) string {
		t.Helper()
		rec := b.serve(getAdmin(path))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
		if csp := rec.Header().Get("Content-Security-Policy"); csp != contentSecurityPolicy {
			t.Errorf("GET %s: CSP %q, want the strict policy", path, csp)
		}
		if rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: Cache-Control %q", path, rec.Header().Get("Cache-Control"))
		}
		return rec.Body.String()
	}
	p := page(fmt.Sprintf("/runs/%d", failed))

	t.Run("per object", func(t *testing.T) {
		// The seed: each object one page of 3 requests, 20 seen, 4
		// changed, 20 minutes; object_10 failed. Issues first raised by
		// this run and still open: 4 on object_10, 1 on object_29.
		for _, tt := range []struct{ object, want string }{
			{"object_10", `<td>Results (object_10)</td>
      <td class="status-failed">failed</td>
      <td class="num">1</td>
      <td class="num">20</td>
      <td class="num">4</td>
      <td class="num">0</td>
      <td class="num">0</td>
      <td class="num">0</td>
      <td class="num">0</td>
      <td class="num">4</td>
      <td class="num">3</td>
      <td class="num">20m 00s</td>`},
			{"object_29", `<td>Questionnaires (object_29)</td>
      <td class="status-complete">complete</td>`},
			{"object_2", `<td>Establishments (object_2)</td>`},
		} {
			row := rowOf(t, p, `data-object="`+tt.object+`"`)
			if !strings.Contains(row, tt.want) {
				t.Errorf("%s row lacks\n%s\ngot\n%s", tt.object, tt.want, row)
			}
		}
		if row := rowOf(t, p, `data-object="object_29"`); !strings.Contains(row, `<td class="num">1</td>
      <td class="num">3</td>`) {
			t.Errorf("object_29: want 1 new issue, 3 requests:\n%s", row)
		}
		for _, want := range []string{`<b id="run-seen">60</b>`, `<b id="run-requests">9</b>`, "Issues cleared are not recorded"} {
			if !strings.Contains(p, want) {
				t.Errorf("page lacks %s", want)
			}
		}
	})

	t.Run("per table and statistics", func(t *testing.T) {
		row := rowOf(t, p, `data-table="students"`)
		for _, want := range []string{`<td class="num">12</td>`, `<td class="num">3,400</td>`, `<td class="num">1,234,567</td>`, `<td class="num">7</td>`} {
			if !strings.Contains(row, want) {
				t.Errorf("students row lacks %s:\n%s", want, row)
			}
		}
		for table, want := range map[string]string{"school_statistics": "1,200", "national_statistics": "34", "question_statistics": "5,600", "national_question_statistics": "78"} {
			if row := rowOf(t, p, `data-table="`+table+`"`); !strings.Contains(row, `<td class="num">`+want+`</td>`) {
				t.Errorf("%s row lacks %s:\n%s", table, want, row)
			}
		}
		if !strings.Contains(p, "A full recompute in 2.5s") {
			t.Errorf("no recompute time")
		}
		// Another run recorded none, and says so.
		if q := page(fmt.Sprintf("/runs/%d", runs[0])); !strings.Contains(q, "No statistics recompute recorded for this run.") || !strings.Contains(q, "No table rows written.") {
			t.Errorf("run %d: no word on the missing statistics or tables", runs[0])
		}
	})

	t.Run("the error in words, masked, and the next try", func(t *testing.T) {
		for _, want := range []string{
			`<b>The run stopped on an error, while syncing Results (object_10).</b>`,
			`The next scheduled sweep, at 2025-09-02 02:00 UTC (in 14h 00m), tries again; or press Sync now.`,
			`J***@school.example`, `&lt;script&gt;`,
		} {
			if !strings.Contains(p, want) {
				t.Errorf("page lacks %s", want)
			}
		}
		for _, leak := range []string{"Jane.Doe", "<script"} {
			if strings.Contains(p, leak) {
				t.Errorf("page shows %q", leak)
			}
		}
		// River's retry of the sweep job, when there is one, comes first:
		// here and in the status page's banner.
		exec(`INSERT INTO knacksync.river_job (kind, state, args, attempt, max_attempts, scheduled_at)
			VALUES ('knack_sweep', 'retryable', '{"reason":"nightly"}', 1, 4, $1)`, testNow.Add(81*time.Second))
		want := `River runs it again at 2025-09-01 12:01 UTC, in 1m 21s (job `
		if p := page(fmt.Sprintf("/runs/%d", failed)); !strings.Contains(p, want) || !strings.Contains(p, "attempt 2 of 4).") {
			t.Errorf("run page lacks the River retry %s", want)
		}
		status := page("/")
		banner := rowOfTag(t, status, `id="last-failure"`, "<p", "</p>")
		for _, w := range []string{fmt.Sprintf(`The last sweep (<a href="/runs/%d">run %d</a>) failed.`, failed, failed), "The run stopped on an error", want} {
			if !strings.Contains(banner, w) {
				t.Errorf("banner lacks %s:\n%s", w, banner)
			}
		}
	})

	t.Run("refresh only while running", func(t *testing.T) {
		if strings.Contains(p, refreshMeta) {
			t.Errorf("a finished run's page reloads itself")
		}
		if q := page(fmt.Sprintf("/runs/%d", running)); !strings.Contains(q, refreshMeta) || !strings.Contains(q, `id="run-status">running`) {
			t.Errorf("a running run's page does not reload itself")
		}
	})

	t.Run("no script", func(t *testing.T) {
		if strings.Contains(strings.ToLower(p), "<script") {
			t.Errorf("the page has a script")
		}
	})

	t.Run("bad ids", func(t *testing.T) {
		for path, want := range map[string]int{
			"/runs/999999": http.StatusNotFound, "/runs/abc": http.StatusBadRequest,
			"/runs/0": http.StatusBadRequest, "/runs/-1": http.StatusBadRequest,
		} {
			if rec := b.serve(getAdmin(path)); rec.Code != want {
				t.Errorf("GET %s: %d, want %d", path, rec.Code, want)
			}
		}
	})
}

// rowOfTag returns the element (from open to close) that contains marker.
func rowOfTag(t *testing.T, page, marker, open, close string) string {
	t.Helper()
	i := strings.Index(page, marker)
	if i < 0 {
		t.Fatalf("no %s in the page", marker)
	}
	start := strings.LastIndex(page[:i], open)
	end := strings.Index(page[i:], close)
	return page[start : i+end]
}

// The status page for a data manager: links to runs, River UI and the
// CSV, names, numbers, a favicon, and a reload only while a run goes.
func TestStatusPageForPeople(t *testing.T) {
	t.Parallel()
	b := setup(t)
	runs := b.seed(t)
	if _, err := b.pool.Exec(context.Background(), `INSERT INTO knacksync.records (object, record_id, data, hash, first_seen, last_seen, last_fetched)
		SELECT 'object_2', lpad(to_hex(i), 24, '0'), '{}', '\x00', $1, $1, $1 FROM generate_series(1, 1500) i`, testNow); err != nil {
		t.Fatal(err)
	}
	page := b.serve(getAdmin("/")).Body.String()
	for _, want := range []string{
		`<link rel="icon" href="/favicon.svg" type="image/svg+xml">`,
		`<a href="/riverui/" id="riverui">`,
		`<a href="/issues.csv" id="issues-csv" download>`,
		fmt.Sprintf(`<a href="/runs/%d">%d</a>`, runs[0], runs[0]),
		`Establishments (object_2), Results (object_10), Questionnaires (object_29)`, // a run's objects
		refreshMeta, // an incremental run is going
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if row := rowOf(t, page, `data-object="object_2"`); !strings.Contains(row, `<td class="num">1,500</td>`) {
		t.Errorf("object_2 row: records not 1,500:\n%s", row)
	}
	if page := b.serve(getAdmin("/?rule=bad_email")).Body.String(); !strings.Contains(page, `href="/issues.csv?rule=bad_email"`) {
		t.Errorf("the filtered page's CSV link is not filtered")
	}

	// Once no run is going, the page stops reloading itself.
	if _, err := b.pool.Exec(context.Background(), `UPDATE knacksync.runs SET status = 'succeeded', finished_at = $2 WHERE id = $1`,
		runs[2], testNow); err != nil {
		t.Fatal(err)
	}
	if page := b.serve(getAdmin("/")).Body.String(); strings.Contains(page, refreshMeta) {
		t.Errorf("the page reloads itself with no run going")
	}
	// Without River UI mounted, no link to it.
	noUI := setup(t, func(d *Deps) { d.RiverUI = nil })
	if page := noUI.serve(getAdmin("/")).Body.String(); strings.Contains(page, "/riverui/") {
		t.Errorf("a River UI link without River UI")
	}

	t.Run("favicon", func(t *testing.T) {
		for _, path := range []string{"/favicon.svg", "/favicon.ico"} {
			rec := b.serve(httptest.NewRequest(http.MethodGet, path, nil)) // no credentials
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/svg+xml" ||
				!strings.HasPrefix(rec.Body.String(), `<svg xmlns="http://www.w3.org/2000/svg"`) {
				t.Errorf("GET %s: %d %q %.40s", path, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			if rec.Header().Get("Content-Security-Policy") != contentSecurityPolicy {
				t.Errorf("GET %s: the policy changed", path)
			}
			if strings.Contains(rec.Body.String(), "script") {
				t.Errorf("the favicon holds a script")
			}
		}
	})
}
