package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// serveLoopback serves handler on a loopback port with the timeouts of
// `server serve` (cmd/server/serve.go) and returns its base URL.
func serveLoopback(t *testing.T, handler http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		srv.Close()
	})
	return "http://" + ln.Addr().String()
}

// vmRSS reads the process's resident set size and its peak from /proc.
func vmRSS() (rss, hwm int64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1, -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		for key, dst := range map[string]*int64{"VmRSS:": &rss, "VmHWM:": &hwm} {
			if v, ok := strings.CutPrefix(line, key); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				*dst = kb << 10
			}
		}
	}
	return rss, hwm
}

// sendHint posts one hint with the secret and returns the status.
func sendHint(hc *http.Client, base string, i int) (int, error) {
	body := fmt.Sprintf(`{"object":"object_10","record_id":%q,"event":"update"}`, recordID(i))
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/knack", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(headerWebhookSecret, testSecret)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// Memory before authentication: 1,500 unauthenticated senders each send a
// 256 KiB body slowly (all but its last KiB at once, the rest 3 s later),
// 1,000 with no credentials and 500 with a fresh-looking but false
// signature. The server must not hold their bodies: the Go heap in use
// (measured in this process, which also runs the senders) grows by less
// than floodHeapBound, and an authenticated sender gets its 20 hints
// through meanwhile. On a main that read bodies before authenticating,
// the heap grew by about 1,500 × 256 KiB.
func TestWebhookBodyFlood(t *testing.T) {
	// Not parallel: the heap is measured for the whole process.
	const (
		senders         = 1500
		signed          = 500
		bodySize        = maxWebhookBody
		held            = 1 << 10
		holdFor         = 3 * time.Second
		floodHeapBound  = 100 << 20
		authenticated   = 20
		authenticatedAt = time.Second // into the flood
	)
	// The per-source rate limit lifted: a flood from many addresses meets
	// none (TestWebhookFloodCannotStarveAuthenticated covers the limit).
	b := setup(t, func(d *Deps) { d.WebhookRate = 1e6 })
	base := serveLoopback(t, b.handler)
	addr := strings.TrimPrefix(base, "http://")
	body := bytes.Repeat([]byte(" "), bodySize)
	// A fresh timestamp with a signature of nothing: only the body can
	// tell it false.
	fakeSig := fmt.Sprintf("t=%d,v1=%s", testNow.Unix(), strings.Repeat("00", 32))

	runtime.GC()
	var base0 runtime.MemStats
	runtime.ReadMemStats(&base0)
	baseGoroutines := runtime.NumGoroutine()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var peakHeap uint64
	var peakGoroutines int
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for ctx.Err() == nil {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peakHeap = max(peakHeap, ms.HeapInuse)
			peakGoroutines = max(peakGoroutines, runtime.NumGoroutine())
			time.Sleep(20 * time.Millisecond)
		}
	}()

	start := time.Now()
	var dialed, answered, refused atomic.Int64
	statuses := sync.Map{}
	var wg sync.WaitGroup
	for i := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				return
			}
			defer c.Close()
			dialed.Add(1)
			_ = c.SetDeadline(time.Now().Add(15 * time.Second))
			auth := ""
			if i < signed {
				auth = headerWebhookSignature + ": " + fakeSig + "\r\n"
			}
			fmt.Fprintf(c, "POST /webhooks/knack HTTP/1.1\r\nHost: knacksync\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n", auth, bodySize)
			// Read the answer while still sending, as a careful client does.
			got := make(chan int, 1)
			go func() {
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					got <- 0
					return
				}
				resp.Body.Close()
				got <- resp.StatusCode
			}()
			if _, err := c.Write(body[:bodySize-held]); err == nil {
				select {
				case <-time.After(holdFor):
					_, _ = c.Write(body[bodySize-held:])
				case code := <-got:
					got <- code
				}
			}
			code := <-got
			if code != 0 {
				answered.Add(1)
				n, _ := statuses.LoadOrStore(code, new(atomic.Int64))
				n.(*atomic.Int64).Add(1)
			} else {
				refused.Add(1)
			}
		}()
	}

	// The authenticated sender, from the same address, during the flood.
	time.Sleep(authenticatedAt)
	hc := &http.Client{Timeout: 10 * time.Second}
	okHints := 0
	var firstErr error
	for i := range authenticated {
		code, err := sendHint(hc, base, i)
		if code == http.StatusAccepted {
			okHints++
		} else if firstErr == nil {
			firstErr = fmt.Errorf("hint %d: %d %v", i, code, err)
		}
	}
	wg.Wait()
	took := time.Since(start)
	cancel()
	<-sampled

	grew := int64(peakHeap) - int64(base0.HeapInuse)
	rss, hwm := vmRSS()
	var codes []string
	statuses.Range(func(k, v any) bool {
		codes = append(codes, fmt.Sprintf("%d×%d", v.(*atomic.Int64).Load(), k))
		return true
	})
	t.Logf("%d senders × %d KiB (%d dialled, %d answered %v, %d without answer) in %s: Go heap in use +%d MB (peak %d MB), %d goroutines at peak (%d before); process RSS %d MB, peak %d MB; authenticated %d of %d",
		senders, bodySize>>10, dialed.Load(), answered.Load(), codes, refused.Load(), took.Round(100*time.Millisecond),
		grew>>20, peakHeap>>20, peakGoroutines, baseGoroutines, rss>>20, hwm>>20, okHints, authenticated)
	if dialed.Load() < senders*9/10 {
		t.Fatalf("only %d of %d senders connected: the test proves nothing", dialed.Load(), senders)
	}
	if grew > floodHeapBound {
		t.Errorf("the Go heap in use grew by %d MB under the flood, bound %d MB: unauthenticated bodies are held", grew>>20, floodHeapBound>>20)
	}
	if okHints != authenticated {
		t.Errorf("the authenticated sender got %d of %d hints through during the flood; first failure: %v", okHints, authenticated, firstErr)
	}
}

