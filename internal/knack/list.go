package knack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MaxRowsPerPage is Knack's page size cap.
const MaxRowsPerPage = 1000

// Format selects which of field_N (html) and field_N_raw (raw) a listing
// returns; empty sends nothing (Knack's default is both).
type Format string

// Formats.
const (
	FormatRaw  Format = "raw"
	FormatHTML Format = "html"
	FormatBoth Format = "both"
)

// Sort orders.
const (
	SortAsc  = "asc"
	SortDesc = "desc"
)

// ListOptions shape a listing.
type ListOptions struct {
	Filters     *Filter
	SortField   string // field_N; empty leaves the object's default order
	SortOrder   string // SortAsc or SortDesc; empty leaves Knack's default
	RowsPerPage int    // default and cap MaxRowsPerPage
	Format      Format
	// StartPage is the first page to fetch (default 1), so that a sweep that
	// has checkpointed "pages < N done" resumes at N.
	StartPage int
}

// Page is one page of a listing.
type Page struct {
	Number int // 1-based, the page requested
	// Records are the page's records, in Knack's order.
	Records []Record
	// TotalPages and TotalRecords are Knack's figures as of this page. They
	// are estimates (docs/knack-api.md §2): paging does not trust them.
	TotalPages   int
	TotalRecords int
	// Requested is when the page was asked for: its records are at least
	// that fresh, which orders it against other fetches of them.
	Requested time.Time
}

// List streams every record of object matching opts to fn, one page at a
// time and in page order, so that once fn returns for page N the caller may
// checkpoint "pages ≤ N done". It fetches the first page, learns the page
// count, then fetches the following pages concurrently (up to
// Config.Concurrency in flight, paced by the limiter) while holding at most
// that many pages in memory. Paging stops at an empty page, or at a short
// page at or past total_pages; empty pages are not passed to fn.
//
// If fn returns an error, List cancels the outstanding requests and returns
// that error as is. Other errors name the page that failed.
//
// Pages are offset-based: records created or deleted during a listing can
// shift between pages. Sort on a stable field where that matters.
func (c *Client) List(ctx context.Context, object string, opts ListOptions, fn func(Page) error) error {
	q, err := listQuery(opts)
	if err != nil {
		return fmt.Errorf("knack: list %s: %w", object, err)
	}
	rpp := rowsPerPage(opts.RowsPerPage)
	start := max(opts.StartPage, 1)

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()

	type result struct {
		env       envelope
		err       error
		requested time.Time
	}
	type done struct {
		page int
		result
	}
	// At most c.conc pages are scheduled and not yet delivered, so fetchers
	// never block on this channel, even after List has returned.
	results := make(chan done, c.conc)
	var (
		next      = start // next page to request
		deliver   = start // next page fn expects
		totalSeen = 0     // highest total_pages seen so far
		pending   = make(map[int]result, c.conc)
	)
	for {
		// Request pages up to the known page count, and always the page fn
		// needs next (the count may be an underestimate), within the window.
		for next <= max(totalSeen, deliver) && next-deliver < c.conc {
			page := next
			wg.Go(func() {
				requested := c.now()
				env, err := c.fetchPage(ctx, object, q, page)
				results <- done{page, result{env, err, requested}}
			})
			next++
		}

		d := <-results
		totalSeen = max(totalSeen, d.env.TotalPages)
		pending[d.page] = d.result

		// Deliver, in order, every page that is in. A failed page fails the
		// listing only when its turn comes: the pages before it still reach
		// fn (more progress to checkpoint), and a page past the real end
		// (fetched on an overestimated count) cannot fail a finished listing.
		for {
			res, ok := pending[deliver]
			if !ok {
				break
			}
			delete(pending, deliver)
			if res.err != nil {
				return fmt.Errorf("knack: list %s page %d: %w", object, deliver, res.err)
			}
			env := res.env
			n := len(env.Records)
			if n > 0 {
				if err := fn(Page{
					Number:       deliver,
					Records:      env.Records,
					TotalPages:   env.TotalPages,
					TotalRecords: env.TotalRecords,
					Requested:    res.requested,
				}); err != nil {
					return err
				}
			}
			// Knack's counts are estimates (a page can come back short in the
			// middle, the total can be off), so only an empty page, or a short
			// one where the count says the end is, ends the listing.
			if n == 0 || (deliver >= env.TotalPages && n < rpp) {
				return nil
			}
			deliver++
		}
	}
}

func (c *Client) fetchPage(ctx context.Context, object string, base url.Values, page int) (envelope, error) {
	q := make(url.Values, len(base)+1)
	for k, v := range base {
		q[k] = v
	}
	q.Set("page", strconv.Itoa(page))
	body, err := c.do(ctx, request{method: http.MethodGet, path: recordsPath(object), query: q})
	if err != nil {
		return envelope{}, err
	}
	return decodeEnvelope(body)
}

func rowsPerPage(n int) int {
	if n <= 0 || n > MaxRowsPerPage {
		return MaxRowsPerPage
	}
	return n
}

// listQuery is the query string of a listing, without the page number.
func listQuery(opts ListOptions) (url.Values, error) {
	q := url.Values{}
	q.Set("rows_per_page", strconv.Itoa(rowsPerPage(opts.RowsPerPage)))
	if opts.Filters != nil {
		b, err := json.Marshal(opts.Filters)
		if err != nil {
			return nil, fmt.Errorf("filters: %w", err)
		}
		q.Set("filters", string(b))
	}
	if opts.SortField != "" {
		q.Set("sort_field", opts.SortField)
	}
	switch opts.SortOrder {
	case "":
	case SortAsc, SortDesc:
		q.Set("sort_order", opts.SortOrder)
	default:
		return nil, fmt.Errorf("sort order %q is neither %q nor %q", opts.SortOrder, SortAsc, SortDesc)
	}
	switch opts.Format {
	case "":
	case FormatRaw, FormatHTML, FormatBoth:
		q.Set("format", string(opts.Format))
	default:
		return nil, fmt.Errorf("format %q is not raw, html or both", opts.Format)
	}
	return q, nil
}

// envelope is a listing response.
type envelope struct {
	TotalPages   int
	CurrentPage  int
	TotalRecords int
	Records      []Record
}

// decodeEnvelope reads {total_pages, current_page, total_records, records}.
// The counts may be numbers or numeric strings ("current_page":"2" has been
// recorded); records must be present.
func decodeEnvelope(b []byte) (envelope, error) {
	var raw struct {
		TotalPages   flexInt   `json:"total_pages"`
		CurrentPage  flexInt   `json:"current_page"`
		TotalRecords flexInt   `json:"total_records"`
		Records      *[]Record `json:"records"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return envelope{}, fmt.Errorf("decode page: %w", err)
	}
	if raw.Records == nil {
		return envelope{}, errors.New("decode page: no records array")
	}
	return envelope{
		TotalPages:   int(raw.TotalPages),
		CurrentPage:  int(raw.CurrentPage),
		TotalRecords: int(raw.TotalRecords),
		Records:      *raw.Records,
	}, nil
}

// flexInt decodes a JSON number or numeric string; null and "" are 0.
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*n = 0
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*n = 0
			return nil
		}
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = flexInt(i)
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
		return fmt.Errorf("not an integer: %s", b)
	}
	*n = flexInt(f)
	return nil
}
