package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"knacksync/internal/knack"
	"knacksync/internal/store"
)

// publicPaths are the routes served without admin credentials. Every
// other route must refuse a request without them: TestAdminRoutesRequireAuth
// walks the routes Echo has, so that a new route cannot forget auth.
var publicPaths = map[string]bool{
	"/healthz":        true,
	"/readyz":         true,
	"/webhooks/knack": true,
	// A picture, asked for by browsers on their own (favicon.go).
	"/favicon.svg": true,
	"/favicon.ico": true,
}

// concretePath turns a route pattern into a path that matches it.
func concretePath(pattern string) string {
	parts := strings.Split(pattern, "/")
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, ":"):
			parts[i] = "x"
		case p == "*":
			parts[i] = "probe"
		}
	}
	return strings.Join(parts, "/")
}

func TestAdminRoutesRequireAuth(t *testing.T) {
	t.Parallel()
	withCreds := setup(t)
	loopbackOnly := setup(t, func(d *Deps) { d.AdminUser, d.AdminPassword = "", "" })

	var admin []string
	tries := 0
	for _, r := range withCreds.handler.(*echo.Echo).Routes() {
		if strings.HasPrefix(r.Method, "echo_") { // RouteNotFound and the like
			continue
		}
		path := concretePath(r.Path)
		name := r.Method + " " + r.Path
		if publicPaths[r.Path] {
			t.Run("public/"+name, func(t *testing.T) {
				rec := withCreds.serve(httptest.NewRequest(r.Method, path, nil))
				if rec.Code == http.StatusUnauthorized {
					t.Errorf("a public route answers 401")
				}
			})
			continue
		}
		admin = append(admin, name)
		t.Run("admin/"+name, func(t *testing.T) {
			for _, tt := range []struct {
				name string
				auth func(*http.Request)
			}{
				{"none", func(*http.Request) {}},
				{"wrong password", func(r *http.Request) { r.SetBasicAuth("admin", "nope") }},
				{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer admin-password-123") }},
			} {
				req := httptest.NewRequest(r.Method, path, nil)
				// Each try from its own address: wrong passwords from one
				// are throttled after a few (TestAdminPasswordBackoff).
				tries++
				req.RemoteAddr = fmt.Sprintf("127.0.%d.%d:40000", tries/250, tries%250+1)
				tt.auth(req)
				rec := withCreds.serve(req)
				if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") == "" {
					t.Errorf("%s: status %d (WWW-Authenticate %q), want 401 with a challenge", tt.name, rec.Code, rec.Header().Get("WWW-Authenticate"))
				}
			}
			req := httptest.NewRequest(r.Method, path, nil)
			req.RemoteAddr = "203.0.113.7:5555"
			if rec := loopbackOnly.serve(req); rec.Code != http.StatusForbidden {
				t.Errorf("without configured credentials, from afar: status %d, want 403", rec.Code)
			}
		})
	}
	// The table must cover at least the routes that exist today.
	for _, want := range []string{"GET /", "GET /api/status", "POST /api/sync", "GET /metrics", "GET /riverui/*", "POST /riverui/*",
		"GET /runs/:id", "GET /issues.csv"} {
		if !slices.Contains(admin, want) {
			t.Errorf("admin route %s missing from the route list %v", want, admin)
		}
	}
}

// fakeStats is the Knack client's counters.
type fakeStats knack.Stats

func (f fakeStats) Stats() knack.Stats { return knack.Stats(f) }

