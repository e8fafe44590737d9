package knack

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// These tests use a bare httptest.Server only for responses the simulator
// does not produce on purpose: a 429 without X-RateLimit-Reset, an HTML error
// page from a proxy, a 429 that never ends. Everything else runs against
// knacksim.

// protoServer serves every request with handle and counts them.
func protoServer(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int64)) (*Client, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handle(w, r, calls.Add(1))
	}))
	t.Cleanup(srv.Close)
	c := New(Config{
		BaseURL:   srv.URL + "/v1",
		AppID:     "app",
		APIKey:    "key",
		RateLimit: 1000,
		RetryBase: 5 * time.Millisecond,
		RetryMax:  20 * time.Millisecond,
	})
	return c, &calls
}

const recordJSON = `{"id":"5d7964422d7159001659b27a","field_1":"a","field_1_raw":"a"}`

func TestRateLimitedWithoutResetHeaderBacksOff(t *testing.T) {
	t.Parallel()
	var firstAt, secondAt atomic.Int64 // Unix ns; atomics, since the race detector does not see the socket
	c, calls := protoServer(t, func(w http.ResponseWriter, r *http.Request, n int64) {
		if n == 1 {
			firstAt.Store(time.Now().UnixNano())
			// A per-second 429 (quota left) without X-RateLimit-Reset.
			w.Header().Set("X-PlanLimit-Remaining", "500")
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte("Rate limit exceeded"))
			return
		}
		secondAt.Store(time.Now().UnixNano())
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(recordJSON))
	})
	rec, err := c.Get(t.Context(), "object_1", "5d7964422d7159001659b27a")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if rec.ID != "5d7964422d7159001659b27a" {
		t.Errorf("ID = %q", rec.ID)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("server saw %d requests, want 2", n)
	}
	// Backoff for the first retry is in [RetryBase/2, RetryBase].
	if gap := time.Duration(secondAt.Load() - firstAt.Load()); gap < 2500*time.Microsecond {
		t.Errorf("retried after %s, want a backoff of at least 2.5ms", gap)
	}
	st := c.Stats()
	if st.Retries != 1 || st.TooManyRequests != 1 || st.ByStatus[200] != 1 {
		t.Errorf("Stats = %+v, want 1 retry, one 429, one 200", st)
	}
}

func TestRateLimitedUntilRetriesRunOut(t *testing.T) {
	t.Parallel()
	c, calls := protoServer(t, func(w http.ResponseWriter, r *http.Request, n int64) {
		w.Header().Set("X-PlanLimit-Remaining", "500")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	_, err := c.Get(t.Context(), "object_1", "5d7964422d7159001659b27a")
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("Get = %v, want ErrRateLimited", err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 429 {
		t.Errorf("want an *APIError with status 429, got %v", err)
	}
	if n := calls.Load(); n != DefaultMaxRetries+1 {
		t.Errorf("server saw %d requests, want %d", n, DefaultMaxRetries+1)
	}
	if !strings.HasPrefix(err.Error(), "knack: get object_1/5d7964422d7159001659b27a: HTTP 429") {
		t.Errorf("error %q is not wrapped once with the operation", err)
	}
}

func TestHTMLServerErrorPage(t *testing.T) {
	t.Parallel()
	const page = "<html>\n<head><title>500 Internal Server Error</title></head>\n<body><center><h1>500 Internal Server Error</h1></center></body>\n</html>"
	c, calls := protoServer(t, func(w http.ResponseWriter, r *http.Request, n int64) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(page))
	})
	_, err := c.Get(t.Context(), "object_1", "5d7964422d7159001659b27a")
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("Get = %v, want an *APIError", err)
	}
	if !errors.Is(err, ErrServer) {
		t.Errorf("errors.Is(err, ErrServer) = false for %v", err)
	}
	want := []FieldError{{Message: "500 Internal Server Error 500 Internal Server Error"}}
	if diff := cmp.Diff(want, ae.Errors); diff != "" {
		t.Errorf("Errors mismatch (-want +got):\n%s", diff)
	}
	if ae.Body != page {
		t.Errorf("Body = %q, want the page", ae.Body)
	}
	// A GET is retried on 5xx until MaxRetries runs out.
	if n := calls.Load(); n != DefaultMaxRetries+1 {
		t.Errorf("server saw %d requests, want %d", n, DefaultMaxRetries+1)
	}
}

