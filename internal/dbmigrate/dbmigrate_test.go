package dbmigrate_test

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/dbmigrate"
	"knacksync/internal/dbtest"
)

var quiet = slog.New(slog.DiscardHandler)

// loadLegacy loads testdata/legacy-schema.sql (a copy of the dashboard's
// database before this service) into a fresh empty database.
func loadLegacy(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := dbtest.Connect(t, dbtest.EmptyURL(t))
	sql, err := os.ReadFile("testdata/legacy-schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), string(sql)); err != nil {
		t.Fatalf("load legacy schema: %v", err)
	}
	return pool
}

// keys lists the unique constraints and indexes of the public tables, as
// "table(columns)" sorted, plus the name of every students constraint.
func keys(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT c.relname || '(' || string_agg(a.attname, ',' ORDER BY a.attname) || ')'
		FROM pg_index i
		JOIN pg_class c ON c.oid = i.indrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
		WHERE n.nspname = 'public' AND i.indisunique AND NOT i.indisprimary
		GROUP BY c.relname, i.indexrelid
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

var wantKeys = []string{
	"academic_profiles(academic_year,student_email)",
	"establishments(knack_id)",
	"national_question_statistics(academic_year,cycle,question_id)",
	"national_statistics(academic_year,cycle,element)",
	"question_responses(academic_year,cycle,question_id,student_id)",
	"question_statistics(academic_year,cycle,establishment_id,question_id)",
	"questions(question_id)",
	"school_statistics(academic_year,cycle,element,establishment_id)",
	"staff_admins(knack_id)",
	"student_comments(comment_type,cycle,student_id)",
	"student_subjects(profile_id,subject_position)",
	"students(academic_year,email)",
	"super_users(knack_id)",
	"trusts(knack_id)", // migration 00006 creates it when missing
	"vespa_scores(academic_year,cycle,student_id)",
}

func count(t *testing.T, pool *pgxpool.Pool, query string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestMigrateEmptyDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Connect(t, dbtest.EmptyURL(t))

	res, err := dbmigrate.Migrate(ctx, pool, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) == 0 || len(res.RiverApplied) == 0 {
		t.Fatalf("nothing applied: %+v", res)
	}
	if diff := cmp.Diff(wantKeys, keys(t, pool)); diff != "" {
		t.Errorf("unique keys mismatch (-want +got):\n%s", diff)
	}
	if err := dbmigrate.Check(ctx, pool); err != nil {
		t.Errorf("Check after migrate: %v", err)
	}
	// River lives in the service schema, never in public.
	if n := count(t, pool, "SELECT count(*) FROM pg_tables WHERE tablename = 'river_job' AND schemaname = $1", dbmigrate.Schema); n != 1 {
		t.Errorf("river_job in %s: %d", dbmigrate.Schema, n)
	}
	if n := count(t, pool, "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'river%' AND schemaname = 'public'"); n != 0 {
		t.Errorf("%d river tables in public", n)
	}
	// students.knack_id is indexed but not unique.
	if n := count(t, pool, "SELECT count(*) FROM pg_indexes WHERE indexname = 'students_knack_id_idx'"); n != 1 {
		t.Errorf("students_knack_id_idx missing")
	}
}

func TestMigrateLegacyDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := loadLegacy(t)
	if err := dbmigrate.Check(ctx, pool); err == nil {
		t.Fatal("Check passed before migrating")
	}

	if _, err := dbmigrate.Migrate(ctx, pool, quiet); err != nil {
		t.Fatal(err)
	}
	// The legacy trusts table is kept as it is.
	if diff := cmp.Diff(wantKeys, keys(t, pool)); diff != "" {
		t.Errorf("unique keys mismatch (-want +got):\n%s", diff)
	}
	if n := count(t, pool, "SELECT count(*) FROM pg_constraint WHERE conname = 'students_knack_id_key'"); n != 0 {
		t.Error("students_knack_id_key still present")
	}
	// The legacy rows survive, with their values.
	var name, email, year string
	var vision int
	err := pool.QueryRow(ctx, `
		SELECT e.name, s.email, s.academic_year, v.vision
		FROM students s JOIN establishments e ON e.id = s.establishment_id
		JOIN vespa_scores v ON v.student_id = s.id
		WHERE s.knack_id = '5f1a2b3c4d5e6f7a8b9c0d2f'`).Scan(&name, &email, &year, &vision)
	if err != nil {
		t.Fatalf("legacy rows: %v", err)
	}
	if name != "Legacy Academy" || email != "old.student@legacy.example" || year != "2024/2025" || vision != 6 {
		t.Errorf("legacy rows changed: %s %s %s %d", name, email, year, vision)
	}
	// A second knack_id row for the same Knack record in another year is now allowed.
	_, err = pool.Exec(ctx, `INSERT INTO students (knack_id, email, academic_year) VALUES ('5f1a2b3c4d5e6f7a8b9c0d2f', 'old.student@legacy.example', '2025/2026')`)
	if err != nil {
		t.Errorf("same knack_id in a new year: %v", err)
	}
}

