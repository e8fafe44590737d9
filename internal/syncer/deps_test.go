package syncer_test

// Rule 15 (docs/architecture.md "Dependent records"): a record whose
// projection reads another object's record is projected again, in the same
// pass, when that record changes, whatever order the two arrive in.

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"knacksync/internal/knacksim/vespagen"
	"knacksync/internal/store"
	"knacksync/internal/syncer"
)

// hint records hints as the webhook does.
func (b *testBundle) hint(t *testing.T, hints ...store.Hint) {
	t.Helper()
	if err := pgx.BeginFunc(t.Context(), b.pool, func(tx pgx.Tx) error {
		return b.store.RecordHints(t.Context(), tx, hints, b.clock.Now())
	}); err != nil {
		t.Fatalf("record hints: %v", err)
	}
}

// drainHints runs hint passes of objects at the same time, as the River
// workers of one or more instances do, until no hint is left.
func (b *testBundle) drainHints(t *testing.T, objects ...string) {
	t.Helper()
	for range 10 {
		var wg sync.WaitGroup
		errs := make([]error, len(objects))
		for i, o := range objects {
			wg.Go(func() { _, errs[i] = b.syncer.ProcessHints(t.Context(), o) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("hints of %s: %v", objects[i], err)
			}
		}
		if count(t, b.pool, `SELECT count(*) FROM knacksync.hints`) == 0 {
			return
		}
	}
	t.Fatalf("hints left after 10 passes")
}

// TestDependentsAccountAndProfileTogether is the red-team case: new account
// and profile pairs hinted together, their hint passes running at the same
// time. Every profile must land under its account's e-mail.
func TestDependentsAccountAndProfileTogether(t *testing.T) {
	t.Parallel()
	b := crafted(t, options{})
	b.sweep(t)
	const pairs = 20
	for round := range 3 {
		var hints []store.Hint
		want := map[string]string{} // profile record → e-mail
		for i := range pairs {
			n := 1000*(round+1) + i
			account := oid(epoch, 2*n)
			profile := oid(epoch, 2*n+1)
			email := fmt.Sprintf("pair%d@race.example", n)
			b.put(t, "object_3", account, map[string]any{"field_70": email})
			b.put(t, "object_112", profile, map[string]any{
				"field_3064": account, "field_3066": fmt.Sprintf("Pair %d", n), "field_3069": ukSchool,
			})
			want[profile] = email
			hints = append(hints,
				store.Hint{Object: "object_3", RecordID: account, Event: "create"},
				store.Hint{Object: "object_112", RecordID: profile, Event: "create"})
		}
		b.hint(t, hints...)
		b.drainHints(t, "object_3", "object_112")

		for profile, email := range want {
			if n := count(t, b.pool, `SELECT count(*) FROM public.academic_profiles WHERE knack_record_id = $1 AND student_email = $2`, profile, email); n != 1 {
				t.Errorf("round %d: profile %s under %s: %d rows, want 1", round, profile, email, n)
			}
		}
		if n := count(t, b.pool, `SELECT count(*) FROM knacksync.data_issues WHERE rule = 'unknown_account'`); n != 0 {
			t.Errorf("round %d: %d unknown_account issues, want 0 (every account exists)", round, n)
		}
	}
}

// TestDependentsAccountEmailChange: an account's new e-mail reaches its
// profile in the same sweep, and in the same hint pass, whether the profile
// names its account as a connection or as the plain id in text.
func TestDependentsAccountEmailChange(t *testing.T) {
	t.Parallel()
	for _, shape := range []string{"connection", "text"} {
		t.Run(shape, func(t *testing.T) {
			t.Parallel()
			accountEmailChange(t, shape == "text")
		})
	}
}

func accountEmailChange(t *testing.T, asText bool) {
	b := crafted(t, options{})
	account, profile := oid(epoch, 1), oid(epoch, 2)
	b.put(t, "object_3", account, map[string]any{"field_70": "old.name@change.example"})
	rec := craft(t, "object_112", profile, map[string]any{"field_3064": account, "field_3066": "Ada Change", "field_3069": ukSchool})
	if asText {
		rec.Fields["field_3064"] = json.RawMessage(strconv.Quote(account))
		rec.Fields["field_3064_raw"] = json.RawMessage(strconv.Quote(account))
	}
	b.sim.Put("object_112", rec)
	b.sweep(t)
	emails := func() []string {
		return strings1(t, b.pool, `SELECT student_email FROM public.academic_profiles WHERE knack_record_id = $1`, profile)
	}
	if got := emails(); len(got) != 1 || got[0] != "old.name@change.example" {
		t.Fatalf("profile e-mail after the first sweep: %v", got)
	}

	b.put(t, "object_3", account, map[string]any{"field_70": "new.name@change.example"})
	b.sweep(t)
	if got := emails(); len(got) != 1 || got[0] != "new.name@change.example" {
		t.Errorf("profile e-mail after the account changed and one sweep: %v, want [new.name@change.example]", got)
	}

	b.put(t, "object_3", account, map[string]any{"field_70": "third.name@change.example"})
	b.hint(t, store.Hint{Object: "object_3", RecordID: account, Event: "update"})
	if _, err := b.syncer.ProcessHints(t.Context(), "object_3"); err != nil {
		t.Fatal(err)
	}
	if got := emails(); len(got) != 1 || got[0] != "third.name@change.example" {
		t.Errorf("profile e-mail after the account changed and its hint pass: %v", got)
	}
}

// TestDependentsSchoolCalendarSwitch: a school switched to the Australian
// calendar relabels its students' current rows in the same sweep.
func TestDependentsSchoolCalendarSwitch(t *testing.T) {
	t.Parallel()
	b := crafted(t, options{})
	r10 := oid(epoch, 1)
	rec := result("switch@calendar.example", ukSchool, mdy(2025, time.October, 6), 1)
	scoreFields(rec, 1, 5, 6, 7, 8, 9, 7)
	b.put(t, "object_10", r10, rec)
	b.sweep(t)
	years := func() []string {
		return strings1(t, b.pool, `SELECT academic_year FROM public.students WHERE knack_id = $1`, r10)
	}
	if got := years(); len(got) != 1 || got[0] != "2025/2026" {
		t.Fatalf("UK year after the first sweep: %v", got)
	}
	b.put(t, "object_2", ukSchool, map[string]any{
		"field_44": "Oak Academy", "field_2209": "Active", "field_63": "COACHING PORTAL", "field_3573": true, "field_3752": false,
	})
	b.sweep(t)
	if got := years(); len(got) != 1 || got[0] != "2025/2025" {
		t.Errorf("year after the school became Australian and one sweep: %v, want [2025/2025]", got)
	}
	if n := count(t, b.pool, `SELECT count(*) FROM public.vespa_scores v JOIN public.students s ON s.id = v.student_id WHERE s.knack_id = $1 AND v.academic_year = '2025/2025'`, r10); n != 1 {
		t.Errorf("relabelled scores: %d rows in 2025/2025, want 1", n)
	}
}

// TestDependentsConcurrentPassesSmallScale is the red-team's three-instance
// case at small scale: one sweeps everything while two others list
// object_3 and object_112 for a flood of hints, all at once. The profiles
// must come out as a clean sequential sync makes them.
func TestDependentsConcurrentPassesSmallScale(t *testing.T) {
	t.Parallel()
	ds, err := vespagen.Generate(vespagen.Small, 5, epoch)
	if err != nil {
		t.Fatal(err)
	}
	clean := setup(t, options{dataset: ds})
	clean.sweep(t)

	// Pages of 50: many small transactions of each object interleave.
	b := setup(t, options{dataset: ds, rowsPerPage: 50})
	var hints []store.Hint
	for _, object := range []string{"object_3", "object_112"} {
		for _, r := range ds.Records[object] {
			hints = append(hints, store.Hint{Object: object, RecordID: r.ID, Event: "update"})
		}
	}
	b.hint(t, hints...)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	wg.Go(func() { _, errs[0] = b.syncer.Sweep(t.Context(), syncer.SweepOptions{}) })
	for i, object := range []string{"object_3", "object_112"} {
		other := syncer.New(b.store, b.knack, slog.New(slog.DiscardHandler), b.clock.Now, b.cfg)
		wg.Go(func() {
			for errs[i+1] == nil && count(t, b.pool, `SELECT count(*) FROM knacksync.hints WHERE object = $1`, object) > 0 {
				_, errs[i+1] = other.ProcessHints(t.Context(), object)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, table := range []string{"academic_profiles", "student_subjects"} {
		want, got := strings1(t, clean.pool, dumpQueries[table]+` ORDER BY 1`), strings1(t, b.pool, dumpQueries[table]+` ORDER BY 1`)
		if len(want) != len(got) || !slices.Equal(want, got) {
			t.Errorf("%s: %d rows, a clean sync has %d (or they differ)", table, len(got), len(want))
		}
	}
	q := `SELECT count(*) FROM knacksync.data_issues WHERE rule = 'unknown_account'`
	if want, got := count(t, clean.pool, q), count(t, b.pool, q); got != want {
		t.Errorf("unknown_account issues: %d, a clean sync has %d", got, want)
	}
}
