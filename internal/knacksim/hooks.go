package knacksim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// hookQueue bounds the hints waiting for delivery; past it hints are lost
// (counted in HooksQueueFull), so a slow receiver never slows the API.
const hookQueue = 4096

// hint is one change hint, with the URL and secret in force when it was
// made.
type hint struct {
	url, secret string
	body        []byte
}

// hookEmitter posts change hints as a Knack Flow's HTTP action would
// (docs/knack-api.md §7): at most once, no retries, in order, from one
// worker.
type hookEmitter struct {
	log   *slog.Logger
	ctx   context.Context
	draw  func() float64
	queue chan hint
	done  chan struct{}

	mu     sync.Mutex
	url    string
	secret string
	drop   float64
	closed bool

	pending                       atomic.Int64
	sent, dropped, failed, queueF atomic.Int64
	client                        *http.Client
}

func newHookEmitter(ctx context.Context, log *slog.Logger, url, secret string, drop float64, draw func() float64) *hookEmitter {
	h := &hookEmitter{
		log: log, ctx: ctx, draw: draw,
		url: url, secret: secret, drop: drop,
		queue:  make(chan hint, hookQueue),
		done:   make(chan struct{}),
		client: &http.Client{Timeout: 10 * time.Second},
	}
	go h.run()
	return h
}

// emit queues a hint for a change made through the HTTP API. It never
// blocks.
func (h *hookEmitter) emit(object, id, event string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.url == "" || h.closed {
		return
	}
	if h.drop > 0 && h.draw() < h.drop {
		h.dropped.Add(1)
		return
	}
	body, _ := json.Marshal(struct {
		Object   string `json:"object"`
		RecordID string `json:"record_id"`
		Event    string `json:"event"`
	}{object, id, event})
	h.pending.Add(1)
	select {
	case h.queue <- hint{url: h.url, secret: h.secret, body: body}:
	default:
		h.pending.Add(-1)
		h.queueF.Add(1)
	}
}

func (h *hookEmitter) run() {
	defer close(h.done)
	for ht := range h.queue {
		h.deliver(ht)
		h.pending.Add(-1)
	}
}

func (h *hookEmitter) deliver(ht hint) {
	if h.ctx.Err() != nil {
		h.failed.Add(1)
		return
	}
	req, err := http.NewRequestWithContext(h.ctx, http.MethodPost, ht.url, bytes.NewReader(ht.body))
	if err != nil {
		h.failed.Add(1)
		h.log.Warn("knack simulator: change hint", "err", err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	if ht.secret != "" {
		req.Header.Set("X-Webhook-Secret", ht.secret)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.failed.Add(1)
		// A failed delivery is what a user of `server sim --hook-url` needs to
		// see (a wrong URL or secret); at shutdown it is expected.
		if h.ctx.Err() == nil {
			h.log.Warn("knack simulator: change hint not delivered", "url", ht.url, "err", err)
		}
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		h.failed.Add(1)
		h.log.Warn("knack simulator: change hint refused", "url", ht.url, "status", resp.StatusCode)
		return
	}
	h.sent.Add(1)
}

// close stops accepting hints and waits for the worker, which fails what is
// left fast because the simulator's context is cancelled first.
func (h *hookEmitter) close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	close(h.queue)
	h.mu.Unlock()
	<-h.done
}

func (h *hookEmitter) counts() (sent, dropped, failed, queueFull int) {
	return int(h.sent.Load()), int(h.dropped.Load()), int(h.failed.Load()), int(h.queueF.Load())
}

func (h *hookEmitter) reset() {
	h.sent.Store(0)
	h.dropped.Store(0)
	h.failed.Store(0)
	h.queueF.Store(0)
}

// SetHookDrop sets the share of change hints dropped.
func (s *Server) SetHookDrop(f float64) {
	s.hooks.mu.Lock()
	s.hooks.drop = f
	s.hooks.mu.Unlock()
}

// SetHook sets (or, with "", clears) the change-hint receiver and secret.
func (s *Server) SetHook(url, secret string) {
	s.hooks.mu.Lock()
	s.hooks.url, s.hooks.secret = url, secret
	s.hooks.mu.Unlock()
}

// FlushHooks waits until every queued change hint has been delivered (or has
// failed), or ctx ends.
func (s *Server) FlushHooks(ctx context.Context) error {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for s.hooks.pending.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}