// seed fills the bundle's database with runs, mirror records, data issues
// (with markup and e-mails in them) and held deletions, around testNow
// (2025-09-01 12:00 UTC, schedule 02:00 daily).
func (b *testBundle) seed(t *testing.T) (runs []int64) {
	t.Helper()
	ctx := context.Background()
	st := store.New(b.pool)
	run := func(kind string, objects []string, at time.Time, took time.Duration, status string, failed map[string]bool, errText string) int64 {
		id, err := st.StartRun(ctx, kind, objects, kind == store.KindSweep, at)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objects {
			err := st.InTx(ctx, func(tx pgx.Tx) error {
				return st.RecordPage(ctx, tx, store.PageDone{RunID: id, Object: o, Pages: 1, Requests: 3, Seen: 20, Changed: 4, Now: at})
			})
			if err != nil {
				t.Fatal(err)
			}
			// The request ledger, as the client's meter keeps it.
			if _, err := st.RecordSpend(ctx, store.Spend{Day: at, Object: o, Requests: 3, PlanLimit: -1, Remaining: -1, Reserve: -1, SweepNeed: -1, HintBudget: -1}); err != nil {
				t.Fatal(err)
			}
			s := "complete"
			if failed[o] {
				s = "failed"
			}
			if err := st.ObjectDone(ctx, id, o, s, "", took, 0, nil); err != nil {
				t.Fatal(err)
			}
		}
		if status != store.StatusRunning {
			if _, err := st.FinishRun(ctx, id, status, errText, at.Add(took)); err != nil {
				t.Fatal(err)
			}
		}
		runs = append(runs, id)
		return id
	}
	// Yesterday's nightly sweep did every object; today's failed on
	// object_10 (and an e-mail is in its error); an incremental run is
	// going on now.
	run(store.KindSweep, []string{"object_2", "object_10", "object_29"}, time.Date(2025, 8, 31, 2, 0, 0, 0, time.UTC), 10*time.Minute, store.StatusSucceeded, nil, "")
	today := run(store.KindSweep, []string{"object_2", "object_10", "object_29"}, time.Date(2025, 9, 1, 2, 0, 0, 0, time.UTC), 20*time.Minute,
		store.StatusFailed, map[string]bool{"object_10": true}, `fetch object_10: GET https://api.knack.com/v1/objects/object_10/records?filters=Jane.Doe@school.example: 500 <script>alert("err")</script>`)
	run(store.KindIncremental, []string{"object_29"}, testNow.Add(-30*time.Second), 0, store.StatusRunning, nil, "")

	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := b.pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	for i := range 5 {
		exec(`INSERT INTO knacksync.records (object, record_id, data, hash, first_seen, last_seen, last_fetched)
			VALUES ('object_10', $1, '{}', '\x00', $2, $2, $2)`, recordID(i), testNow)
	}
	issue := func(object, id, rule, field, value, detail string, age time.Duration) {
		exec(`INSERT INTO knacksync.data_issues (object, record_id, rule, field, value, detail, run_id, first_seen_at, last_seen_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`, object, id, rule, field, value, detail, today, testNow.Add(-age))
	}
	issue("object_10", recordID(1), "bad_email", "field_197", `<a href="mailto:Jane.Doe@School.example">Jane.Doe@School.example</a>`, "not a plain e-mail", time.Hour)
	issue("object_10", recordID(2), "bad_email", "field_197", "john.smith%40school.example", "", 2*time.Hour)
	issue("object_10", recordID(3), "bad_value", "field_1", `<script>alert("name")</script>`, `student <script>alert(1)</script> Doe`, 3*time.Hour)
	issue("object_29", recordID(4), "bad_date", "field_855", "31/31/2025", "", 4*time.Hour)
	issue("object_10", recordID(5), "duplicate", "2025/2026|mia.jones@wattle.example", "mia.jones@wattle.example",
		"record "+recordID(6)+" wins this key (later completion time, or the same time and larger id)", 5*time.Hour)
	if err := st.HoldDeletions(ctx, today, "object_2", []string{recordID(7), recordID(8)}, 30,
		"2 of 30 records (6.7%) are missing from a complete sweep, above the limit", testNow.Add(-10*time.Hour)); err != nil {
		t.Fatal(err)
	}
	return runs
}

func getAdmin(path string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.SetBasicAuth("admin", "admin-password-123")
	return req
}