func TestMigrateTwiceIsNoOp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := loadLegacy(t)
	if _, err := dbmigrate.Migrate(ctx, pool, quiet); err != nil {
		t.Fatal(err)
	}
	before := schemaSnapshot(t, pool)
	res, err := dbmigrate.Migrate(ctx, pool, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) != 0 || len(res.RiverApplied) != 0 {
		t.Errorf("second migrate applied %+v", res)
	}
	if diff := cmp.Diff(before, schemaSnapshot(t, pool)); diff != "" {
		t.Errorf("second migrate changed the schema (-before +after):\n%s", diff)
	}
}

// schemaSnapshot lists every column and constraint of the database.
func schemaSnapshot(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	return schemaTexts(t, pool, `
		SELECT table_schema || '.' || table_name || '.' || column_name || ' ' || data_type
		FROM information_schema.columns WHERE table_schema IN ('public', 'knacksync')
		UNION ALL
		SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
		FROM pg_constraint WHERE connamespace::regnamespace::text IN ('public', 'knacksync')
		ORDER BY 1`)
}

// schemaTexts runs a query of one text column and returns its rows.
func schemaTexts(t *testing.T, pool *pgxpool.Pool, query string) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMigrateRefusesViolatedKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name  string
		setup string
		want  []string
	}{
		{
			name: "duplicate students for one email and year",
			setup: `ALTER TABLE students DROP CONSTRAINT students_email_academic_year_key;
				ALTER TABLE students DROP CONSTRAINT students_knack_id_key;
				INSERT INTO students (knack_id, email, academic_year) VALUES
					('a1', 'twin@x.example', '2024/2025'), ('a2', 'twin@x.example', '2024/2025'),
					('b1', 'trip@x.example', '2024/2025'), ('b2', 'trip@x.example', '2024/2025'), ('b3', 'trip@x.example', '2024/2025');`,
			want: []string{"students_email_academic_year_key", "students(email, academic_year)", "2 groups"},
		},
		// E-mails that differ only in case violate nothing: they are kept
		// as they are (TestMigrateKeepsLegacyEmails).
		{
			name: "duplicate establishments",
			setup: `ALTER TABLE establishments DROP CONSTRAINT establishments_knack_id_key;
				INSERT INTO establishments (knack_id, name) VALUES ('e1', 'One'), ('e1', 'One again');`,
			want: []string{"establishments_knack_id_key", "establishments", "knack_id", "1 groups"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pool := loadLegacy(t)
			if _, err := pool.Exec(ctx, tt.setup); err != nil {
				t.Fatal(err)
			}
			before := schemaSnapshot(t, pool)
			rowsBefore := count(t, pool, "SELECT (SELECT count(*) FROM students) + (SELECT count(*) FROM establishments)")

			_, err := dbmigrate.Migrate(ctx, pool, quiet)
			if err == nil {
				t.Fatal("migrate succeeded on violating rows")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			// Nothing in public changed: same schema, same rows, same emails.
			after := schemaSnapshot(t, pool)
			if diff := cmp.Diff(filterPublic(before), filterPublic(after)); diff != "" {
				t.Errorf("public schema changed (-before +after):\n%s", diff)
			}
			if n := count(t, pool, "SELECT (SELECT count(*) FROM students) + (SELECT count(*) FROM establishments)"); n != rowsBefore {
				t.Errorf("rows: %d before, %d after", rowsBefore, n)
			}
		})
	}
}

func filterPublic(in []string) []string {
	var out []string
	for _, s := range in {
		if strings.HasPrefix(s, "public.") || !strings.Contains(strings.SplitN(s, " ", 2)[0], ".") {
			out = append(out, s)
		}
	}
	return out
}

