package knack_test

import (
	"errors"
	"io"
	"net/http"
	"testing"

	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
)

// A response body is read up to Config.MaxResponseBytes: one byte more
// fails with ErrResponseTooLarge at once (no retry: the same request
// brings the same body), exactly the limit is read whole.
func TestResponseBodyCap(t *testing.T) {
	t.Parallel()
	const records = 1000
	// The page's size as the server sends it, measured without the client.
	probe := setup(t, knacksim.Options{Dataset: itemsDataset(records), RatePerSecond: unlimitedRate}, fastClient)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet,
		probe.srv.URL()+"/objects/object_1/records?page=1&rows_per_page=1000", nil)
	req.Header.Set("X-Knack-Application-Id", probe.srv.AppID())
	req.Header.Set("X-Knack-REST-API-Key", probe.srv.APIKey())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("probe: %d %v", resp.StatusCode, err)
	}
	size := int64(len(raw))

	t.Run("one byte over the cap", func(t *testing.T) {
		t.Parallel()
		cfg := fastClient
		cfg.MaxResponseBytes = size - 1
		b := setup(t, knacksim.Options{Dataset: itemsDataset(records), RatePerSecond: unlimitedRate}, cfg)
		err := b.client.List(t.Context(), "object_1", knack.ListOptions{}, func(knack.Page) error { return nil })
		if !errors.Is(err, knack.ErrResponseTooLarge) {
			t.Fatalf("List with a %d-byte page and a cap of %d: %v, want ErrResponseTooLarge", size, size-1, err)
		}
		if n := b.client.Stats().Requests; n != 1 {
			t.Errorf("%d requests for a response too large, want 1 (not retried)", n)
		}
	})

	t.Run("exactly the cap", func(t *testing.T) {
		t.Parallel()
		cfg := fastClient
		cfg.MaxResponseBytes = size
		b := setup(t, knacksim.Options{Dataset: itemsDataset(records), RatePerSecond: unlimitedRate}, cfg)
		got := 0
		err := b.client.List(t.Context(), "object_1", knack.ListOptions{}, func(p knack.Page) error { got += len(p.Records); return nil })
		if err != nil || got != records {
			t.Fatalf("List with a %d-byte page and a cap of %d: %d records, %v", size, size, got, err)
		}
	})
}