func TestStatusPage(t *testing.T) {
	t.Parallel()
	b := setup(t, func(d *Deps) {
		d.Knack = fakeStats{PlanLimitRemaining: 4321, PlanLimitLimit: 10000, PlanLimitSeen: testNow.Add(-time.Minute)}
	})
	runs := b.seed(t)

	rec := b.serve(getAdmin("/"))
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
	}
	page := rec.Body.String()

	t.Run("headers", func(t *testing.T) {
		h := rec.Header()
		for k, want := range map[string]string{
			"Content-Type":           "text/html; charset=UTF-8",
			"Cache-Control":          "no-store",
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "DENY",
			"Referrer-Policy":        "no-referrer",
		} {
			if got := h.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action 'self'", "style-src 'sha256-"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe") {
			t.Errorf("CSP %q allows scripts or unsafe sources", csp)
		}
		// The one inline stylesheet is the one the policy allows.
		m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindAllStringSubmatch(page, -1)
		if len(m) != 1 || !strings.Contains(csp, styleHash(m[0][1])) {
			t.Errorf("the page's <style> does not match the CSP hash")
		}
	})

	t.Run("no script, escaped, masked", func(t *testing.T) {
		if strings.Contains(strings.ToLower(page), "<script") {
			t.Errorf("the page has a <script>:\n%s", page)
		}
		for _, want := range []string{
			`&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;`, // the value
			`student &lt;script&gt;alert(1)&lt;/script&gt; Doe`,  // the detail
			`J***@School.example`, `j***@school.example`,         // masked, domain kept
			// A duplicate: the two records and what they share, not the claim key.
			`<code>` + recordID(5) + `</code><span class="dup" data-duplicate-of="` + recordID(6) + `">duplicate of <code>` + recordID(6) + `</code>`,
			`the same student e-mail in 2025/2026`, `m***@wattle.example`,
			`<td>Results (object_10)</td>`, `<td class="val">Email (field_197)</td>`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %s", want)
			}
		}
		for _, leak := range []string{"Jane.Doe", "jane.doe", "john.smith", "mailto:Jane", "mia.jones"} {
			if strings.Contains(page, leak) {
				t.Errorf("page shows %q", leak)
			}
		}
	})

	t.Run("objects", func(t *testing.T) {
		// object_2 and object_29 completed today's 02:00 sweep; object_10
		// failed it and is stale; the rest never synced.
		for _, tt := range []struct{ object, want string }{
			{"object_2", `class="fresh">9h 40m ago`},
			{"object_29", `class="fresh">9h 40m ago`},
			{"object_10", `class="stale">33h 50m ago · stale`},
			{"object_5", `class="stale">never`},
		} {
			row := rowOf(t, page, `data-object="`+tt.object+`"`)
			if !strings.Contains(row, tt.want) {
				t.Errorf("%s row lacks %s:\n%s", tt.object, tt.want, row)
			}
		}
		row := rowOf(t, page, `data-object="object_10"`)
		for _, want := range []string{`<td>Results (object_10)</td>`, `<td class="num">5</td>`, fmt.Sprintf(`(<a href="/runs/%d">run %d</a>)`, runs[1], runs[1]), `<td class="num">3</td>`} {
			if !strings.Contains(row, want) {
				t.Errorf("object_10 row lacks %s:\n%s", want, row)
			}
		}
	})

	t.Run("facts", func(t *testing.T) {
		for _, want := range []string{
			`<b id="next-run">2025-09-02 02:00 UTC</b>`, "in 14h 00m",
			`<b id="requests-today">12</b>`,     // today's runs: 4 pages of 3 requests
			`<b id="quota">4,321 of 10,000</b>`, // thousands separated
			`<button type="submit">Sync now</button>`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %s", want)
			}
		}
		if !regexp.MustCompile(`<form method="post" action="/api/sync" id="sync-now">\s*<input type="hidden" name="csrf_token" value="[0-9]+\.[A-Za-z0-9_-]+">`).MatchString(page) {
			t.Errorf("no Sync now form with a token")
		}
	})

	t.Run("runs and chart", func(t *testing.T) {
		ids := regexp.MustCompile(`data-run-id="(\d+)"`).FindAllStringSubmatch(page, -1)
		var got []string
		for _, m := range ids {
			got = append(got, m[1])
		}
		want := []string{fmt.Sprint(runs[2]), fmt.Sprint(runs[1]), fmt.Sprint(runs[0])}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("runs mismatch (-want +got):\n%s", diff)
		}
		row := rowOf(t, page, fmt.Sprintf(`data-run-id="%d"`, runs[1]))
		for _, want := range []string{`class="status-failed">failed`, "20m 00s", "&lt;script&gt;", "J***@school.example"} {
			if !strings.Contains(row, want) {
				t.Errorf("failed run row lacks %s:\n%s", want, row)
			}
		}
		bars := regexp.MustCompile(`<rect class="bar-(\w+)"`).FindAllStringSubmatch(page, -1)
		var classes []string
		for _, m := range bars {
			classes = append(classes, m[1])
		}
		if diff := cmp.Diff([]string{"succeeded", "failed", "running"}, classes); diff != "" {
			t.Errorf("chart bars, oldest first (-want +got):\n%s", diff)
		}
	})

	t.Run("held deletions", func(t *testing.T) {
		for _, want := range []string{"2 of 30 records (6.7%) are missing", "server sync --confirm-deletes"} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %s", want)
			}
		}
	})

	t.Run("filter by rule", func(t *testing.T) {
		rules := func(page string) []string {
			var out []string
			for _, m := range regexp.MustCompile(`<tr data-rule="(\w+)"`).FindAllStringSubmatch(page, -1) {
				out = append(out, m[1])
			}
			return out
		}
		if diff := cmp.Diff([]string{"bad_email", "bad_email", "bad_value", "bad_date", "duplicate"}, rules(page)); diff != "" {
			t.Errorf("all issues, newest first (-want +got):\n%s", diff)
		}
		rec := b.serve(getAdmin("/?rule=bad_email"))
		if rec.Code != http.StatusOK {
			t.Fatalf("status = %d", rec.Code)
		}
		filtered := rec.Body.String()
		if diff := cmp.Diff([]string{"bad_email", "bad_email"}, rules(filtered)); diff != "" {
			t.Errorf("?rule=bad_email (-want +got):\n%s", diff)
		}
		if !strings.Contains(filtered, `<a href="/?rule=bad_email" class="on">bad_email (2)</a>`) {
			t.Errorf("the filter is not shown as on")
		}
		for _, bad := range []string{"/?rule=%3Cscript%3E", "/?rule=" + strings.Repeat("a", 65), "/?rule=bad%20email"} {
			if rec := b.serve(getAdmin(bad)); rec.Code != http.StatusBadRequest {
				t.Errorf("%s: status = %d, want 400", bad, rec.Code)
			}
		}
	})

	t.Run("flash", func(t *testing.T) {
		page := b.serve(getAdmin("/?flash=sync_queued&job=42")).Body.String()
		if !strings.Contains(page, `<p class="flash" id="flash">Sweep queued (job 42).`) {
			t.Errorf("no flash message")
		}
		page = b.serve(getAdmin("/?flash=%3Cscript%3Ealert(1)%3C/script%3E&job=1")).Body.String()
		if strings.Contains(page, `id="flash"`) {
			t.Errorf("an unknown flash is shown")
		}
	})
}

