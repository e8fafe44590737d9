package main

// Hostile input against the real `server serve` (startStack): hostile text
// from Knack on its way to the status page, webhook floods, the per-source
// webhook rate limit, oversized bodies and headers, and slow-loris clients.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
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

	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
	"knacksync/internal/vespa"
)

const (
	hostileSQL    = `Robert'); DROP TABLE students; --`
	hostileScript = `<script>alert(1)</script>`
	escapedScript = `&lt;script&gt;alert(1)&lt;/script&gt;`
	hostileImg    = `"><img src=x onerror=alert(1)>`
)

// plantResult stores in the simulator a copy of the first object_10 record
// under a new id (n makes it unique), with the raw and formatted JSON of
// some fields replaced by the bytes given (invalid UTF-8 included: the
// simulator serves them as stored). The email must be set: a copy with the
// original's would be a duplicate student.
func plantResult(t *testing.T, s *stack, n int, raw map[string]string) string {
	t.Helper()
	base := s.sim.Records(vespa.Object10.Object)[0]
	rec := knack.Record{ID: fmt.Sprintf("%08x%016x", uint32(time.Now().Unix()), uint64(0xbad0000+n)), Fields: map[string]json.RawMessage{}}
	for k, v := range base.Fields {
		rec.Fields[k] = v
	}
	if _, ok := raw[vespa.Object10.Email.Key]; !ok {
		t.Fatalf("plantResult: set the email")
	}
	for key, js := range raw {
		rec.Fields[key+"_raw"] = json.RawMessage(js)
		rec.Fields[key] = json.RawMessage(js)
	}
	s.sim.Put(vespa.Object10.Object, rec)
	return rec.ID
}

// postEvents posts one batch of hints with the shared secret.
func postEvents(hc *http.Client, base, secret, object string, ids []string, event string) (int, http.Header, string, error) {
	type hint struct {
		Object   string `json:"object"`
		RecordID string `json:"record_id"`
		Event    string `json:"event"`
	}
	var events []hint
	for _, id := range ids {
		events = append(events, hint{object, id, event})
	}
	body, _ := json.Marshal(map[string]any{"events": events})
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/knack", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Webhook-Secret", secret)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b), err
}

// sendHints is postEvents from the test's goroutine.
func sendHints(t *testing.T, hc *http.Client, base, secret, object string, ids []string, event string) (int, http.Header, string) {
	t.Helper()
	code, h, body, err := postEvents(hc, base, secret, object, ids, event)
	if err != nil {
		t.Fatalf("POST /webhooks/knack: %v", err)
	}
	return code, h, body
}