// emailBytes lists every stored e-mail of the public tables as
// "table id hex(bytes)", sorted: two lists are equal only when every e-mail
// is byte-for-byte the same.
func emailBytes(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	return schemaTexts(t, pool, `
		SELECT x FROM (
			SELECT 'students ' || knack_id || ' ' || encode(convert_to(email, 'UTF8'), 'hex') AS x FROM students
			UNION ALL SELECT 'academic_profiles ' || knack_record_id || ' ' || encode(convert_to(student_email, 'UTF8'), 'hex') FROM academic_profiles
			UNION ALL SELECT 'super_users ' || knack_id || ' ' || encode(convert_to(email, 'UTF8'), 'hex') FROM super_users
			UNION ALL SELECT 'staff_admins ' || knack_id || ' ' || encode(convert_to(email, 'UTF8'), 'hex') FROM staff_admins
		) e ORDER BY 1`)
}

// Rule 1: migrations never rewrite stored e-mails. A legacy database whose
// rows hold mixed-case, untrimmed e-mails, and two students whose e-mails
// differ only in case in one year (the plain unique key allows it), migrates
// with every e-mail unchanged, and gains the case-insensitive lookup index.
func TestMigrateKeepsLegacyEmails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := loadLegacy(t)
	for _, sql := range []string{
		`INSERT INTO students (knack_id, email, academic_year) VALUES
			('d1', ' Mixed.Case@X.example', '2024/2025'),
			('d2', 'Twin@X.example', '2024/2025'),
			('d3', 'twin@x.example', '2024/2025'),
			('d4', 'ÉLODIE@X.example', '2024/2025')`,
		`INSERT INTO academic_profiles (student_email, academic_year, knack_record_id) VALUES
			('Prof.File@X.example ', '2024/2025', 'p1'), ('prof.file@x.example', '2024/2025', 'p2')`,
		`INSERT INTO super_users (knack_id, email) VALUES ('u1', 'Super.User@X.example')`,
		`INSERT INTO staff_admins (knack_id, email) VALUES ('a1', 'Staff.Admin@X.example')`,
	} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	before := emailBytes(t, pool)
	if _, err := dbmigrate.Migrate(ctx, pool, quiet); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, emailBytes(t, pool)); diff != "" {
		t.Errorf("e-mails rewritten by the migrations (-before +after):\n%s", diff)
	}
	for _, idx := range []string{"students_lower_email_year_idx", "academic_profiles_lower_email_year_idx"} {
		if n := count(t, pool, `SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND indexname = $1`, idx); n != 1 {
			t.Errorf("index %s missing", idx)
		}
	}
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.EmptyURL(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	applied := make([]int, n)
	for i := range n {
		pool := dbtest.Connect(t, url)
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := dbmigrate.Migrate(ctx, pool, quiet)
			errs[i], applied[i] = err, len(res.Applied)
		}()
	}
	wg.Wait()
	total := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("migrator %d: %v", i, errs[i])
		}
		total += applied[i]
	}
	// Exactly one migrator applied the files; the others found them applied.
	pool := dbtest.Connect(t, url)
	if want := count(t, pool, "SELECT count(*) FROM knacksync.schema_migrations WHERE version_id > 0"); total != want {
		t.Errorf("migrations applied %d times in all, want %d", total, want)
	}
	if err := dbmigrate.Check(ctx, pool); err != nil {
		t.Error(err)
	}
}

// A database that applied later migrations before an earlier-numbered one
// existed (00007 was written after 00008 and 00012 were deployed) applies
// the missing one instead of refusing to start.
func TestMigrateOutOfOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Connect(t, dbtest.EmptyURL(t))
	if _, err := dbmigrate.Migrate(ctx, pool, quiet); err != nil {
		t.Fatal(err)
	}
	// Undo 00007 and forget it: the state of a database deployed before it.
	for _, sql := range []string{
		`ALTER TABLE knacksync.run_objects DROP COLUMN history_kept`,
		`ALTER TABLE knacksync.run_tables DROP COLUMN unowned, DROP COLUMN repaired`,
		`DROP FUNCTION knacksync.is_history(text, date)`,
		`ALTER TABLE knacksync.claims ALTER COLUMN rank_date TYPE date`,
		`DROP INDEX public.students_lower_email_year_idx`,
		`DROP INDEX public.academic_profiles_lower_email_year_idx`,
		`DELETE FROM knacksync.schema_migrations WHERE version_id = 7`,
	} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	res, err := dbmigrate.Migrate(ctx, pool, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) != 1 || !strings.Contains(res.Applied[0], "00007_") {
		t.Errorf("applied %v, want 00007 only", res.Applied)
	}
	if err := dbmigrate.Check(ctx, pool); err != nil {
		t.Errorf("check after: %v", err)
	}
}
