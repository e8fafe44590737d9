package knack_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
)

// recordingMeter keeps what a Meter hears, and refuses what refuse says.
type recordingMeter struct {
	mu     sync.Mutex
	sent   []knack.Attempt
	asked  int
	refuse func(knack.Attempt) error
}

func (m *recordingMeter) Allow(ctx context.Context, a knack.Attempt) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.asked++
	if m.refuse != nil {
		return m.refuse(a)
	}
	return nil
}

func (m *recordingMeter) Sent(ctx context.Context, a knack.Attempt) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, a)
}

// Every attempt is heard once where it is made, failed ones and retries
// included: the meter's count is the simulator's count. The context's
// counter counts the requests made with it, not another caller's.
func TestMeterCountsEveryAttempt(t *testing.T) {
	t.Parallel()
	m := &recordingMeter{}
	cfg := fastClient
	cfg.Meter = m
	cfg.MaxRetries = 6
	b := setup(t, knacksim.Options{Dataset: itemsDataset(5500), RatePerSecond: unlimitedRate, FailRate: 0.3, Seed: 3}, cfg)

	listCtx, listCount := knack.CountRequests(knack.WithPurpose(t.Context(), knack.PurposeSweep))
	getCtx, getCount := knack.CountRequests(knack.WithPurpose(t.Context(), knack.PurposeHints))
	var wg sync.WaitGroup
	var listErr error
	wg.Go(func() {
		listErr = b.client.List(listCtx, "object_1", knack.ListOptions{}, func(knack.Page) error { return nil })
	})
	for i := range 20 {
		wg.Go(func() {
			// Some are missing (404): a failed request is a request.
			_, _ = b.client.Get(getCtx, "object_1", id(i*400))
		})
	}
	wg.Wait()
	if listErr != nil {
		t.Fatal(listErr)
	}

	c := b.srv.Counts()
	if c.Failed == 0 {
		t.Fatal("the simulator injected no failure: the test proves nothing about failed requests")
	}
	if len(m.sent) != c.Total || m.asked != c.Total {
		t.Errorf("meter heard %d attempts (asked %d), the simulator saw %d", len(m.sent), m.asked, c.Total)
	}
	byPurpose := map[string]int{}
	failed := 0
	for _, a := range m.sent {
		byPurpose[a.Purpose]++
		if a.Object != "object_1" {
			t.Errorf("attempt %s with object %q, want object_1", a.Method, a.Object)
		}
		if a.Status >= 500 {
			failed++
		}
		if _, _, ok := a.PlanLimits(); !ok {
			t.Errorf("attempt with status %d carried no plan limits", a.Status)
		}
	}
	if failed != c.Failed {
		t.Errorf("meter heard %d 5xx, the simulator injected %d", failed, c.Failed)
	}
	lists := c.ByRoute["GET /v1/objects/{object}/records"]
	gets := c.ByRoute["GET /v1/objects/{object}/records/{id}"]
	if byPurpose[knack.PurposeSweep] != lists || byPurpose[knack.PurposeHints] != gets {
		t.Errorf("by purpose %v, want sweep %d (listings) and hints %d (gets)", byPurpose, lists, gets)
	}
	if int(listCount.Load()) != lists || int(getCount.Load()) != gets {
		t.Errorf("context counters: listing %d, gets %d; want %d and %d", listCount.Load(), getCount.Load(), lists, gets)
	}
}

// A refused attempt is not sent, and the refusal comes back as is.
func TestMeterRefuses(t *testing.T) {
	t.Parallel()
	spent := errors.New("budget spent")
	m := &recordingMeter{refuse: func(a knack.Attempt) error {
		if a.Purpose == knack.PurposeHints {
			return spent
		}
		return nil
	}}
	cfg := fastClient
	cfg.Meter = m
	b := setup(t, knacksim.Options{Dataset: itemsDataset(3), RatePerSecond: unlimitedRate}, cfg)
	if _, err := b.client.Get(knack.WithPurpose(t.Context(), knack.PurposeHints), "object_1", id(1)); !errors.Is(err, spent) {
		t.Fatalf("Get = %v, want the meter's refusal", err)
	}
	if _, err := b.client.Get(t.Context(), "object_1", id(1)); err != nil {
		t.Fatal(err)
	}
	if n := b.srv.Counts().Total; n != 1 || len(m.sent) != 1 {
		t.Errorf("the simulator saw %d requests and the meter heard %d, want 1 and 1 (the refused one never sent)", n, len(m.sent))
	}
}