// adminGet GETs path with the admin credentials.
func adminGet(t *testing.T, base, path, user, password string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.SetBasicAuth(user, password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// Hostile text in Knack records reaches Postgres through change hints as
// data: SQL stored as text with every table intact, markup stored verbatim,
// NUL and invalid UTF-8 bytes dropped. On the status page (GET / with the
// admin credentials) a script that came from Knack appears only escaped.
func TestHostileTextEndToEnd(t *testing.T) {
	t.Parallel()
	const user, password = "ops", "hostile-admin-pw-0123456789"
	s := startStack(t, knacksim.Options{}, map[string]string{"ADMIN_USER": user, "ADMIN_PASSWORD": password})
	s.waitFor(t, "quiet", 30*time.Second, func() bool { return s.settled(t) })
	f := vespa.Object10
	email := func(e string) string { return `{"email":` + strconv.Quote(e) + `}` }
	name := func(fullJSON string) string { return `{"first":"x","last":"y","full":` + fullJSON + `}` }
	students := []struct {
		email     string
		raw       map[string]string
		wantName  string
		wantGroup string
	}{
		{"sql.injection@hostile.example", map[string]string{f.Name.Key: name(strconv.Quote(hostileSQL)), f.Group.Key: strconv.Quote(`x' OR '1'='1`)}, hostileSQL, `x' OR '1'='1`},
		{"script.name@hostile.example", map[string]string{f.Name.Key: name(strconv.Quote(hostileScript)), f.Group.Key: strconv.Quote(hostileImg)}, hostileScript, hostileImg},
		{"nul.bytes@hostile.example", map[string]string{f.Name.Key: name(`"Ann\u0000Bell"`), f.Group.Key: `"G\u0000roup"`}, "AnnBell", "Group"},
		{"invalid.utf8@hostile.example", map[string]string{f.Name.Key: name("\"Ann\xff\xfeBell\""), f.Group.Key: "\"Gr\xc3\x28oup\""}, "AnnBell", "Gr(oup"},
	}
	var ids []string
	for i, st := range students {
		st.raw[f.Email.Key] = email(st.email)
		ids = append(ids, plantResult(t, s, i, st.raw))
	}
	// Scores that are markup: score_out_of_range data issues whose values
	// (kept verbatim) the status page shows.
	badID := plantResult(t, s, 99, map[string]string{
		f.Email.Key:        email("script.score@hostile.example"),
		f.Scores[0][0].Key: strconv.Quote(hostileScript),
		f.Scores[0][1].Key: strconv.Quote(hostileImg),
	})
	ids = append(ids, badID)
	if code, _, body := sendHints(t, http.DefaultClient, s.base, s.secret, f.Object, ids, "create"); code != http.StatusAccepted {
		t.Fatalf("hints answered %d %s", code, body)
	}
	s.waitFor(t, "the hostile records", 60*time.Second, func() bool {
		return s.settled(t) && s.count(t, `SELECT count(*) FROM knacksync.data_issues WHERE record_id = $1 AND rule = 'score_out_of_range'`, badID) == 2
	})

	for _, st := range students {
		var gotName, gotGroup string
		err := s.pool.QueryRow(context.Background(), `SELECT coalesce(name, '<NULL>'), coalesce("group", '<NULL>') FROM students WHERE email = $1`, st.email).Scan(&gotName, &gotGroup)
		if err != nil {
			t.Errorf("%s: %v\nserver log:\n%s", st.email, err, lastLines(s.srv.stderr.String(), 20))
			continue
		}
		if gotName != st.wantName || gotGroup != st.wantGroup {
			t.Errorf("%s stored as name %q group %q, want %q and %q", st.email, gotName, gotGroup, st.wantName, st.wantGroup)
		}
	}
	if n := s.count(t, `SELECT count(*) FROM students`); n < len(students)+1 {
		t.Errorf("only %d students left: the SQL text did something", n)
	}
	for _, table := range []string{"students", "establishments", "vespa_scores", "knacksync.records"} {
		if s.count(t, `SELECT count(*) FROM pg_class WHERE oid = to_regclass($1)`, table) != 1 {
			t.Errorf("table %s is gone", table)
		}
	}

	// The status page: the script only ever escaped.
	for _, path := range []string{"/", "/?rule=score_out_of_range"} {
		resp, body := adminGet(t, s.base, path, user, password)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s: %d %s\n%.300s", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		if strings.Contains(body, "<script") || strings.Contains(body, "<img") {
			i := max(strings.Index(body, "<script"), strings.Index(body, "<img"))
			t.Errorf("GET %s: markup from Knack in the page unescaped: …%s…", path, body[max(0, i-80):min(len(body), i+80)])
		}
		if !strings.Contains(body, escapedScript) {
			t.Errorf("GET %s: the issue's value %s is not on the page (escaped as %s)", path, hostileScript, escapedScript)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
			t.Errorf("GET %s: Content-Security-Policy %q allows scripts", path, csp)
		}
	}
	// The JSON: the value as it is, served as JSON that no browser sniffs.
	resp, body := adminGet(t, s.base, "/api/status?rule=score_out_of_range", user, password)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("GET /api/status: %d %q nosniff=%q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("X-Content-Type-Options"))
	}
	var status struct {
		DataIssues struct {
			Items []struct {
				RecordID string `json:"record_id"`
				Value    string `json:"value"`
			} `json:"items"`
		} `json:"data_issues"`
	}
	if err := json.Unmarshal([]byte(body), &status); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, it := range status.DataIssues.Items {
		found = found || (it.RecordID == badID && it.Value == hostileScript)
	}
	if !found {
		t.Errorf("GET /api/status: no score_out_of_range issue with value %q for %s", hostileScript, badID)
	}
}

// memSample is one reading of the process during a flood.
type memSample struct {
	heapInuse   uint64
	goroutines  int
	hints       int
	waitingJobs int // hint jobs available, scheduled or pending
	runningJobs int
}

// A flood of hints from many concurrent senders for a few seconds: the
// process's Go heap stays bounded, hints coalesce (never more waiting rows
// than distinct records; hint jobs grow with the requests in flight, not
// with the requests made), no request fails, every hint is applied once the
// flood stops, and the goroutines go back to where they were.
func TestHostileWebhookFlood(t *testing.T) {
	t.Parallel()
	// The per-source limit would turn most of a loopback flood into 429s:
	// lifted here, TestHostileWebhookRateLimit covers it. Info logs would
	// grow the captured log by a line per request.
	s := startStack(t, knacksim.Options{}, map[string]string{"WEBHOOK_RATE_LIMIT": "1000000", "LOG_LEVEL": "warn"})
	s.waitFor(t, "quiet", 30*time.Second, func() bool { return s.settled(t) })
	objects := map[string][]string{}
	distinct := 0
	for _, o := range []string{vespa.Object10.Object, vespa.Object29.Object} {
		for _, r := range s.sim.Records(o) {
			objects[o] = append(objects[o], r.ID)
		}
		distinct += len(objects[o])
	}
	const senders, duration = 32, 4 * time.Second
	knackBefore := knackRequests(s.sim)
	jobsBefore := s.count(t, `SELECT count(*) FROM knacksync.river_job WHERE kind = 'knack_hints'`)

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	baseGoroutines := runtime.NumGoroutine()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var peak memSample
	samplerDone := make(chan struct{})
	go func() {
		defer close(samplerDone)
		for ctx.Err() == nil {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			smp := memSample{heapInuse: ms.HeapInuse, goroutines: runtime.NumGoroutine()}
			_ = s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM knacksync.hints),
				(SELECT count(*) FROM knacksync.river_job WHERE kind = 'knack_hints' AND state IN ('available','scheduled','retryable','pending')),
				(SELECT count(*) FROM knacksync.river_job WHERE kind = 'knack_hints' AND state = 'running')`).Scan(&smp.hints, &smp.waitingJobs, &smp.runningJobs)
			peak.heapInuse = max(peak.heapInuse, smp.heapInuse)
			peak.goroutines = max(peak.goroutines, smp.goroutines)
			peak.hints = max(peak.hints, smp.hints)
			peak.waitingJobs = max(peak.waitingJobs, smp.waitingJobs)
			peak.runningJobs = max(peak.runningJobs, smp.runningJobs)
			time.Sleep(50 * time.Millisecond)
		}
	}()

	tr := &http.Transport{MaxIdleConnsPerHost: senders}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var accepted, hintsSent, limited, failed atomic.Int64
	var firstFailure atomic.Value
	end := time.Now().Add(duration)
	var wg sync.WaitGroup
	for w := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			keys := []string{vespa.Object10.Object, vespa.Object29.Object}
			for time.Now().Before(end) {
				object := keys[rng.IntN(len(keys))]
				ids := objects[object]
				batch := make([]string, 1+rng.IntN(40))
				for i := range batch {
					batch[i] = ids[rng.IntN(len(ids))]
				}
				code, _, body, err := postEvents(hc, s.base, s.secret, object, batch, "update")
				if err != nil {
					code, body = 0, err.Error()
				}
				switch code {
				case http.StatusAccepted:
					accepted.Add(1)
					hintsSent.Add(int64(len(batch)))
				case http.StatusTooManyRequests:
					limited.Add(1)
				default:
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, fmt.Sprintf("%d %s", code, body))
				}
			}
		}()
	}
	wg.Wait()
	floodEnd := time.Now()
	s.waitFor(t, "the flood's hints to be applied", 90*time.Second, func() bool { return s.settled(t) })
	settledAfter := time.Since(floodEnd)
	cancel()
	<-samplerDone
	tr.CloseIdleConnections()

	if accepted.Load() == 0 {
		t.Fatal("no request accepted: the test proves nothing")
	}
	if n := failed.Load(); n > 0 {
		t.Errorf("%d requests failed during the flood, the first: %v", n, firstFailure.Load())
	}
	if n := limited.Load(); n > 0 {
		t.Errorf("%d requests answered 429 with WEBHOOK_RATE_LIMIT=1000000", n)
	}
	if peak.hints > distinct {
		t.Errorf("up to %d hint rows waited for %d distinct records: hints do not coalesce", peak.hints, distinct)
	}
	// A request adds a hints job only when its object has none waiting
	// (Hints.Accept): the jobs grow with the requests in flight, not with
	// the requests made.
	if peak.waitingJobs+peak.runningJobs > senders {
		t.Errorf("up to %d hint jobs waiting and %d running for %d objects, with %d senders", peak.waitingJobs, peak.runningJobs, len(objects), senders)
	}
	// The process holds the simulator, the senders and the server: the
	// bound is on what the flood adds.
	const heapBound = 96 << 20
	if grew := int64(peak.heapInuse) - int64(base.HeapInuse); grew > heapBound {
		t.Errorf("Go heap in use grew by %d MB during the flood (bound %d MB)", grew>>20, heapBound>>20)
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > baseGoroutines+20 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > baseGoroutines+20 {
		t.Errorf("%d goroutines 10 s after the flood, %d before it", g, baseGoroutines)
	}
	jobs := s.count(t, `SELECT count(*) FROM knacksync.river_job WHERE kind = 'knack_hints'`) - jobsBefore
	if most := int(accepted.Load())/10 + 2*len(objects); jobs > most {
		t.Errorf("%d hint jobs for %d accepted requests: want at most %d (hints coalesce into waiting jobs)", jobs, accepted.Load(), most)
	}
	requests := knackRequests(s.sim) - knackBefore
	t.Logf("flood: %d senders for %s: %d requests accepted (%.0f/s) carrying %d hints on %d distinct records; "+
		"peak: %d hint rows, %d hint jobs waiting, %d running, heap in use %d MB (+%d MB), %d goroutines (%d before); "+
		"%d hint jobs and %d Knack requests in all; settled %s after the flood; RSS %s",
		senders, duration, accepted.Load(), float64(accepted.Load())/duration.Seconds(), hintsSent.Load(), distinct,
		peak.hints, peak.waitingJobs, peak.runningJobs, peak.heapInuse>>20, (int64(peak.heapInuse)-int64(base.HeapInuse))>>20, peak.goroutines, baseGoroutines,
		jobs, requests, settledAfter.Round(100*time.Millisecond), procStatus("VmRSS", "VmHWM"))
}

// procStatus returns fields of /proc/self/status ("VmRSS 123 MB, ...").
func procStatus(keys ...string) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		for _, k := range keys {
			if v, ok := strings.CutPrefix(line, k+":"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				out = append(out, fmt.Sprintf("%s %d MB", k, kb>>10))
			}
		}
	}
	return strings.Join(out, ", ")
}

// clientFrom is an HTTP client whose connections come from the loopback
// address ip (127.0.0.0/8 is all local on Linux): another webhook source.
func clientFrom(t *testing.T, ip string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// check429 checks one 429 against the contract: a JSON error and a
// Retry-After in seconds (or an HTTP date) in the future. It returns the
// wait it asks for.
func check429(t *testing.T, h http.Header, body string) time.Duration {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if !strings.HasPrefix(h.Get("Content-Type"), "application/json") || json.Unmarshal([]byte(body), &e) != nil || e.Error == "" {
		t.Errorf("429 without a JSON error: %q %q", h.Get("Content-Type"), body)
	}
	ra := h.Get("Retry-After")
	if secs, err := strconv.Atoi(ra); err == nil && secs >= 1 {
		return time.Duration(secs) * time.Second
	}
	if at, err := http.ParseTime(ra); err == nil && time.Until(at) > -time.Second {
		return max(time.Until(at), 0)
	}
	t.Errorf("429 with Retry-After %q: want a number of seconds (>= 1) or an HTTP date", ra)
	return time.Second
}

// The per-source limit on POST /webhooks/knack (WEBHOOK_RATE_LIMIT requests
// per second per remote IP, burst twice that): past it the service answers
// 429 with a JSON error and Retry-After; another source is not affected;
// headers a client makes up (X-Forwarded-For, X-Real-IP, Forwarded) do not
// make it another source; after Retry-After the source is served again.
func TestHostileWebhookRateLimit(t *testing.T) {
	t.Parallel()
	const rate = 5
	s := startStack(t, knacksim.Options{}, map[string]string{"WEBHOOK_RATE_LIMIT": strconv.Itoa(rate)})
	ids := []string{s.sim.Records(vespa.Object10.Object)[0].ID}
	a := clientFrom(t, "127.0.0.1")

	start := time.Now()
	ok, limited := 0, 0
	var retry time.Duration
	for range 40 {
		code, h, body := sendHints(t, a, s.base, s.secret, vespa.Object10.Object, ids, "update")
		switch code {
		case http.StatusAccepted:
			ok++
		case http.StatusTooManyRequests:
			limited++
			retry = check429(t, h, body)
		default:
			t.Fatalf("hint answered %d %s", code, body)
		}
	}
	elapsed := time.Since(start)
	if limited == 0 {
		t.Fatalf("40 hints in %s from one source with WEBHOOK_RATE_LIMIT=%d: no 429 (is the per-source limit implemented?)", elapsed.Round(time.Millisecond), rate)
	}
	if most := 2*rate + int(elapsed.Seconds()*rate) + 1; ok > most || ok < 2*rate {
		t.Errorf("%d of 40 accepted in %s: want the burst of %d plus %d per second (at most %d)", ok, elapsed, 2*rate, rate, most)
	}

	// Another source has its own budget.
	if code, _, body := sendHints(t, clientFrom(t, "127.0.0.2"), s.base, s.secret, vespa.Object10.Object, ids, "update"); code != http.StatusAccepted {
		t.Errorf("another source answered %d %s while the first was limited", code, body)
	}
	// Made-up forwarding headers do not escape the limit.
	spoofed := 0
	for i := range 10 {
		ip := fmt.Sprintf("10.9.8.%d", i+1)
		req, _ := http.NewRequest(http.MethodPost, s.base+"/webhooks/knack",
			strings.NewReader(fmt.Sprintf(`{"object":%q,"record_id":%q,"event":"update"}`, vespa.Object10.Object, ids[0])))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Webhook-Secret", s.secret)
		req.Header.Set("X-Forwarded-For", ip)
		req.Header.Set("X-Real-IP", ip)
		req.Header.Set("Forwarded", "for="+ip)
		resp, err := a.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusAccepted {
			spoofed++
		}
	}
	if spoofed > 3 {
		t.Errorf("%d of 10 hints with made-up X-Forwarded-For/X-Real-IP/Forwarded accepted while their source is limited: the limit trusts client headers", spoofed)
	}

	// After Retry-After (the bucket refills) the source is served again.
	time.Sleep(retry + 200*time.Millisecond)
	if code, _, body := sendHints(t, a, s.base, s.secret, vespa.Object10.Object, ids, "update"); code != http.StatusAccepted {
		t.Errorf("after Retry-After %s the source still gets %d %s", retry, code, body)
	}
	t.Logf("rate limit %d/s: %d of 40 accepted in %s, %d answered 429 (Retry-After %s)", rate, ok, elapsed.Round(time.Millisecond), limited, retry)
}

// rawRequest opens a TCP connection to the server.
func rawConn(t *testing.T, base string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Oversized requests are refused quickly, before the server reads them:
// a body declared or streamed past the webhook's limit (413) and headers
// past net/http's 1 MB (431). Slow-loris clients, which send their headers
// a byte a second, are cut off by ReadHeaderTimeout (5 s), and while fifty
// of them hang on the service still answers.
func TestHostileOversizedAndSlowRequests(t *testing.T) {
	t.Parallel()
	s := startStack(t, knacksim.Options{}, nil)

	t.Run("declared 10 MB body", func(t *testing.T) {
		c := rawConn(t, s.base)
		start := time.Now()
		fmt.Fprintf(c, "POST /webhooks/knack HTTP/1.1\r\nHost: knacksync\r\nContent-Type: application/json\r\nX-Webhook-Secret: %s\r\nContent-Length: %d\r\n\r\n", s.secret, 10<<20)
		_, _ = c.Write(bytes.Repeat([]byte(" "), 64<<10))
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("no answer to a 10 MB body: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || time.Since(start) > 2*time.Second {
			t.Errorf("a declared 10 MB body: %d after %s, want 413 at once", resp.StatusCode, time.Since(start))
		}
	})

	t.Run("streamed 2 MB chunked body", func(t *testing.T) {
		pr, pw := io.Pipe()
		go func() {
			chunk := bytes.Repeat([]byte(" "), 32<<10)
			for range 64 {
				if _, err := pw.Write(chunk); err != nil {
					return
				}
			}
			pw.Close()
		}()
		req, _ := http.NewRequest(http.MethodPost, s.base+"/webhooks/knack", pr)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Webhook-Secret", s.secret)
		start := time.Now()
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		pr.CloseWithError(errors.New("done"))
		if err != nil {
			t.Fatalf("streamed body: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || time.Since(start) > 3*time.Second {
			t.Errorf("a streamed 2 MB body: %d after %s, want 413 quickly", resp.StatusCode, time.Since(start))
		}
	})

	t.Run("2 MB of headers", func(t *testing.T) {
		c := rawConn(t, s.base)
		go func() {
			fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: knacksync\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 2<<20))
		}()
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("no answer to 2 MB of headers: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("2 MB of headers: %d, want 431", resp.StatusCode)
		}
	})

	t.Run("slow loris", func(t *testing.T) {
		const conns = 50
		type result struct {
			after time.Duration
			err   error
		}
		results := make(chan result, conns)
		start := time.Now()
		for range conns {
			c := rawConn(t, s.base)
			go func() {
				// Headers a byte a second, never finished.
				head := "POST /webhooks/knack HTTP/1.1\r\nHost: knacksync\r\nX-Slow: " + strings.Repeat("a", 60)
				for i := 0; i < len(head); i++ {
					if _, err := c.Write([]byte{head[i]}); err != nil {
						return
					}
					time.Sleep(time.Second)
				}
			}()
			go func() {
				_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
				_, err := io.Copy(io.Discard, c) // until the server closes
				results <- result{time.Since(start), err}
			}()
		}
		// Meanwhile the service answers others.
		for time.Since(start) < 4*time.Second {
			t0 := time.Now()
			if code, _ := get(t, s.base+"/healthz"); code != http.StatusOK || time.Since(t0) > time.Second {
				t.Errorf("/healthz during the slow-loris: %d after %s", code, time.Since(t0))
			}
			time.Sleep(250 * time.Millisecond)
		}
		var last time.Duration
		for range conns {
			r := <-results
			var ne net.Error
			if errors.As(r.err, &ne) && ne.Timeout() {
				t.Fatalf("a slow-loris connection was still open after %s", r.after.Round(time.Millisecond))
			}
			if r.after < 4*time.Second {
				t.Errorf("a slow-loris connection was closed after %s, before ReadHeaderTimeout", r.after)
			}
			last = max(last, r.after)
		}
		if last > 7*time.Second {
			t.Errorf("the last of %d slow-loris connections was closed after %s, want within 7 s (ReadHeaderTimeout 5 s)", conns, last)
		}
		t.Logf("%d slow-loris connections closed within %s", conns, last.Round(time.Millisecond))
	})
}
