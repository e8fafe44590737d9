package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"knacksync/internal/dbtest"
	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
	"knacksync/internal/store"
	"knacksync/internal/syncer"
	"knacksync/internal/vespa"
)

// A record created, updated and deleted in Knack reaches Postgres through
// the simulator's change hints alone.
func TestHintsCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	s := startStack(t, knacksim.Options{}, nil)
	ctx := context.Background()
	f := vespa.Object10
	est := s.sim.Records(vespa.Object2.Object)[0].ID

	// Completed today: the current academic year (an earlier one would be
	// history, which a sync does not change: docs/mapping.md rule 11).
	today := time.Now().UTC()
	year := vespa.AcademicYear(today, vespa.EstablishmentInfo{})
	var au, std *bool
	if err := s.pool.QueryRow(ctx, `SELECT is_australian, use_standard_year FROM establishments WHERE knack_id = $1`, est).Scan(&au, &std); err != nil {
		t.Fatal(err)
	}
	if au != nil && *au {
		year = vespa.AcademicYear(today, vespa.EstablishmentInfo{IsAustralian: true, UseStandardYear: std})
	}
	rec, err := s.knack.Create(ctx, f.Object, map[string]any{
		f.Email.Key: "hinted.student@new-school.example", f.Name.Key: map[string]any{"first": "Hinted", "last": "Student"},
		f.Establishment.Key: []string{est}, f.CompletionDate.Key: today.Format("01/02/2006"), f.CurrentCycle.Key: 1,
		f.Scores[0][0].Key: 7, f.Scores[0][5].Key: 6,
	})
	if err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, "the created student", 40*time.Second, func() bool {
		return s.count(t, `SELECT count(*) FROM students s JOIN vespa_scores v ON v.student_id = s.id
			WHERE s.email = 'hinted.student@new-school.example' AND s.academic_year = $1 AND v.cycle = 1 AND v.vision = 7`, year) == 1
	})

	if _, err := s.knack.Update(ctx, f.Object, rec.ID, map[string]any{f.Scores[0][0].Key: 9}); err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, "the updated score", 40*time.Second, func() bool {
		return s.count(t, `SELECT count(*) FROM students s JOIN vespa_scores v ON v.student_id = s.id
			WHERE s.email = 'hinted.student@new-school.example' AND v.vision = 9`) == 1
	})

	if err := s.knack.Delete(ctx, f.Object, rec.ID); err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, "the deleted student", 40*time.Second, func() bool {
		return s.count(t, `SELECT count(*) FROM students WHERE email = 'hinted.student@new-school.example'`) == 0
	})
	if n := s.count(t, `SELECT count(*) FROM knacksync.records WHERE record_id = $1 AND deleted_at IS NOT NULL`, rec.ID); n != 1 {
		t.Errorf("mirror: deleted record not marked deleted")
	}
}

// postHint sends one hint with the shared secret.
func postHint(t *testing.T, base, secret, object, id, event string) int {
	t.Helper()
	body := fmt.Sprintf(`{"object":%q,"record_id":%q,"event":%q}`, object, id, event)
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/knack", bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Webhook-Secret", secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

const getRecordRoute = "GET /v1/objects/{object}/records/{id}"

// knackRequests counts the record requests the simulator answered.
func knackRequests(sim *knacksim.Server) int {
	n := 0
	for route, c := range sim.Counts().ByRoute {
		if strings.HasPrefix(route, "GET /v1/objects/") {
			n += c
		}
	}
	return n
}

// A storm of 1,000 hints on 10 records costs at most 20 Knack requests
// (fetches by id, or the pages of the object when listing it is cheaper).
func TestHintStormCoalesces(t *testing.T) {
	t.Parallel()
	s := startStack(t, knacksim.Options{}, nil)
	recs := s.sim.Records(vespa.Object10.Object)[:10]
	s.waitFor(t, "quiet", 30*time.Second, func() bool { return s.settled(t) })
	before := knackRequests(s.sim)

	var wg sync.WaitGroup
	for w := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				if code := postHint(t, s.base, s.secret, vespa.Object10.Object, recs[(w*50+i)%10].ID, "update"); code != http.StatusAccepted {
					t.Errorf("hint answered %d", code)
				}
			}
		}()
	}
	wg.Wait()
	s.waitFor(t, "the hints to settle", 30*time.Second, func() bool { return s.settled(t) })
	requests := knackRequests(s.sim) - before
	if requests > 20 || requests < 1 {
		t.Errorf("1,000 hints on 10 records cost %d Knack requests, want 1..20", requests)
	}
	t.Logf("1,000 hints on 10 records: %d Knack requests", requests)
}