// TestListDistrustsCounts pins the stopping rule against counts that are
// wrong the ways Knack's are (docs/knack-api.md §2): total_pages too low or too
// high, and short pages before the end. The simulator's counts are exact,
// so a bare server plays Knack here.
func TestListDistrustsCounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		sizes      []int // records on pages 1..n; pages past n are empty
		totalPages int   // what every page claims
		wantPages  []int
		wantMaxReq int64
	}{
		{"total too low: keep going while pages are full", []int{10, 10, 10, 3}, 2, []int{1, 2, 3, 4}, 4},
		{"short pages before the end do not stop it", []int{9, 10, 7, 4}, 4, []int{1, 2, 3, 4}, 4},
		{"total too high: stop at the first empty page", []int{10, 10}, 6, []int{1, 2}, 6},
		{"empty first page", nil, 0, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, calls := protoServer(t, func(w http.ResponseWriter, r *http.Request, n int64) {
				page, _ := strconv.Atoi(r.URL.Query().Get("page"))
				var recs []string
				if page >= 1 && page <= len(tt.sizes) {
					for i := range tt.sizes[page-1] {
						recs = append(recs, fmt.Sprintf(`{"id":"%024x"}`, page*100+i))
					}
				}
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"total_pages":%d,"current_page":"%d","total_records":%d,"records":[%s]}`,
					tt.totalPages, page, tt.totalPages*10, strings.Join(recs, ","))
			})
			var pages []int
			var ids []string
			err := c.List(t.Context(), "object_1", ListOptions{RowsPerPage: 10}, func(p Page) error {
				pages = append(pages, p.Number)
				for _, r := range p.Records {
					ids = append(ids, r.ID)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if diff := cmp.Diff(tt.wantPages, pages); diff != "" {
				t.Errorf("pages mismatch (-want +got):\n%s", diff)
			}
			var wantIDs []string
			for p, size := range tt.sizes {
				for i := range size {
					wantIDs = append(wantIDs, fmt.Sprintf("%024x", (p+1)*100+i))
				}
			}
			if diff := cmp.Diff(wantIDs, ids); diff != "" {
				t.Errorf("ids mismatch (-want +got):\n%s", diff)
			}
			if n := calls.Load(); n > tt.wantMaxReq {
				t.Errorf("server saw %d requests, want at most %d", n, tt.wantMaxReq)
			}
		})
	}
}

// TestRequestHeaders checks what goes on the wire: the app id everywhere,
// the API key on record routes only (not on the schema), JSON
// bodies on writes.
func TestRequestHeaders(t *testing.T) {
	t.Parallel()
	type seen struct{ method, path, appID, key, contentType string }
	got := make(chan seen, 10)
	c, _ := protoServer(t, func(w http.ResponseWriter, r *http.Request, n int64) {
		_, hasKey := r.Header["X-Knack-Rest-Api-Key"]
		key := r.Header.Get("X-Knack-REST-API-Key")
		if !hasKey {
			key = "(none)"
		}
		got <- seen{r.Method, r.URL.Path, r.Header.Get("X-Knack-Application-Id"), key, r.Header.Get("Content-Type")}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasPrefix(r.URL.Path, "/v1/applications/"):
			w.Write([]byte(`{"application":{"id":"app","objects":[]}}`))
		case r.Method == http.MethodDelete:
			w.Write([]byte(`{"delete":true}`))
		default:
			w.Write([]byte(recordJSON))
		}
	})
	ctx := t.Context()
	const id = "5d7964422d7159001659b27a"
	if _, err := c.Schema(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, "object_1", id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(ctx, "object_1", map[string]any{"field_1": "a"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, "object_1", id); err != nil {
		t.Fatal(err)
	}
	close(got)
	var all []seen
	for s := range got {
		all = append(all, s)
	}
	want := []seen{
		{"GET", "/v1/applications/app", "app", "(none)", ""},
		{"GET", "/v1/objects/object_1/records/" + id, "app", "key", ""},
		{"POST", "/v1/objects/object_1/records", "app", "key", "application/json"},
		{"DELETE", "/v1/objects/object_1/records/" + id, "app", "key", ""},
	}
	if diff := cmp.Diff(want, all, cmp.AllowUnexported(seen{})); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

// TestListFailsInPageOrder: a failed page fails the listing only when its
// turn comes, so pages before it still reach fn, and a page past the real
// end cannot fail a finished listing.
func TestListFailsInPageOrder(t *testing.T) {
	t.Parallel()
	// serve answers pages 1..full with 10 records, page empty with none,
	// and page bad with a 400; page 2 is slow, so that page 3's answer
	// usually comes first.
	serve := func(full, empty, bad int) func(w http.ResponseWriter, r *http.Request, n int64) {
		return func(w http.ResponseWriter, r *http.Request, n int64) {
			page, _ := strconv.Atoi(r.URL.Query().Get("page"))
			if page == 2 {
				time.Sleep(30 * time.Millisecond)
			}
			if page == bad {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				w.Write([]byte(`{"errors":[{"message":"Invalid filters"}]}`))
				return
			}
			var recs []string
			if page <= full && page != empty {
				for i := range 10 {
					recs = append(recs, fmt.Sprintf(`{"id":"%024x"}`, page*100+i))
				}
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"total_pages":6,"current_page":%d,"total_records":60,"records":[%s]}`, page, strings.Join(recs, ","))
		}
	}
	list := func(c *Client) ([]int, error) {
		var pages []int
		err := c.List(t.Context(), "object_1", ListOptions{RowsPerPage: 10}, func(p Page) error {
			pages = append(pages, p.Number)
			return nil
		})
		return pages, err
	}

	t.Run("pages before a failed page are delivered first", func(t *testing.T) {
		t.Parallel()
		c, _ := protoServer(t, serve(6, 0, 3))
		pages, err := list(c)
		if !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), "page 3:") {
			t.Errorf("List = %v, want a bad request on page 3", err)
		}
		if diff := cmp.Diff([]int{1, 2}, pages); diff != "" {
			t.Errorf("pages mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("a failed page past the end is ignored", func(t *testing.T) {
		t.Parallel()
		// total_pages says 6, the data ends at page 2; page 4 fails.
		c, _ := protoServer(t, serve(2, 3, 4))
		pages, err := list(c)
		if err != nil {
			t.Errorf("List = %v, want nil", err)
		}
		if diff := cmp.Diff([]int{1, 2}, pages); diff != "" {
			t.Errorf("pages mismatch (-want +got):\n%s", diff)
		}
	})
}
