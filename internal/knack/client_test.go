package knack_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
)

// These tests run the real client over HTTP against the Knack simulator.

// testBundle is a simulator and a client pointed at it.
type testBundle struct {
	srv    *knacksim.Server
	client *knack.Client
}

// setup starts a simulator with opts and a client with cfg (its URL, app id
// and key filled in). Retries are fast unless cfg says otherwise.
func setup(t *testing.T, opts knacksim.Options, cfg knack.Config) testBundle {
	t.Helper()
	srv := knacksim.Start(t, opts)
	cfg.BaseURL = srv.URL()
	cfg.AppID = srv.AppID()
	if cfg.APIKey == "" {
		cfg.APIKey = srv.APIKey()
	}
	if cfg.RetryBase == 0 {
		cfg.RetryBase = 5 * time.Millisecond
	}
	if cfg.RetryMax == 0 {
		cfg.RetryMax = 50 * time.Millisecond
	}
	client := knack.New(cfg)
	// Cleanups run last-in first-out: the client lets go of its idle
	// connections before the simulator shuts down, which would otherwise wait
	// for connections dialled for requests that were then cancelled.
	t.Cleanup(client.CloseIdleConnections)
	return testBundle{srv: srv, client: client}
}

// unlimited lets every request through at once.
type unlimited struct{}

func (unlimited) Wait(ctx context.Context) error { return ctx.Err() }

// fastClient is a client without a rate limit, for tests about something
// else.
var fastClient = knack.Config{Limiter: unlimited{}}

// unlimitedRate turns the simulator's per-second limit off.
const unlimitedRate = -1

// text is a short_text value in API shape.
func text(fields map[string]json.RawMessage, key, v string) {
	b, _ := json.Marshal(v)
	fields[key] = b
	fields[key+"_raw"] = b
}

// id is the i-th record id: 24 hex digits, increasing.
func id(i int) string { return fmt.Sprintf("5d7964422d71590016%06x", i) }

// itemsDataset is object_1 with n records: field_1 "item N", field_2 the
// number N.
func itemsDataset(n int) *knacksim.Dataset {
	recs := make([]knack.Record, n)
	for i := range recs {
		f := map[string]json.RawMessage{}
		text(f, "field_1", fmt.Sprintf("item %d", i))
		f["field_2"] = json.RawMessage(fmt.Sprint(i))
		f["field_2_raw"] = json.RawMessage(fmt.Sprint(i))
		recs[i] = knack.Record{ID: id(i), Fields: f}
	}
	return &knacksim.Dataset{
		Schema: knacksim.Schema{Name: "Items", Timezone: "London", Objects: []knacksim.Object{{
			Key: "object_1", Name: "Item", Identifier: "field_1", Type: "StandardObject",
			Fields: []knacksim.Field{
				{Key: "field_1", Name: "Name", Type: "short_text"},
				{Key: "field_2", Name: "Rank", Type: "number"},
			},
		}}},
		Records: map[string][]knack.Record{"object_1": recs},
	}
}

// collected is what a List delivered.
type collected struct {
	pages []int
	ids   []string
}

func (c *collected) add(p knack.Page) error {
	c.pages = append(c.pages, p.Number)
	for _, r := range p.Records {
		c.ids = append(c.ids, r.ID)
	}
	return nil
}

func wantIDs(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, id(i))
	}
	return out
}

