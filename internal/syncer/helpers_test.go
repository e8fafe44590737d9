package syncer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/dbtest"
	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
	"knacksync/internal/knacksim/vespagen"
	"knacksync/internal/store"
	"knacksync/internal/syncer"
	"knacksync/internal/testkit"
	"knacksync/internal/vespa"
)

// epoch is the injected wall clock of every test (testkit.Epoch): the
// current academic year is 2025/2026 whatever day the tests run.
var epoch = testkit.Epoch

func tinyDataset(t *testing.T) (*knacksim.Dataset, *vespagen.Dirty) {
	t.Helper()
	td, err := testkit.Tiny()
	if err != nil {
		t.Fatalf("generate tiny: %v", err)
	}
	return td.Data, td.Dirty
}

// emptyDataset is the VESPA schema without records, for crafted cases.
func emptyDataset() *knacksim.Dataset {
	return &knacksim.Dataset{Schema: vespagen.Schema(), Records: map[string][]knack.Record{}}
}

type testBundle struct {
	pool   *pgxpool.Pool
	store  *store.Store
	sim    *knacksim.Server
	client *knack.Client
	knack  syncer.Knack // what the syncer uses (client, or client with a page size)
	syncer *syncer.Syncer
	clock  *testkit.Clock
	cfg    syncer.Config
	dirty  *vespagen.Dirty // nil for crafted datasets
}

type options struct {
	dataset *knacksim.Dataset // nil: the tiny generated dataset
	empty   bool              // start with an empty app (crafted records only)
	cfg     syncer.Config
	// rowsPerPage, when set, makes every listing page that small, so that a
	// tiny object spans several pages (Knack's is 1,000).
	rowsPerPage int
	concurrency int           // the client's page requests in flight (0: default)
	maxRetries  int           // the client's retries (0: default; -1: none)
	timeout     time.Duration // the client's per-request timeout (0: default)
	pool        *pgxpool.Pool
	now         time.Time
}

func setup(t *testing.T, opts options) *testBundle {
	t.Helper()
	ds := opts.dataset
	var dirty *vespagen.Dirty
	switch {
	case opts.empty:
		ds = emptyDataset()
	case ds == nil:
		ds, dirty = tinyDataset(t)
	}
	pool := opts.pool
	if pool == nil {
		pool = dbtest.Pool(t)
	}
	now := opts.now
	if now.IsZero() {
		now = epoch
	}
	clk := testkit.NewClock(now)
	sim := knacksim.Start(t, knacksim.Options{Dataset: ds, RatePerSecond: -1, Seed: 7})
	client := knack.New(knack.Config{
		BaseURL: sim.URL(), AppID: sim.AppID(), APIKey: sim.APIKey(), RateLimit: 1000,
		Concurrency: opts.concurrency, MaxRetries: opts.maxRetries, Timeout: opts.timeout,
		RetryBase: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond,
		// One clock for the syncer and the client: a page's request time is
		// compared with the times the syncer stamps on the mirror.
		Now: clk.Now,
	})
	t.Cleanup(client.CloseIdleConnections)
	var kn syncer.Knack = client
	if opts.rowsPerPage > 0 {
		kn = pagedKnack{client, opts.rowsPerPage}
	}
	st := store.New(pool)
	logger := slog.New(slog.DiscardHandler)
	return &testBundle{
		pool: pool, store: st, sim: sim, client: client, knack: kn, clock: clk, cfg: opts.cfg, dirty: dirty,
		syncer: syncer.New(st, kn, logger, clk.Now, opts.cfg),
	}
}

// pagedKnack is the real client with a smaller page size: the syncer's
// small Knack interface lets a test choose it, as a live app with more
// records than a page would.
type pagedKnack struct {
	*knack.Client
	rows int
}

func (p pagedKnack) List(ctx context.Context, object string, opts knack.ListOptions, fn func(knack.Page) error) error {
	if opts.RowsPerPage == 0 {
		opts.RowsPerPage = p.rows
	}
	return p.Client.List(ctx, object, opts, fn)
}

// sweep runs a complete sweep a minute after the last one and requires it
// to succeed.
func (b *testBundle) sweep(t *testing.T, objects ...string) *store.Run {
	t.Helper()
	b.clock.Advance(time.Minute)
	run, err := b.syncer.Sweep(t.Context(), syncer.SweepOptions{Objects: objects})
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	if run.Status != store.StatusSucceeded {
		t.Fatalf("sweep %d: status %s (%s)", run.ID, run.Status, run.Error)
	}
	return run
}