// rowOf returns the <tr> that contains marker.
func rowOf(t *testing.T, page, marker string) string {
	t.Helper()
	i := strings.Index(page, marker)
	if i < 0 {
		t.Fatalf("no %s in the page", marker)
	}
	start := strings.LastIndex(page[:i], "<tr")
	end := strings.Index(page[i:], "</tr>")
	return page[start : i+end]
}

func TestStatusJSON(t *testing.T) {
	t.Parallel()
	b := setup(t, func(d *Deps) {
		d.Knack = fakeStats{PlanLimitRemaining: 4321, PlanLimitLimit: -1, PlanLimitSeen: testNow}
	})
	runs := b.seed(t)
	rec := b.serve(getAdmin("/api/status?rule=bad_email"))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, Content-Type %q; body %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	body := rec.Body.String()
	for _, leak := range []string{"Jane.Doe", "jane.doe", "john.smith", "mia.jones", "<script"} {
		if strings.Contains(body, leak) {
			t.Errorf("JSON shows %q", leak)
		}
	}

	t.Run("shape", func(t *testing.T) {
		var v any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		// The field names are an interface for scripts: add, never rename.
		want := []string{
			"admin_mode", "csrf_token",
			"data_issues", "data_issues.items", "data_issues.items[]", "data_issues.items[].detail", "data_issues.items[].duplicate_of",
			"data_issues.items[].field", "data_issues.items[].field_name",
			"data_issues.items[].first_seen_at", "data_issues.items[].last_seen_at", "data_issues.items[].object", "data_issues.items[].object_name",
			"data_issues.items[].record_id", "data_issues.items[].rule", "data_issues.items[].run_id", "data_issues.items[].value",
			"data_issues.rule", "data_issues.rules", "data_issues.rules[]", "data_issues.rules[].count", "data_issues.rules[].rule", "data_issues.total",
			"generated_at",
			"held_deletions", "held_deletions[]", "held_deletions[].confirm", "held_deletions[].created_at", "held_deletions[].id",
			"held_deletions[].object", "held_deletions[].object_records", "held_deletions[].reason", "held_deletions[].records", "held_deletions[].run_id",
			"knack_budget", "knack_budget.hint_budget", "knack_budget.hint_requests", "knack_budget.hints_stopped_at", "knack_budget.hints_waiting_for_sweep",
			"knack_budget.limit", "knack_budget.remaining", "knack_budget.reserve", "knack_budget.sweep_need",
			"knack_requests_today",
			"objects", "objects[]", "objects[].age_seconds", "objects[].knack_requests_today", "objects[].last_run_changes", "objects[].last_run_id",
			"objects[].last_success_at", "objects[].name", "objects[].object", "objects[].open_issues", "objects[].records", "objects[].stale",
			"quota", "quota.limit", "quota.remaining", "quota.seen_at",
			"runs", "runs[]", "runs[].data_issues", "runs[].deletions_held", "runs[].duration_seconds", "runs[].error", "runs[].error_summary", "runs[].finished_at",
			"runs[].full_sweep", "runs[].id", "runs[].kind", "runs[].knack_requests", "runs[].objects", "runs[].objects[]",
			"runs[].records_changed", "runs[].records_deleted", "runs[].records_seen", "runs[].retry", "runs[].started_at",
			"runs[].statistics_rows", "runs[].statistics_seconds", "runs[].status",
			"schedule", "schedule.cron", "schedule.next_run", "schedule.previous_run", "schedule.stale_before",
		}
		if diff := cmp.Diff(want, keyPaths(v)); diff != "" {
			t.Errorf("JSON shape mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("values", func(t *testing.T) {
		var got statusPage
		dec := json.NewDecoder(strings.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&got); err != nil {
			t.Fatal(err)
		}
		if got.CSRFToken == "" || got.AdminMode != "basic_auth" {
			t.Errorf("csrf_token %q, admin_mode %q", got.CSRFToken, got.AdminMode)
		}
		next, prev := time.Date(2025, 9, 2, 2, 0, 0, 0, time.UTC), time.Date(2025, 9, 1, 2, 0, 0, 0, time.UTC)
		wantSchedule := statusSchedule{Cron: "0 2 * * *", NextRun: &next, PreviousRun: &prev, StaleBefore: &prev}
		if diff := cmp.Diff(wantSchedule, got.Schedule); diff != "" {
			t.Errorf("schedule mismatch (-want +got):\n%s", diff)
		}
		if got.Quota == nil || got.Quota.Remaining != 4321 || got.Quota.Limit != nil {
			t.Errorf("quota = %+v, want 4321 and no limit", got.Quota)
		}
		if got.KnackRequestsToday != 12 {
			t.Errorf("knack_requests_today = %d, want 12", got.KnackRequestsToday)
		}
		var stale []string
		for _, o := range got.Objects {
			if o.Stale {
				stale = append(stale, o.Object)
			}
		}
		if diff := cmp.Diff([]string{"object_10", "object_112", "object_21", "object_3", "object_5"}, stale, cmp.Transformer("sort", func(s []string) []string {
			s = slices.Clone(s)
			sort.Strings(s)
			return s
		})); diff != "" {
			t.Errorf("stale objects (-want +got):\n%s", diff)
		}
		if len(got.Runs) != 3 || got.Runs[0].ID != runs[2] || got.Runs[0].FinishedAt != nil || got.Runs[0].DurationSeconds != 30 {
			t.Errorf("runs[0] = %+v, want the running run, 30 s so far", got.Runs[0])
		}
		if got.DataIssues.Rule != "bad_email" || got.DataIssues.Total != 2 || len(got.DataIssues.Items) != 2 {
			t.Errorf("data_issues = %+v, want the 2 bad_email ones", got.DataIssues)
		}
		// An e-mail field's value is masked whole, markup included.
		if v := got.DataIssues.Items[0].Value; v != `J***@School.example` {
			t.Errorf("value = %q, want the e-mail field's value masked whole", v)
		}
	})

	t.Run("the token works", func(t *testing.T) {
		var got statusPage
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		req := adminPost(func(r *http.Request) { r.Header.Set("X-CSRF-Token", got.CSRFToken) })
		decodeSync(t, b.serve(req))
	})
}

// keyPaths lists the object keys in v as sorted dotted paths, "[]" for
// array elements.
func keyPaths(v any) []string {
	set := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				set[p] = true
				walk(p, e)
			}
		case []any:
			if len(x) > 0 {
				set[prefix+"[]"] = true
			}
			for _, e := range x {
				walk(prefix+"[]", e)
			}
		}
	}
	walk("", v)
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestStatusNotWired(t *testing.T) {
	t.Parallel()
	b := setup(t, func(d *Deps) { d.Status = nil })
	for _, path := range []string{"/", "/api/status"} {
		if rec := b.serve(getAdmin(path)); rec.Code != http.StatusServiceUnavailable {
			t.Errorf("%s: status = %d, want 503", path, rec.Code)
		}
	}
}