// A hint that arrives while its record is being fetched causes another
// fetch: the hint is only deleted at the version the fetch was made for.
func TestHintDuringFetchRefetches(t *testing.T) {
	t.Parallel()
	s := startStack(t, knacksim.Options{}, nil)
	rec := s.sim.Records(vespa.Object10.Object)[3]
	s.waitFor(t, "quiet", 30*time.Second, func() bool { return s.settled(t) })

	s.sim.SetLatency(1500*time.Millisecond, 0)
	before := s.sim.Counts().ByRoute[getRecordRoute]
	if code := postHint(t, s.base, s.secret, vespa.Object10.Object, rec.ID, "update"); code != http.StatusAccepted {
		t.Fatalf("hint answered %d", code)
	}
	// The worker picks the job up at once (LISTEN/NOTIFY) and waits 1.5 s
	// for the record: a hint 0.5 s later arrives during that fetch.
	time.Sleep(500 * time.Millisecond)
	if code := postHint(t, s.base, s.secret, vespa.Object10.Object, rec.ID, "update"); code != http.StatusAccepted {
		t.Fatalf("hint answered %d", code)
	}
	s.waitFor(t, "the hints to settle", 30*time.Second, func() bool { return s.settled(t) })
	if fetches := s.sim.Counts().ByRoute[getRecordRoute] - before; fetches != 2 {
		t.Errorf("a hint during a fetch: %d fetches, want 2", fetches)
	}
}

// With 30% of hints dropped, changes are missed until the nightly sweep,
// which repairs every difference.
func TestDroppedHintsRepairedBySweep(t *testing.T) {
	t.Parallel()
	s := startStack(t, knacksim.Options{HookDrop: 0.3, Seed: 3}, map[string]string{"ADMIN_USER": "ops", "ADMIN_PASSWORD": "pw-0123456789"})
	ctx := context.Background()
	f := vespa.Object10
	// Records of the current academic year: history does not change.
	recs := currentResults(t, s.pool)
	if len(recs) < 20 {
		t.Fatalf("only %d current-year records", len(recs))
	}
	// One change at a time, each settled before the next: with several
	// hints waiting, listing the small object would be cheaper than the
	// fetches, and that listing would see the missed changes too.
	for i := range 20 {
		if _, err := s.knack.Update(ctx, f.Object, recs[i], map[string]any{
			f.Scores[0][1].Key: i % 11, f.Group.Key: fmt.Sprintf("group %d", i),
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.sim.FlushHooks(ctx); err != nil {
			t.Fatal(err)
		}
		s.waitFor(t, "the hint to settle", 40*time.Second, func() bool { return s.settled(t) })
	}
	if dropped := s.sim.Counts().HooksDropped; dropped == 0 {
		t.Fatal("no hint was dropped: the test proves nothing")
	}
	s.waitFor(t, "the delivered hints to settle", 30*time.Second, func() bool { return s.settled(t) })

	// What a clean sweep of Knack's current state gives, in another database.
	want := cleanSweep(t, s)
	if diff := cmp.Diff(want, dump(t, s.pool)); diff == "" {
		t.Fatal("the database already matches Knack although hints were dropped")
	}

	syncNow(t, s.base, "ops", "pw-0123456789")
	s.waitFor(t, "the repair sweep", 60*time.Second, func() bool {
		return s.count(t, "SELECT count(*) FROM knacksync.runs WHERE kind = 'sweep' AND status = 'succeeded'") >= 2
	})
	if diff := cmp.Diff(want, dump(t, s.pool)); diff != "" {
		t.Errorf("after the sweep the database differs from a clean sweep (-want +got):\n%s", diff)
	}
}

// cleanSweep sweeps the simulator into a fresh database and dumps it.
func cleanSweep(t *testing.T, s *stack) map[string][]string {
	t.Helper()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	kn := knack.New(knack.Config{BaseURL: s.sim.URL(), AppID: s.sim.AppID(), APIKey: s.sim.APIKey(), RateLimit: 200})
	t.Cleanup(kn.CloseIdleConnections)
	sy := syncer.New(store.New(pool), kn, quietLogger(), time.Now, syncer.Config{})
	if _, err := sy.Sweep(ctx, syncer.SweepOptions{}); err != nil {
		t.Fatal(err)
	}
	return dump(t, pool)
}