// put stores a crafted record in the simulator; fields are write values,
// rendered by the simulator's own Render into the API's output shapes.
// Every other field of the object is blank, as in generated records.
func (b *testBundle) put(t *testing.T, object, id string, fields map[string]any) knack.Record {
	t.Helper()
	rec := craft(t, object, id, fields)
	b.sim.Put(object, rec)
	return rec
}

// craft builds a record of object with every schema field (blank unless in
// fields).
func craft(t *testing.T, object, id string, fields map[string]any) knack.Record {
	t.Helper()
	schema := vespagen.Schema()
	i := slices.IndexFunc(schema.Objects, func(o knacksim.Object) bool { return o.Key == object })
	if i < 0 {
		t.Fatalf("no object %s in the schema", object)
	}
	out := knack.Record{ID: id, Fields: map[string]json.RawMessage{}}
	known := map[string]bool{}
	for _, f := range schema.Objects[i].Fields {
		known[f.Key] = true
		v, ok := fields[f.Key]
		if !ok {
			v = nil
		}
		formatted, raw, err := knacksim.Render(f, v)
		if err != nil {
			t.Fatalf("render %s.%s = %#v: %v", object, f.Key, v, err)
		}
		out.Fields[f.Key], out.Fields[f.Key+"_raw"] = formatted, raw
	}
	for k := range fields {
		if !known[k] {
			t.Fatalf("craft %s: field %s is not in the schema", object, k)
		}
	}
	return out
}

// oid is an ObjectId made at created with counter n: ids made later, or
// at the same time with a larger n, are larger (rule 5's tie-break).
func oid(created time.Time, n int) string {
	return fmt.Sprintf("%08x%016x", uint32(created.Unix()), uint64(n))
}

// mdy is a date in the write format the simulator reads (month first).
func mdy(y int, m time.Month, d int) string {
	return fmt.Sprintf("%02d/%02d/%04d", m, d, y)
}

// scoreFields sets the six cycle-c scores (1-based) of an object_10 record.
func scoreFields(fields map[string]any, cycle int, scores ...int) map[string]any {
	for k, v := range scores {
		fields[vespa.Object10.Scores[cycle-1][k].Key] = v
	}
	return fields
}

// answerFields sets every question of cycle c (1-based) to v.
func answerFields(fields map[string]any, cycle, v int) map[string]any {
	for _, q := range vespa.Object29.Questions {
		fields[q.Cycles[cycle-1].Key] = v
	}
	return fields
}

// targetTables are the dashboard's tables the sync writes.
var targetTables = []string{
	"establishments", "students", "vespa_scores", "question_responses", "student_comments",
	"staff_admins", "super_users", "academic_profiles", "student_subjects",
}

// dumpQueries give every target table's rows without surrogate ids and
// timestamps, foreign keys resolved to natural keys: two databases that
// hold the same data give the same dump.
var dumpQueries = map[string]string{
	"establishments": `SELECT to_jsonb(t) - 'id' - 'created_at' - 'updated_at' FROM public.establishments t`,
	"students": `SELECT to_jsonb(t) - 'id' - 'created_at' - 'updated_at' - 'establishment_id'
		|| jsonb_build_object('est', e.knack_id)
		FROM public.students t LEFT JOIN public.establishments e ON e.id = t.establishment_id`,
	"vespa_scores": `SELECT to_jsonb(t) - 'id' - 'created_at' - 'student_id'
		|| jsonb_build_object('student', s.email || '|' || s.academic_year)
		FROM public.vespa_scores t LEFT JOIN public.students s ON s.id = t.student_id`,
	"question_responses": `SELECT to_jsonb(t) - 'id' - 'created_at' - 'student_id'
		|| jsonb_build_object('student', s.email || '|' || s.academic_year)
		FROM public.question_responses t LEFT JOIN public.students s ON s.id = t.student_id`,
	"student_comments": `SELECT to_jsonb(t) - 'id' - 'created_at' - 'updated_at' - 'student_id'
		|| jsonb_build_object('student', s.email || '|' || s.academic_year)
		FROM public.student_comments t LEFT JOIN public.students s ON s.id = t.student_id`,
	"staff_admins": `SELECT to_jsonb(t) - 'id' - 'created_at' - 'updated_at' - 'establishment_id'
		|| jsonb_build_object('est', e.knack_id)
		FROM public.staff_admins t LEFT JOIN public.establishments e ON e.id = t.establishment_id`,
	"super_users": `SELECT to_jsonb(t) - 'id' - 'created_at' - 'updated_at' FROM public.super_users t`,
	"academic_profiles": `SELECT to_jsonb(t) - 'id' - 'created_at' - 'updated_at' - 'establishment_id'
		|| jsonb_build_object('est', e.knack_id)
		FROM public.academic_profiles t LEFT JOIN public.establishments e ON e.id = t.establishment_id`,
	"student_subjects": `SELECT to_jsonb(t) - 'id' - 'created_at' - 'updated_at' - 'profile_id'
		|| jsonb_build_object('profile', p.student_email || '|' || p.academic_year)
		FROM public.student_subjects t LEFT JOIN public.academic_profiles p ON p.id = t.profile_id`,
}