// Every response has the security headers: public routes, errors, 404s.
func TestSecureHeadersEverywhere(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, req := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "/healthz", nil),
		httptest.NewRequest(http.MethodGet, "/no-such-page", nil),
		httptest.NewRequest(http.MethodGet, "/api/status", nil), // 401
		httptest.NewRequest(http.MethodPost, "/webhooks/knack", strings.NewReader("{}")),
	} {
		rec := b.serve(req)
		for _, k := range []string{"X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Content-Security-Policy"} {
			if rec.Header().Get(k) == "" {
				t.Errorf("%s %s (%d): no %s", req.Method, req.URL.Path, rec.Code, k)
			}
		}
	}
}

func TestMaskEmails(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"jane.doe@school.example", "j***@school.example"},
		{"Jane.Doe@School.Example", "J***@School.Example"},
		{"x@y", "x***@y"},
		{"a@b.c and b2@d.example", "a***@b.c and b***@d.example"},
		{`<a href="mailto:jo@s.example">jo@s.example</a>`, `<a href="mailto:j***@s.example">j***@s.example</a>`},
		{"jo%40s.example", "j***@s.example"},
		{"jo&#64;s.example", "j***@s.example"},
		{"filters=%5B%7B%22value%22%3A%22jo%40s.example", "filters=%5B%7B%22value%22%3A%2***@s.example"},
		{"postgres://user:secret@db:5432", "postgres://user:s***@db:5432"},
		{"2025/2026|mia.jones@wattle.example", "2025/2026|m***@wattle.example"},
		{"no address here", "no address here"},
		{"élodie@école.example", "é***@école.example"},
	} {
		if got := maskEmails(tt.in); got != tt.want {
			t.Errorf("maskEmails(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFmtDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		-time.Second: "0.0s", 400 * time.Millisecond: "0.4s", 12 * time.Second: "12s", 185 * time.Second: "3m 05s",
		2*time.Hour + 7*time.Minute: "2h 07m", 33 * time.Hour: "33h 00m", 76 * time.Hour: "3d 4h",
	} {
		if got := fmtDuration(d); got != want {
			t.Errorf("fmtDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
