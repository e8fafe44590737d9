package knack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Defaults for Config's zero values.
const (
	DefaultBaseURL     = "https://api.knack.com/v1"
	DefaultRateLimit   = 10 // requests per second, per app (docs/knack-api.md §6.1)
	DefaultConcurrency = 8
	DefaultTimeout     = 30 * time.Second
	// DefaultMaxResponseBytes caps one response body: a page of 1,000
	// VESPA records is a few MB.
	DefaultMaxResponseBytes = 32 << 20
	DefaultMaxRetries       = 4 // 5 attempts in all
	DefaultRetryBase        = 250 * time.Millisecond
	DefaultRetryMax         = 10 * time.Second

	// maxRateLimitWait caps a wait for X-RateLimit-Reset. Knack's windows
	// last a second; a reset further away means our clock is off.
	maxRateLimitWait = 5 * time.Second

	// RateHeadroom is the share of Config.RateLimit the in-process bucket
	// uses.
	RateHeadroom = 0.9
)

// Limiter paces requests: Wait blocks until one more request may be sent,
// or returns an error when ctx ends first. *rate.Limiter satisfies it; a
// budget shared by several instances (in Postgres) can too.
type Limiter interface {
	Wait(ctx context.Context) error
}

// Config configures a Client. Zero values take the defaults above.
type Config struct {
	BaseURL string // default DefaultBaseURL; a trailing slash is ignored
	AppID   string
	APIKey  string

	// RateLimit is the app's request limit per second (Knack's is 10). The
	// in-process token bucket paces requests at RateHeadroom (90%) of it:
	// requests leave evenly spaced but reach Knack with a few milliseconds of
	// noise, and at exactly 10/s one late and one early arrival put 11 in one
	// of Knack's one-second windows, a 429. At 90% the noise would have to
	// exceed 100 ms. Ignored when Limiter is set.
	RateLimit float64
	// Limiter replaces the in-process token bucket, e.g. with a budget
	// shared by every instance of the service.
	Limiter Limiter
	// Concurrency bounds the page requests List keeps in flight. It should
	// cover rate × latency: 10/s × 300 ms = 3, so the default of 8 leaves room
	// for slow pages.
	Concurrency int

	// HTTPClient sends the requests; its own Timeout should be unset or
	// longer than Timeout.
	HTTPClient *http.Client
	// Timeout bounds one attempt, response body included.
	Timeout time.Duration
	// MaxResponseBytes caps the body read of one response (a page of 1,000
	// records is a few MB); a larger one fails with ErrResponseTooLarge
	// and is not retried. 0 means DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// MaxRetries is how many times a failed attempt is retried (429, and
	// for GET/PUT/DELETE also 5xx and timeouts); negative means never.
	MaxRetries int
	// RetryBase and RetryMax shape the exponential backoff between retries.
	RetryBase time.Duration
	RetryMax  time.Duration

	Logger *slog.Logger
	Now    func() time.Time
	// OnResponse, when set, is called after every attempt with its HTTP
	// status (0 when there was no response: timeout, transport error,
	// cancellation) and duration, e.g. to feed metrics. It must be cheap and
	// safe for concurrent use.
	OnResponse func(status int, d time.Duration)
	// Meter, when set, hears of every attempt where it is made (a request
	// ledger, a quota budget) and may refuse one before it is sent.
	Meter Meter
}

// String describes the configuration without the API key.
func (c Config) String() string {
	return fmt.Sprintf("knack.Config{BaseURL: %q, AppID: %q, APIKey: %s, RateLimit: %g, Concurrency: %d}",
		c.BaseURL, c.AppID, redacted(c.APIKey), c.RateLimit, c.Concurrency)
}

// LogValue keeps the API key out of structured logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("base_url", c.BaseURL),
		slog.String("app_id", c.AppID),
		slog.String("api_key", redacted(c.APIKey)),
		slog.Float64("rate_limit", c.RateLimit),
		slog.Int("concurrency", c.Concurrency),
	)
}

func redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "[redacted]"
}

// Client talks to one Knack application. It is safe for concurrent use.
type Client struct {
	base       string
	appID      string
	apiKey     string
	http       *http.Client
	limiter    Limiter
	conc       int
	timeout    time.Duration
	maxBody    int64
	maxRetries int
	retryBase  time.Duration
	retryMax   time.Duration
	log        *slog.Logger
	now        func() time.Time
	onResponse func(int, time.Duration)
	meter      Meter

	stats *counters
	// pausedUntil (Unix ns) holds every request back after a per-second 429
	// until X-RateLimit-Reset: the app's budget for that second is spent,
	// whoever spent it.
	pausedUntil atomic.Int64
}