// dump returns every target table's rows (see dumpQueries), sorted.
func dump(t *testing.T, pool *pgxpool.Pool) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range targetTables {
		out[table] = strings1(t, pool, dumpQueries[table]+` ORDER BY 1`)
	}
	return out
}

// rowsByID returns table's rows as JSON by id: a full snapshot, timestamps
// included.
func rowsByID(t *testing.T, pool *pgxpool.Pool, table string) map[string]string {
	t.Helper()
	rows, err := pool.Query(t.Context(), fmt.Sprintf(`SELECT id::text, to_jsonb(t)::text FROM public.%s t`, table))
	if err != nil {
		t.Fatalf("snapshot %s: %v", table, err)
	}
	out := map[string]string{}
	var id, row string
	if _, err := pgx.ForEachRow(rows, []any{&id, &row}, func() error {
		out[id] = row
		return nil
	}); err != nil {
		t.Fatalf("snapshot %s: %v", table, err)
	}
	return out
}

// snapshot is rowsByID of every target table.
func snapshot(t *testing.T, pool *pgxpool.Pool) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for _, table := range targetTables {
		out[table] = rowsByID(t, pool, table)
	}
	return out
}

// rowChange is one row that differs between two snapshots.
type rowChange struct {
	Table, ID     string
	Before, After string // "" when absent
}

func snapshotDiff(before, after map[string]map[string]string) []rowChange {
	var out []rowChange
	for _, table := range targetTables {
		b, a := before[table], after[table]
		for id, row := range b {
			if a[id] != row {
				out = append(out, rowChange{table, id, row, a[id]})
			}
		}
		for id, row := range a {
			if _, ok := b[id]; !ok {
				out = append(out, rowChange{table, id, "", row})
			}
		}
	}
	slices.SortFunc(out, func(x, y rowChange) int { return strings.Compare(x.Table+x.ID, y.Table+y.ID) })
	return out
}

// xmins returns "table/id" → xmin of every row of the target tables: a
// row that was written (even with the same values) gets a new xmin.
func xmins(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, table := range targetTables {
		rows, err := pool.Query(t.Context(), fmt.Sprintf(`SELECT id::text, xmin::text FROM public.%s`, table))
		if err != nil {
			t.Fatal(err)
		}
		var id, x string
		if _, err := pgx.ForEachRow(rows, []any{&id, &x}, func() error {
			out[table+"/"+id] = x
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func counts(t *testing.T, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range targetTables {
		out[table] = count(t, pool, "SELECT count(*) FROM public."+table)
	}
	return out
}

// strings1 runs a query of one text-convertible column.
func strings1(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) []string {
	t.Helper()
	rows, err := pool.Query(t.Context(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var v any
		if err := r.Scan(&v); err != nil {
			return "", err
		}
		switch x := v.(type) {
		case nil:
			return "<nil>", nil
		case string:
			return x, nil
		case map[string]any, []any:
			b, err := json.Marshal(x)
			return string(b), err
		}
		return fmt.Sprint(v), nil
	})
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

// issue is one row of knacksync.data_issues.
type issue struct {
	Object, RecordID, Rule, Field, Value string
}

func issues(t *testing.T, pool *pgxpool.Pool) []issue {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT object, record_id, rule, field, value FROM knacksync.data_issues ORDER BY 1, 2, 3, 4`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[issue])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// hasIssue reports whether list holds an issue of rule for the record (and
// field, when given).
func hasIssue(list []issue, object, id, rule, field string) bool {
	return slices.ContainsFunc(list, func(is issue) bool {
		return is.Object == object && is.RecordID == id && is.Rule == rule && (field == "" || is.Field == field)
	})
}

// written is the rows a run inserted, updated or deleted, by table.
func written(run *store.Run) map[string]int64 {
	out := map[string]int64{}
	for table, c := range run.Tables {
		if w := c.Written(); w != 0 {
			out[table] = w
		}
	}
	return out
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// jsonText renders a decoded JSON value as SQL's text would.
func jsonText(v any) string {
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