func TestListPages(t *testing.T) {
	t.Parallel()

	t.Run("5,500 records in 6 pages, in order, none lost or repeated", func(t *testing.T) {
		t.Parallel()
		b := setup(t, knacksim.Options{Dataset: itemsDataset(5500), RatePerSecond: unlimitedRate}, fastClient)
		// Jitter makes later pages often arrive before earlier ones.
		b.srv.SetLatency(0, 40*time.Millisecond)
		var got collected
		var first knack.Page
		err := b.client.List(t.Context(), "object_1", knack.ListOptions{}, func(p knack.Page) error {
			if p.Number == 1 {
				first = p
			}
			return got.add(p)
		})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if diff := cmp.Diff([]int{1, 2, 3, 4, 5, 6}, got.pages); diff != "" {
			t.Errorf("pages mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(wantIDs(0, 5500), got.ids); diff != "" {
			t.Errorf("ids mismatch (-want +got):\n%s", diff)
		}
		if first.TotalPages != 6 || first.TotalRecords != 5500 || len(first.Records) != 1000 {
			t.Errorf("page 1: %d records, total_pages %d, total_records %d", len(first.Records), first.TotalPages, first.TotalRecords)
		}
		// The last page was short: no request past it. (The client's
		// counters are final when List returns; the simulator logs a request
		// only after its answer is on the wire.)
		if n := b.client.Stats().Requests; n != 6 {
			t.Errorf("client sent %d requests, want 6", n)
		}
	})

	t.Run("resume from a start page", func(t *testing.T) {
		t.Parallel()
		b := setup(t, knacksim.Options{Dataset: itemsDataset(5500), RatePerSecond: unlimitedRate, CurrentPageAsString: true}, fastClient)
		var got collected
		if err := b.client.List(t.Context(), "object_1", knack.ListOptions{StartPage: 4}, got.add); err != nil {
			t.Fatalf("List: %v", err)
		}
		if diff := cmp.Diff([]int{4, 5, 6}, got.pages); diff != "" {
			t.Errorf("pages mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(wantIDs(3000, 5500), got.ids); diff != "" {
			t.Errorf("ids mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("an exactly full last page costs one empty page", func(t *testing.T) {
		t.Parallel()
		b := setup(t, knacksim.Options{Dataset: itemsDataset(40), RatePerSecond: unlimitedRate}, fastClient)
		var got collected
		if err := b.client.List(t.Context(), "object_1", knack.ListOptions{RowsPerPage: 20}, got.add); err != nil {
			t.Fatalf("List: %v", err)
		}
		if diff := cmp.Diff([]int{1, 2}, got.pages); diff != "" {
			t.Errorf("pages mismatch (-want +got):\n%s", diff)
		}
		if len(got.ids) != 40 {
			t.Errorf("got %d records, want 40", len(got.ids))
		}
		// total_pages is an estimate, so a full page 2 of 2 is not trusted to
		// be the end: page 3 is fetched and is empty.
		if n := b.client.Stats().Requests; n != 3 {
			t.Errorf("client sent %d requests, want 3", n)
		}
	})

	t.Run("empty object", func(t *testing.T) {
		t.Parallel()
		b := setup(t, knacksim.Options{Dataset: itemsDataset(0), RatePerSecond: unlimitedRate}, fastClient)
		calls := 0
		err := b.client.List(t.Context(), "object_1", knack.ListOptions{}, func(knack.Page) error { calls++; return nil })
		if err != nil || calls != 0 {
			t.Errorf("List = %v after %d calls of fn, want nil after 0", err, calls)
		}
	})

	t.Run("sort and format are sent", func(t *testing.T) {
		t.Parallel()
		b := setup(t, knacksim.Options{Dataset: itemsDataset(30), RatePerSecond: unlimitedRate}, fastClient)
		var recs []knack.Record
		err := b.client.List(t.Context(), "object_1",
			knack.ListOptions{SortField: "field_2", SortOrder: knack.SortDesc, Format: knack.FormatRaw, RowsPerPage: 7},
			func(p knack.Page) error { recs = append(recs, p.Records...); return nil })
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(recs) != 30 || recs[0].ID != id(29) || recs[29].ID != id(0) {
			t.Fatalf("got %d records from %v to %v, want 30 from %s down to %s", len(recs), recs[0].ID, recs[len(recs)-1].ID, id(29), id(0))
		}
		if recs[0].Formatted("field_1") != nil || string(recs[0].Raw("field_1")) != `"item 29"` {
			t.Errorf("format=raw: record has field_1 %s and field_1_raw %s", recs[0].Formatted("field_1"), recs[0].Raw("field_1"))
		}
	})

	t.Run("fn's error stops the listing and is returned as is", func(t *testing.T) {
		t.Parallel()
		b := setup(t, knacksim.Options{Dataset: itemsDataset(500), RatePerSecond: unlimitedRate, Latency: 20 * time.Millisecond}, fastClient)
		stop := errors.New("disk full")
		var pages []int
		err := b.client.List(t.Context(), "object_1", knack.ListOptions{RowsPerPage: 10}, func(p knack.Page) error {
			pages = append(pages, p.Number)
			if p.Number == 2 {
				return stop
			}
			return nil
		})
		if err != stop {
			t.Errorf("List = %v, want fn's error itself", err)
		}
		if diff := cmp.Diff([]int{1, 2}, pages); diff != "" {
			t.Errorf("pages mismatch (-want +got):\n%s", diff)
		}
		// Page 1, then at most one window of pages: nothing more was sent,
		// and the outstanding requests were cancelled.
		if st := b.client.Stats(); st.Requests > 1+knack.DefaultConcurrency {
			t.Errorf("client sent %d requests, want at most %d", st.Requests, 1+knack.DefaultConcurrency)
		}
	})

	t.Run("errors name the page", func(t *testing.T) {
		t.Parallel()
		b := setup(t, knacksim.Options{Dataset: itemsDataset(10), RatePerSecond: unlimitedRate}, fastClient)
		err := b.client.List(t.Context(), "object_404", knack.ListOptions{}, func(knack.Page) error { return nil })
		if !errors.Is(err, knack.ErrBadRequest) || !strings.HasPrefix(err.Error(), "knack: list object_404 page 1: HTTP 400") {
			t.Errorf("List = %v, want a bad request for page 1 (Malformed Object Key)", err)
		}
		err = b.client.List(t.Context(), "object_1", knack.ListOptions{SortOrder: "sideways"}, func(knack.Page) error { return nil })
		if err == nil || b.client.Stats().Requests != 1 {
			t.Errorf("List with a bad sort order = %v, and sent a request", err)
		}
	})
}

// TestListReachesRateLimitWithout429 is the one test that does not run in
// parallel: Go runs it before the parallel tests start, so that their CPU
// load does not delay some requests by 100 ms and push two pacing slots into
// one of the simulator's one-second windows.
func TestListReachesRateLimitWithout429(t *testing.T) {
	// 30 pages of 10 (the last one short), 100 ms latency each, 10 req/s.
	b := setup(t, knacksim.Options{Dataset: itemsDataset(295), RatePerSecond: 10, Latency: 100 * time.Millisecond},
		knack.Config{RateLimit: 10})
	start := time.Now()
	var got collected
	if err := b.client.List(t.Context(), "object_1", knack.ListOptions{RowsPerPage: 10}, got.add); err != nil {
		t.Fatalf("List: %v", err)
	}
	elapsed := time.Since(start)
	if counts, st := b.srv.Counts(), b.client.Stats(); counts.RateLimited != 0 || st.TooManyRequests != 0 || st.Requests != 30 {
		t.Errorf("simulator answered %d 429s, client sent %d requests and saw %d 429s; want none, 30, none",
			counts.RateLimited, st.Requests, st.TooManyRequests)
	}
	if len(got.ids) != 295 {
		t.Errorf("got %d records, want 295", len(got.ids))
	}
	// Sequential paging would take 30 × 100 ms plus pacing; concurrent
	// paging is bound by the rate: about 3.3 s at 90% of 10/s. Loose bounds.
	if elapsed < 2500*time.Millisecond || elapsed > 6*time.Second {
		t.Errorf("30 requests took %s, want between 2.5s and 6s", elapsed)
	}
	t.Logf("30 pages in %s", elapsed)
}

func TestListRecoversFrom429(t *testing.T) {
	t.Parallel()
	// No client-side limit: the simulator's 10/s answers 429s. With the
	// default retry budget and 5 ms backoff, the client gets through only
	// because it holds every request until X-RateLimit-Reset.
	b := setup(t, knacksim.Options{Dataset: itemsDataset(245), RatePerSecond: 10},
		knack.Config{Limiter: unlimited{}})
	var got collected
	if err := b.client.List(t.Context(), "object_1", knack.ListOptions{RowsPerPage: 10}, got.add); err != nil {
		t.Fatalf("List: %v", err)
	}
	if diff := cmp.Diff(wantIDs(0, 245), got.ids); diff != "" {
		t.Errorf("ids mismatch (-want +got):\n%s", diff)
	}
	counts, st := b.srv.Counts(), b.client.Stats()
	if counts.RateLimited == 0 {
		t.Error("the simulator answered no 429: the test does not test recovery")
	}
	if st.TooManyRequests != uint64(counts.RateLimited) || st.Retries != st.TooManyRequests {
		t.Errorf("client counted %d 429s and %d retries; simulator sent %d 429s", st.TooManyRequests, st.Retries, counts.RateLimited)
	}
}

func TestRetriesFaults(t *testing.T) {
	t.Parallel()

	t.Run("list through 5xx and timeouts", func(t *testing.T) {
		t.Parallel()
		b := setup(t, knacksim.Options{Dataset: itemsDataset(2990), RatePerSecond: unlimitedRate, FailRate: 0.2, TimeoutRate: 0.15, Seed: 7},
			knack.Config{Limiter: unlimited{}, Timeout: 300 * time.Millisecond, MaxRetries: 12})
		var got collected
		if err := b.client.List(t.Context(), "object_1", knack.ListOptions{RowsPerPage: 50}, got.add); err != nil {
			t.Fatalf("List: %v", err)
		}
		if diff := cmp.Diff(wantIDs(0, 2990), got.ids); diff != "" {
			t.Errorf("ids mismatch (-want +got):\n%s", diff)
		}
		counts, st := b.srv.Counts(), b.client.Stats()
		if counts.Failed == 0 || counts.TimedOut == 0 {
			t.Fatalf("simulator injected %d 5xx and %d hangs; the test needs both", counts.Failed, counts.TimedOut)
		}
		var client5xx uint64
		for status, n := range st.ByStatus {
			if status >= 500 {
				client5xx += n
			}
		}
		// Every injected fault was a failed attempt for the client: a 5xx, or a
		// timeout (a 5xx that comes later than the client's timeout on a
		// loaded machine is one too).
		if client5xx > uint64(counts.Failed) || client5xx+st.TransportErrors < uint64(counts.Failed+counts.TimedOut) {
			t.Errorf("client saw %d 5xx and %d timeouts; simulator injected %d 5xx and %d hangs",
				client5xx, st.TransportErrors, counts.Failed, counts.TimedOut)
		}
		if st.Retries != client5xx+st.TransportErrors {
			t.Errorf("client retried %d times after %d failures", st.Retries, client5xx+st.TransportErrors)
		}
	})

	t.Run("get gives up after MaxRetries", func(t *testing.T) {
		t.Parallel()
		b := setup(t, knacksim.Options{Dataset: itemsDataset(1), RatePerSecond: unlimitedRate, FailRate: 1}, fastClient)
		_, err := b.client.Get(t.Context(), "object_1", id(0))
		if !errors.Is(err, knack.ErrServer) {
			t.Errorf("Get = %v, want ErrServer", err)
		}
		if n := b.srv.Counts().Failed; n != knack.DefaultMaxRetries+1 {
			t.Errorf("simulator saw %d attempts, want %d", n, knack.DefaultMaxRetries+1)
		}
	})

	t.Run("get times out", func(t *testing.T) {
		t.Parallel()
		cfg := fastClient
		cfg.Timeout, cfg.MaxRetries = 50*time.Millisecond, 1
		b := setup(t, knacksim.Options{Dataset: itemsDataset(1), RatePerSecond: unlimitedRate, TimeoutRate: 1}, cfg)
		_, err := b.client.Get(t.Context(), "object_1", id(0))
		if !errors.Is(err, knack.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Get = %v, want ErrTimeout (and not the caller's deadline)", err)
		}
		if want := "knack: get object_1/" + id(0) + ": request timed out after 50ms"; err.Error() != want {
			t.Errorf("Get = %q, want %q", err, want)
		}
		if st := b.client.Stats(); st.TransportErrors != 2 || st.Retries != 1 {
			t.Errorf("Stats = %+v, want 2 timeouts and 1 retry", st)
		}
	})

	t.Run("create is not retried on 5xx or timeout", func(t *testing.T) {
		t.Parallel()
		cfg := fastClient
		cfg.Timeout = 100 * time.Millisecond
		b := setup(t, knacksim.Options{Dataset: itemsDataset(0), RatePerSecond: unlimitedRate, FailRate: 1}, cfg)
		_, err := b.client.Create(t.Context(), "object_1", map[string]any{"field_1": "x"})
		if !errors.Is(err, knack.ErrServer) || !strings.HasPrefix(err.Error(), "knack: create object_1: HTTP 5") {
			t.Errorf("Create = %v, want ErrServer", err)
		}
		b.srv.SetFailRate(0)
		b.srv.SetTimeoutRate(1)
		_, err = b.client.Create(t.Context(), "object_1", map[string]any{"field_1": "x"})
		if !errors.Is(err, knack.ErrTimeout) {
			t.Errorf("Create = %v, want ErrTimeout", err)
		}
		if st := b.client.Stats(); st.Requests != 2 || st.Retries != 0 {
			t.Errorf("client sent %d requests with %d retries, want 2 and 0", st.Requests, st.Retries)
		}
	})

	t.Run("update and delete are retried", func(t *testing.T) {
		t.Parallel()
		b := setup(t, knacksim.Options{Dataset: itemsDataset(2), RatePerSecond: unlimitedRate, FailRate: 0.5, Seed: 3},
			knack.Config{Limiter: unlimited{}, MaxRetries: 20})
		if _, err := b.client.Update(t.Context(), "object_1", id(0), map[string]any{"field_1": "new"}); err != nil {
			t.Errorf("Update: %v", err)
		}
		if err := b.client.Delete(t.Context(), "object_1", id(1)); err != nil {
			t.Errorf("Delete: %v", err)
		}
		if b.srv.Count("object_1") != 1 {
			t.Errorf("object_1 has %d records, want 1", b.srv.Count("object_1"))
		}
	})

	t.Run("cancellation during a backoff", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		var responses atomic.Int64
		cfg := fastClient
		cfg.RetryBase, cfg.RetryMax = time.Hour, time.Hour
		cfg.OnResponse = func(status int, _ time.Duration) {
			responses.Add(1)
			cancel() // the first answer (a 5xx) cancels; the client is then asleep
		}
		b := setup(t, knacksim.Options{Dataset: itemsDataset(1), RatePerSecond: unlimitedRate, FailRate: 1}, cfg)
		start := time.Now()
		_, err := b.client.Get(ctx, "object_1", id(0))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Get = %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Get returned after %s; the backoff ignored the context", d)
		}
		if n := responses.Load(); n != 1 {
			t.Errorf("OnResponse called %d times, want 1", n)
		}
	})
}

func TestQuota(t *testing.T) {
	t.Parallel()

	t.Run("get stops at once", func(t *testing.T) {
		t.Parallel()
		b := setup(t, knacksim.Options{Dataset: itemsDataset(1), DailyQuota: 3}, knack.Config{})
		for i := range 3 {
			if _, err := b.client.Get(t.Context(), "object_1", id(0)); err != nil {
				t.Fatalf("Get %d: %v", i, err)
			}
		}
		before := time.Now()
		_, err := b.client.Get(t.Context(), "object_1", id(0))
		if !errors.Is(err, knack.ErrQuotaExhausted) || errors.Is(err, knack.ErrRateLimited) {
			t.Fatalf("Get = %v, want ErrQuotaExhausted", err)
		}
		var qe *knack.QuotaError
		if !errors.As(err, &qe) {
			t.Fatalf("Get = %v, want a *QuotaError", err)
		}
		// The simulator resets at 00:00 UTC.
		y, m, d := before.UTC().Date()
		midnight := time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
		if diff := qe.Reset.Sub(midnight); diff < -2*time.Second || diff > 2*time.Second || qe.Limit != 3 {
			t.Errorf("QuotaError = %+v, want reset near %s and limit 3", qe, midnight)
		}
		counts := b.srv.Counts()
		if counts.QuotaExceeded != 1 || counts.RateLimited != 0 || b.client.Stats().TooManyRequests != 1 {
			t.Errorf("simulator answered %d quota 429s, want exactly 1 (no retries)", counts.QuotaExceeded)
		}
		if st := b.client.Stats(); st.PlanLimitRemaining != 0 || st.PlanLimitLimit != 3 || st.Retries != 0 {
			t.Errorf("Stats = %+v, want plan limit 0 of 3 and no retries", st)
		}
	})

	t.Run("list stops without retrying", func(t *testing.T) {
		t.Parallel()
		b := setup(t, knacksim.Options{Dataset: itemsDataset(100), RatePerSecond: unlimitedRate, DailyQuota: 4}, fastClient)
		var got collected
		err := b.client.List(t.Context(), "object_1", knack.ListOptions{RowsPerPage: 10}, got.add)
		if !errors.Is(err, knack.ErrQuotaExhausted) || !strings.HasPrefix(err.Error(), "knack: list object_1 page ") {
			t.Fatalf("List = %v, want ErrQuotaExhausted naming a page", err)
		}
		if st := b.client.Stats(); st.Retries != 0 {
			t.Errorf("client retried %d times after a quota 429", st.Retries)
		}
		// Pages delivered are a prefix: the caller's checkpoint holds.
		if len(got.pages) > 4 || !slices.Equal(got.pages, []int{1, 2, 3, 4}[:len(got.pages)]) {
			t.Errorf("delivered pages %v, want a prefix of 1..4", got.pages)
		}
	})
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t, knacksim.Options{Dataset: itemsDataset(1), RatePerSecond: unlimitedRate}, fastClient)
	b400 := setup(t, knacksim.Options{Dataset: itemsDataset(1), RatePerSecond: unlimitedRate, NotFoundStatus: 400}, fastClient)
	missing := id(999)
	tests := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"get, well-formed missing id (404)", func(ctx context.Context) error { _, err := b.client.Get(ctx, "object_1", missing); return err }},
		{"get, non-hex id (400 Malformed Record Key)", func(ctx context.Context) error { _, err := b.client.Get(ctx, "object_1", "not-an-id"); return err }},
		{"get, missing id answered 400", func(ctx context.Context) error { _, err := b400.client.Get(ctx, "object_1", missing); return err }},
		{"update, missing id", func(ctx context.Context) error {
			_, err := b.client.Update(ctx, "object_1", missing, map[string]any{"field_1": "x"})
			return err
		}},
		{"delete, missing id", func(ctx context.Context) error { return b.client.Delete(ctx, "object_1", missing) }},
		{"delete, non-hex id", func(ctx context.Context) error { return b.client.Delete(ctx, "object_1", "77777777") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.call(t.Context())
			if !errors.Is(err, knack.ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
			for _, other := range []error{knack.ErrBadRequest, knack.ErrServer, knack.ErrUnauthorized} {
				if errors.Is(err, other) {
					t.Errorf("err = %v also matches %v", err, other)
				}
			}
		})
	}
	t.Run("unknown object is a bad request, not a missing record", func(t *testing.T) {
		t.Parallel()
		_, err := b.client.Get(t.Context(), "object_99", missing)
		if !errors.Is(err, knack.ErrBadRequest) || errors.Is(err, knack.ErrNotFound) {
			t.Errorf("err = %v, want ErrBadRequest only", err)
		}
	})
	t.Run("wording", func(t *testing.T) {
		t.Parallel()
		_, err := b.client.Get(t.Context(), "object_1", "not-an-id")
		want := "knack: get object_1/not-an-id: HTTP 400 Bad Request: Malformed Record Key: not-an-id"
		if err == nil || err.Error() != want {
			t.Errorf("err = %v, want %q", err, want)
		}
	})
}

func TestUnauthorized(t *testing.T) {
	t.Parallel()
	b := setup(t, knacksim.Options{Dataset: itemsDataset(1), RatePerSecond: unlimitedRate}, knack.Config{APIKey: "wrong"})
	_, err := b.client.Get(t.Context(), "object_1", id(0))
	if !errors.Is(err, knack.ErrUnauthorized) {
		t.Errorf("Get = %v, want ErrUnauthorized", err)
	}
	var ae *knack.APIError
	if !errors.As(err, &ae) || ae.Status != 401 || len(ae.Errors) != 1 || ae.Errors[0].Message != "Invalid API Key" {
		t.Errorf("APIError = %+v, want 401 Invalid API Key", ae)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error %q shows the API key", err)
	}
	if n := b.client.Stats().Requests; n != 1 {
		t.Errorf("client sent %d requests, want 1 (4xx is never retried)", n)
	}
}

func TestRecordRoundTrip(t *testing.T) {
	t.Parallel()
	b := setup(t, knacksim.Options{Dataset: itemsDataset(0)}, knack.Config{})
	ctx := t.Context()
	created, err := b.client.Create(ctx, "object_1", map[string]any{"field_1": "hello", "field_2": 7})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if len(created.ID) != 24 || string(created.Raw("field_1")) != `"hello"` || string(created.Raw("field_2")) != "7" {
		t.Fatalf("Create returned %s with field_1_raw %s and field_2_raw %s", created.ID, created.Raw("field_1"), created.Raw("field_2"))
	}
	got, err := b.client.Get(ctx, "object_1", created.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if diff := cmp.Diff(created, got); diff != "" {
		t.Errorf("Get mismatch (-want +got):\n%s", diff)
	}
	// A partial update keeps the fields it leaves out.
	updated, err := b.client.Update(ctx, "object_1", created.ID, map[string]any{"field_2": 8})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if string(updated.Raw("field_1")) != `"hello"` || string(updated.Raw("field_2")) != "8" {
		t.Errorf("Update returned field_1_raw %s, field_2_raw %s", updated.Raw("field_1"), updated.Raw("field_2"))
	}
	if err := b.client.Delete(ctx, "object_1", created.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := b.client.Get(ctx, "object_1", created.ID); !errors.Is(err, knack.ErrNotFound) {
		t.Errorf("Get after Delete = %v, want ErrNotFound", err)
	}
	if _, err := b.client.Get(ctx, "object_1", ""); err == nil || errors.Is(err, knack.ErrNotFound) {
		t.Errorf("Get with an empty id = %v, want a plain error without a request", err)
	}
	st := b.client.Stats()
	if st.Requests != 5 || st.ByStatus[200] != 4 || st.ByStatus[404] != 1 {
		t.Errorf("Stats = %+v, want 5 requests: 4 × 200 and 1 × 404", st)
	}
}

func TestSchema(t *testing.T) {
	t.Parallel()
	ds := itemsDataset(0)
	b := setup(t, knacksim.Options{Dataset: ds}, knack.Config{APIKey: "not needed"})
	app, err := b.client.Schema(t.Context())
	if err != nil {
		t.Fatalf("Schema: %v", err)
	}
	if app.ID != b.srv.AppID() || app.Name != "Items" || app.Settings.Timezone != "London" {
		t.Errorf("App = %s %q, timezone %q", app.ID, app.Name, app.Settings.Timezone)
	}
	obj, ok := app.Object("object_1")
	if !ok {
		t.Fatal("object_1 missing")
	}
	var fields []string
	for _, f := range obj.Fields {
		fields = append(fields, f.Key+":"+f.Type)
	}
	if diff := cmp.Diff([]string{"field_1:short_text", "field_2:number"}, fields); diff != "" {
		t.Errorf("fields mismatch (-want +got):\n%s", diff)
	}
}

// establishments is object_2 with a status (field_2209) and a portal type
// (field_63), the two fields of the old sync's establishment filter.
func establishments(schools [][3]string) *knacksim.Dataset {
	recs := make([]knack.Record, len(schools))
	for i, s := range schools {
		f := map[string]json.RawMessage{}
		text(f, "field_44", s[0])
		text(f, "field_2209", s[1])
		text(f, "field_63", s[2])
		recs[i] = knack.Record{ID: id(i), Fields: f}
	}
	choice := func(key, name string, opts ...any) knacksim.Field {
		return knacksim.Field{Key: key, Name: name, Type: "multiple_choice", Format: map[string]any{"type": "single", "options": opts}}
	}
	return &knacksim.Dataset{
		Schema: knacksim.Schema{Name: "VESPA", Timezone: "London", Objects: []knacksim.Object{{
			Key: "object_2", Name: "Establishment", Identifier: "field_44", Type: "StandardObject",
			Fields: []knacksim.Field{
				{Key: "field_44", Name: "Name", Type: "short_text"},
				choice("field_2209", "Status", "Active", "Cancelled"),
				choice("field_63", "Portal Type", "COACHING PORTAL", "RESOURCE PORTAL"),
			},
		}}},
		Records: map[string][]knack.Record{"object_2": recs},
	}
}

func TestFilterSemantics(t *testing.T) {
	t.Parallel()
	ds := establishments([][3]string{
		{"Coaching school", "Active", "COACHING PORTAL"},
		{"No portal type", "Active", ""},
		{"Resource school", "Active", "RESOURCE PORTAL"},
		{"Lower-case portal", "Active", "coaching portal"},
		{"Cancelled coaching school", "Cancelled", "COACHING PORTAL"},
		{"Cancelled, no portal", "Cancelled", ""},
	})
	b := setup(t, knacksim.Options{Dataset: ds, RatePerSecond: unlimitedRate}, fastClient)
	names := func(t *testing.T, f *knack.Filter) []string {
		t.Helper()
		var out []string
		err := b.client.List(t.Context(), "object_2", knack.ListOptions{Filters: f}, func(p knack.Page) error {
			for _, r := range p.Records {
				var s string
				if err := json.Unmarshal(r.Raw("field_44"), &s); err != nil {
					return err
				}
				out = append(out, s)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		return out
	}
	notCancelled := knack.Rule{Field: "field_2209", Operator: knack.OpIsNot, Value: "Cancelled"}

	t.Run("old sync's bare-array AND drops schools without a coaching portal type", func(t *testing.T) {
		t.Parallel()
		got := names(t, knack.BareAnd(notCancelled, knack.Rule{Field: "field_63", Operator: knack.OpContains, Value: "COACHING PORTAL"}))
		// The empty and RESOURCE PORTAL schools are gone although active.
		want := []string{"Coaching school", "Lower-case portal"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("the same AND as a match group", func(t *testing.T) {
		t.Parallel()
		got := names(t, knack.And(notCancelled, knack.Rule{Field: "field_63", Operator: knack.OpContains, Value: "COACHING PORTAL"}))
		if diff := cmp.Diff([]string{"Coaching school", "Lower-case portal"}, got); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("OR keeps every active school and coaching-portal schools in any case", func(t *testing.T) {
		t.Parallel()
		got := names(t, knack.Or(notCancelled, knack.Rule{Field: "field_63", Operator: knack.OpContains, Value: "coaching portal"}))
		want := []string{"Coaching school", "No portal type", "Resource school", "Lower-case portal", "Cancelled coaching school"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("nested group: active, and coaching portal or no portal type", func(t *testing.T) {
		t.Parallel()
		got := names(t, knack.And(notCancelled, knack.Or(
			knack.Rule{Field: "field_63", Operator: knack.OpContains, Value: "coaching portal"},
			knack.Rule{Field: "field_63", Operator: knack.OpIsBlank},
		)))
		want := []string{"Coaching school", "No portal type", "Lower-case portal"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestStatsAndHook(t *testing.T) {
	t.Parallel()
	var hooked atomic.Int64
	var hooked200 atomic.Int64
	cfg := fastClient
	cfg.OnResponse = func(status int, d time.Duration) {
		hooked.Add(1)
		if status == 200 && d > 0 {
			hooked200.Add(1)
		}
	}
	b := setup(t, knacksim.Options{Dataset: itemsDataset(2500), RatePerSecond: unlimitedRate}, cfg)
	if err := b.client.List(t.Context(), "object_1", knack.ListOptions{}, func(knack.Page) error { return nil }); err != nil {
		t.Fatal(err)
	}
	_, _ = b.client.Get(t.Context(), "object_1", id(99999))
	st := b.client.Stats()
	want := knack.Stats{
		Requests:           4,
		ByStatus:           map[int]uint64{200: 3, 404: 1},
		PlanLimitRemaining: 100000000 - 4, // the simulator's "unlimited" quota
		PlanLimitLimit:     100000000,
	}
	if diff := cmp.Diff(want, st, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "PlanLimitSeen" }, cmp.Ignore())); diff != "" {
		t.Errorf("Stats mismatch (-want +got):\n%s", diff)
	}
	if st.PlanLimitSeen.IsZero() {
		t.Error("PlanLimitSeen not set")
	}
	if hooked.Load() != 4 || hooked200.Load() != 3 {
		t.Errorf("OnResponse saw %d responses, %d of them 200; want 4 and 3", hooked.Load(), hooked200.Load())
	}
}