// New returns a Client for cfg.
func New(cfg Config) *Client {
	c := &Client{
		base:       strings.TrimRight(cfg.BaseURL, "/"),
		appID:      cfg.AppID,
		apiKey:     cfg.APIKey,
		http:       cfg.HTTPClient,
		limiter:    cfg.Limiter,
		conc:       cfg.Concurrency,
		timeout:    cfg.Timeout,
		maxBody:    cfg.MaxResponseBytes,
		maxRetries: cfg.MaxRetries,
		retryBase:  cfg.RetryBase,
		retryMax:   cfg.RetryMax,
		log:        cfg.Logger,
		now:        cfg.Now,
		onResponse: cfg.OnResponse,
		meter:      cfg.Meter,
		stats:      newCounters(),
	}
	if c.base == "" {
		c.base = DefaultBaseURL
	}
	if c.conc <= 0 {
		c.conc = DefaultConcurrency
	}
	if c.limiter == nil {
		r := cfg.RateLimit
		if r <= 0 {
			r = DefaultRateLimit
		}
		// Burst 1: requests go out evenly spaced, so no one-second window (a
		// sliding one or Knack's epoch second) sees more than the rate, even
		// after an idle spell.
		c.limiter = rate.NewLimiter(rate.Limit(r*RateHeadroom), 1)
	}
	if c.http == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// Keep a connection per page request in flight.
		t.MaxIdleConnsPerHost = c.conc + 2
		c.http = &http.Client{Transport: t}
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxResponseBytes
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.retryBase <= 0 {
		c.retryBase = DefaultRetryBase
	}
	if c.retryMax <= 0 {
		c.retryMax = DefaultRetryMax
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// String describes the client without its API key.
func (c *Client) String() string {
	return fmt.Sprintf("knack.Client{%s app %s}", c.base, c.appID)
}

// CloseIdleConnections closes the keep-alive connections the client holds,
// e.g. at shutdown. A request cancelled while its connection was being
// dialled leaves one behind that the server has never seen a request on.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// Stats returns a snapshot of the request counters.
func (c *Client) Stats() Stats { return c.stats.snapshot() }

// request is one API call, before retries.
type request struct {
	method string
	path   string // below the base URL, path segments already escaped
	query  url.Values
	body   []byte // JSON, or nil
	noAuth bool   // GET /applications/{id} needs no key
}

// response is what an attempt got back.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends r, pacing it through the limiter and retrying what may be
// retried, and returns the body of a 2xx response. Errors are *APIError,
// *QuotaError, ErrTimeout, transport errors or ctx's error, not yet wrapped
// with the operation.
func (c *Client) do(ctx context.Context, r request) ([]byte, error) {
	u, err := url.Parse(c.base + r.path)
	if err != nil {
		return nil, fmt.Errorf("bad URL: %w", err)
	}
	if len(r.query) > 0 {
		u.RawQuery = r.query.Encode()
	}
	// Creates are not idempotent: a create that timed out or failed with
	// 5xx may still have happened, and a retry could duplicate the record.
	// A 429 means Knack did not process the request, so it is retried for
	// every method.
	idempotent := r.method != http.MethodPost
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			c.stats.retries.Add(1)
		}
		if err := c.waitTurn(ctx); err != nil {
			return nil, err
		}
		res, err := c.attempt(ctx, r, u)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil || !idempotent || attempt >= c.maxRetries || !retryableTransport(err) {
				return nil, err
			}
			wait = backoff(c.retryBase, c.retryMax, attempt, nil)
		case res.status >= 200 && res.status < 300:
			return res.body, nil
		case res.status == http.StatusTooManyRequests:
			if quotaExhausted(res.header) {
				limit, _ := headerInt(res.header, hdrPlanLimit)
				return nil, &QuotaError{Reset: quotaReset(res.header, c.now()), Limit: limit}
			}
			if attempt >= c.maxRetries {
				return nil, newAPIError(res.status, res.header.Get("Content-Type"), res.body)
			}
			if d, ok := rateLimitWait(res.header, c.now(), maxRateLimitWait, nil); ok {
				wait = d
				c.pause(d)
			} else {
				wait = backoff(c.retryBase, c.retryMax, attempt, nil)
			}
		case res.status >= 500 && idempotent && attempt < c.maxRetries:
			wait = backoff(c.retryBase, c.retryMax, attempt, nil)
		default:
			return nil, newAPIError(res.status, res.header.Get("Content-Type"), res.body)
		}
		c.log.DebugContext(ctx, "knack: retrying request",
			slog.String("method", r.method), slog.String("path", r.path),
			slog.Int("attempt", attempt+1), slog.Int("status", res.status),
			slog.Duration("wait", wait), slog.Any("error", err))
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// retryableTransport is false for errors no retry can fix (a malformed
// request, an unsupported URL scheme).
func retryableTransport(err error) bool {
	var perm *permanentError
	return !errors.As(err, &perm)
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// waitTurn blocks until a request may be sent: past any 429 pause, then
// through the limiter.
func (c *Client) waitTurn(ctx context.Context) error {
	if until := c.pausedUntil.Load(); until != 0 {
		if d := time.Unix(0, until).Sub(c.now()); d > 0 {
			if err := sleep(ctx, d); err != nil {
				return err
			}
		}
	}
	if err := c.limiter.Wait(ctx); err != nil {
		// rate.Limiter reports a deadline it cannot meet with its own error;
		// prefer the context's when there is one.
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("rate limiter: %w", err)
	}
	return nil
}

// pause holds every request back for d, unless a longer pause is set.
func (c *Client) pause(d time.Duration) {
	until := c.now().Add(d).UnixNano()
	for {
		cur := c.pausedUntil.Load()
		if cur >= until || c.pausedUntil.CompareAndSwap(cur, until) {
			return
		}
	}
}

// attempt sends r once and reads the whole response within c.timeout.
func (c *Client) attempt(ctx context.Context, r request, u *url.URL) (response, error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(actx, r.method, u.String(), body)
	if err != nil {
		return response{}, &permanentError{err}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "knacksync")
	req.Header.Set("X-Knack-Application-Id", c.appID)
	if !r.noAuth {
		// Spelled as in Knack's documentation; header names are
		// case-insensitive, but some proxies are not.
		req.Header["X-Knack-REST-API-Key"] = []string{c.apiKey}
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	// Asked last, so that every attempt allowed is sent and heard of.
	if c.meter != nil {
		if err := c.meter.Allow(ctx, Attempt{Method: r.method, Object: objectOf(r.path), Purpose: PurposeOf(ctx), Time: c.now()}); err != nil {
			return response{}, &permanentError{err}
		}
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	var b []byte
	var tooLarge error // counted as a response, then refused for good
	if err == nil {
		b, err = readCapped(resp.Body, c.maxBody)
		if errors.Is(err, ErrResponseTooLarge) {
			b, tooLarge, err = nil, err, nil
		}
		resp.Body.Close()
	}
	elapsed := time.Since(start)
	if err != nil {
		c.sent(ctx, r, 0, nil)
		if c.onResponse != nil {
			c.onResponse(0, elapsed)
		}
		if ctx.Err() != nil {
			c.stats.canceled.Add(1)
			return response{}, ctx.Err()
		}
		c.stats.response(0)
		if errors.Is(actx.Err(), context.DeadlineExceeded) {
			return response{}, &timeoutError{after: c.timeout}
		}
		// The URL's query may hold filter values (an email, say): name the
		// path only.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return response{}, fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	c.stats.response(resp.StatusCode)
	c.stats.plan(resp.Header, c.now())
	c.sent(ctx, r, resp.StatusCode, resp.Header)
	if c.onResponse != nil {
		c.onResponse(resp.StatusCode, elapsed)
	}
	if tooLarge != nil {
		return response{}, &permanentError{fmt.Errorf("%s %s: %w", r.method, r.path, tooLarge)}
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// readCapped reads all of r, but no more than limit bytes: past it, the
// rest is left unread and the error is ErrResponseTooLarge.
func readCapped(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err == nil && int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrResponseTooLarge, limit)
	}
	return b, err
}

// sent counts one attempt made with ctx, failed or not, where it was made:
// in the context's counters (one run's requests) and the Meter.
func (c *Client) sent(ctx context.Context, r request, status int, h http.Header) {
	countAttempt(ctx)
	if c.meter != nil {
		c.meter.Sent(ctx, Attempt{Method: r.method, Object: objectOf(r.path), Purpose: PurposeOf(ctx), Status: status, Header: h, Time: c.now()})
	}
}
