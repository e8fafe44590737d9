package store_test

import (
	"context"
	"sync"
	"testing"

	"knacksync/internal/dbtest"
	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
	"knacksync/internal/store"
)

// Three processes' clients, each with its own pool on one database and the
// shared limiter, send 45 requests as fast as they may to a simulator that
// answers 429 above 10 requests in a second: it never has to.
func TestRateLimiterSharedAcrossInstances(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t)
	sim := knacksim.Start(t, knacksim.Options{RatePerSecond: 10, Dataset: &knacksim.Dataset{
		Schema: knacksim.Schema{Objects: []knacksim.Object{{Key: "object_1", Fields: []knacksim.Field{{Key: "field_1", Type: "short_text"}}}}},
	}})
	var wg sync.WaitGroup
	for range 3 {
		st := store.New(dbtest.Connect(t, url))
		c := knack.New(knack.Config{
			BaseURL: sim.URL(), AppID: sim.AppID(), APIKey: sim.APIKey(), MaxRetries: -1,
			Limiter: st.RateLimiter("knack:test", 10*knack.RateHeadroom),
		})
		t.Cleanup(c.CloseIdleConnections)
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 5 {
					if err := c.List(context.Background(), "object_1", knack.ListOptions{RowsPerPage: 1}, func(knack.Page) error { return nil }); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	counts := sim.Counts()
	if counts.RateLimited != 0 {
		t.Errorf("simulator answered %d requests with 429, want 0", counts.RateLimited)
	}
	if counts.Total < 45 {
		t.Errorf("simulator saw %d requests, want at least 45", counts.Total)
	}
}