// Rate limits before and after authentication: 8 senders flood from the
// sender's own address with requests that cannot pass (no credentials, a
// wrong secret, a false signature); the authenticated sender still gets
// every one of its 20 hints through, since it draws from its own limit.
func TestWebhookFloodCannotStarveAuthenticated(t *testing.T) {
	t.Parallel()
	const rate = 20 // per second, burst 40: the sender's 20 fit
	b := setup(t, func(d *Deps) { d.WebhookRate = rate })
	base := serveLoopback(t, b.handler)
	valid := []byte(`{"object":"object_10","record_id":"5f3a9c1e2b4d6f8a0c1e3b5d","event":"update"}`)
	noise := []func(*http.Request){
		func(*http.Request) {},
		func(r *http.Request) { r.Header.Set(headerWebhookSecret, "not-the-secret") },
		func(r *http.Request) { r.Header.Set(headerWebhookSignature, sign(testNow, valid, "not-the-secret")) },
	}

	ctx, cancel := context.WithCancel(context.Background())
	var floods atomic.Int64
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := &http.Client{Timeout: 5 * time.Second}
			for i := 0; ctx.Err() == nil; i++ {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/webhooks/knack", bytes.NewReader(valid))
				req.Header.Set("Content-Type", "application/json")
				noise[(w+i)%len(noise)](req)
				if resp, err := hc.Do(req); err == nil {
					resp.Body.Close()
					floods.Add(1)
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond) // the flood is on

	hc := &http.Client{Timeout: 10 * time.Second}
	ok := 0
	var fails []string
	for i := range 20 {
		code, err := sendHint(hc, base, i)
		if code == http.StatusAccepted {
			ok++
		} else {
			fails = append(fails, fmt.Sprintf("%d %v", code, err))
		}
		time.Sleep(25 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	t.Logf("authenticated sender: %d of 20 accepted while 8 flooders sent %d requests", ok, floods.Load())
	if ok != 20 {
		t.Errorf("authenticated sender: %d of 20 accepted under the flood, want 20; failures %v", ok, fails)
	}
	if floods.Load() < 100 {
		t.Errorf("the flooders sent only %d requests: the test proves nothing", floods.Load())
	}
}

// A request with no valid credential in its headers is answered 401
// without a byte of its body read.
func TestWebhookUnauthenticatedBodyUnread(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tt := range []struct {
		name    string
		headers []string
	}{
		{"no credentials", nil},
		{"wrong secret", []string{headerWebhookSecret, "not-the-secret"}},
		{"stale signature", []string{headerWebhookSignature, fmt.Sprintf("t=%d,v1=%s", testNow.Add(-time.Hour).Unix(), strings.Repeat("00", 32))}},
		{"malformed signature", []string{headerWebhookSignature, "v1=zz"}},
	} {
		body := &countingReader{}
		req := webhookRequest(nil, tt.headers...)
		req.Body, req.ContentLength = io.NopCloser(body), -1
		rec := b.serve(req)
		if rec.Code != http.StatusUnauthorized || body.n != 0 {
			t.Errorf("%s: %d after reading %d bytes of the body, want 401 and none read", tt.name, rec.Code, body.n)
		}
		if rec.Header().Get("Connection") != "close" {
			t.Errorf("%s: Connection %q, want close (the rest of the body is not drained)", tt.name, rec.Header().Get("Connection"))
		}
	}
}
