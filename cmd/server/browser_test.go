package main

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"knacksync/internal/knacksim"
)

// findChromium returns the headless browser's path. Without one the test
// fails under CI (.ci/run installs Debian's chromium) and skips elsewhere.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on PATH: CI must install it (apt-get install -y chromium)")
	}
	t.Skip("no chromium on PATH: install Debian's chromium (apt-get install -y chromium) to run the browser test")
	return ""
}

// The status page in a real headless Chromium: it loads with its runs,
// "Sync now" (a plain form with the CSRF token) queues a sweep, and the new
// run shows up on the page. The page's policy forbids every script and
// allows its one stylesheet by hash: the browser must report no violation.
//
// UPDATE_SCREENSHOT=1 writes the screenshot to docs/status.png (the
// README's); it always goes to the test's temporary directory.
func TestBrowserStatusPage(t *testing.T) {
	chromium := findChromium(t)
	t.Parallel()
	const user, password = "ops", "pw-0123456789"
	s := startStack(t, knacksim.Options{}, map[string]string{"ADMIN_USER": user, "ADMIN_PASSWORD": password})

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // as root in CI
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		// The screenshot is the viewport: the top of the page, for the README.
		chromedp.WindowSize(1280, 1280),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	ctx, cancel := context.WithTimeout(bctx, 3*time.Minute)
	t.Cleanup(cancel)

	// What the browser's console and log say: CSP violations land there.
	var (
		mu       sync.Mutex
		messages []string
	)
	console := chromedp.Console(ctx)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			mu.Lock()
			messages = append(messages, string(m.Type)+": "+m.Text)
			mu.Unlock()
		}
	}()

	// Basic auth on every request of the tab, the form's POST included.
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
		Headers: network.Headers{"Authorization": auth},
	}); err != nil {
		t.Fatal(err)
	}

	// runs reads the runs table: id, kind and status of each row.
	type run struct {
		id           int
		kind, status string
	}
	runs := func() []run {
		t.Helper()
		rows, err := chromedp.Run(ctx, chromedp.AttributesAll(chromedp.CSSAll("#runs tr[data-run-id]")))
		if err != nil {
			t.Fatalf("read the runs: %v", err)
		}
		var out []run
		for _, r := range rows {
			id, _ := strconv.Atoi(r["data-run-id"])
			out = append(out, run{id: id, kind: r["data-kind"], status: r["data-status"]})
		}
		return out
	}
	load := func() {
		t.Helper()
		resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(s.base+"/"))
		if err != nil {
			t.Fatalf("load the status page: %v", err)
		}
		if resp.Status != http.StatusOK {
			body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
			t.Fatalf("GET /: %d %s", resp.Status, body)
		}
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("runs"))); err != nil {
			t.Fatalf("load the status page: %v", err)
		}
	}

	load()
	if title, err := chromedp.Run(ctx, chromedp.Title()); err != nil || title != "knacksync status" {
		t.Fatalf("title = %q, %v", title, err)
	}
	before := runs()
	if len(before) == 0 || before[0].kind != "sweep" || before[0].status != "succeeded" {
		t.Fatalf("runs = %+v, want the first sweep, succeeded", before)
	}
	objects, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("#objects tr[data-object]")))
	if err != nil || len(objects) != 7 {
		t.Fatalf("%d object rows (%v), want 7", len(objects), err)
	}
	// Objects by name, the Knack id beside it, for a data manager.
	if name, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#objects tr[data-object="object_10"] td`))); err != nil || name != "Results (object_10)" {
		t.Errorf("object_10's name = %q (%v), want Results (object_10)", name, err)
	}
	// The links: River UI, the issues as CSV (fetched: every issue, with
	// a header), the favicon.
	links, err := chromedp.Run(ctx, chromedp.AttributesAll(chromedp.CSSAll(`#riverui, #issues-csv, link[rel="icon"]`)))
	if err != nil || len(links) != 3 {
		t.Fatalf("links %v (%v), want River UI, CSV and icon", links, err)
	}
	for _, l := range links {
		href := l["href"]
		if href != "/riverui/" && href != "/issues.csv" && href != "/favicon.svg" {
			t.Errorf("unexpected link %q", href)
		}
	}
	csvHeader, csvRows := fetchCSV(t, s.base+"/issues.csv", user, password)
	if !strings.HasPrefix(csvHeader, "object,object_name,record_id,duplicate_of,rule,") {
		t.Errorf("CSV header %q", csvHeader)
	}
	if want := s.count(t, "SELECT count(*) FROM knacksync.data_issues"); csvRows != want {
		t.Errorf("CSV has %d issues, the database %d", csvRows, want)
	}
	if resp, err := http.Get(s.base + "/favicon.svg"); err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("favicon: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	bars, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("#durations rect")))
	if err != nil || len(bars) != len(before) {
		t.Errorf("%d chart bars (%v), want one per run (%d)", len(bars), err, len(before))
	}
	// The stylesheet applied (allowed by its hash): the button is styled.
	if bg, err := chromedp.Run(ctx, chromedp.ComputedStyle(chromedp.CSS("#sync-now button"))); err != nil {
		t.Fatal(err)
	} else if i := slices.IndexFunc(bg, func(p *css.ComputedStyleProperty) bool { return p.Name == "background-color" }); i < 0 || bg[i].Value != "rgb(31, 95, 191)" {
		t.Errorf("the stylesheet did not apply: button background %v", bg)
	}

	// Press "Sync now": a form POST with the token, 303 back to the page.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#sync-now button")),
		chromedp.WaitVisible(chromedp.ID("flash")),
	); err != nil {
		t.Fatalf("sync now: %v", err)
	}
	flash, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("flash")))
	if err != nil || !strings.HasPrefix(flash, "Sweep queued (job ") {
		t.Fatalf("flash = %q (%v), want the sweep queued", flash, err)
	}

	// Reload until the new run is on the page, and then until it is done.
	var newRun run
	deadline := time.Now().Add(60 * time.Second)
	for {
		load()
		if now := runs(); now[0].id > before[0].id && now[0].kind == "sweep" {
			newRun = now[0]
			if newRun.status != "running" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new sweep done on the page within 60s (newest %+v)\nserver log:\n%s", newRun, lastLines(s.srv.stderr.String(), 30))
		}
		time.Sleep(300 * time.Millisecond)
	}
	if newRun.status != "succeeded" {
		t.Errorf("new run = %+v, want succeeded", newRun)
	}
	// With no run going, the page does not reload itself.
	if n, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(`meta[http-equiv="refresh"]`), chromedp.AtLeast(0))); err != nil || len(n) != 0 {
		t.Errorf("refresh meta with no run going: %d (%v)", len(n), err)
	}

	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}

	// The run's own page, from its link: per object, by name.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#runs tr[data-run-id="`+strconv.Itoa(newRun.id)+`"] a`)),
		chromedp.WaitVisible(chromedp.ID("run-objects")),
	); err != nil {
		t.Fatalf("open run %d: %v", newRun.id, err)
	}
	if title, err := chromedp.Run(ctx, chromedp.Title()); err != nil || title != "knacksync run "+strconv.Itoa(newRun.id) {
		t.Errorf("run page title = %q (%v)", title, err)
	}
	names, err := chromedp.Run(ctx, chromedp.EvaluateAsDevTools[[]string](`[...document.querySelectorAll("#run-objects tr[data-object] td:first-child")].map(td => td.textContent)`))
	if err != nil || len(names) != 7 || !slices.Contains(names, "Results (object_10)") || !slices.Contains(names, "Academic profiles (object_112)") {
		t.Errorf("run page objects = %q (%v), want the 7 by name", names, err)
	}
	if status, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("run-status"))); err != nil || status != "succeeded" {
		t.Errorf("run page status = %q (%v)", status, err)
	}
	if tables, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("#run-tables tr[data-table]"))); err != nil || len(tables) == 0 {
		t.Errorf("run page: %d table rows (%v), want the tables the sweep wrote", len(tables), err)
	}
	runPNG, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(t.TempDir(), "run.png"), runPNG, 0o644); err != nil {
		t.Fatal(err)
	}

	shot := filepath.Join(t.TempDir(), "status.png")
	if os.Getenv("UPDATE_SCREENSHOT") == "1" {
		shot = filepath.Join("..", "..", "docs", "status.png")
		if err := os.MkdirAll(filepath.Dir(shot), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))

	mu.Lock()
	defer mu.Unlock()
	for _, m := range messages {
		if strings.Contains(m, "Content Security Policy") || strings.HasPrefix(m, "exception") {
			t.Errorf("browser: %s", m)
		}
	}
}

// syncNow presses "Sync now" as a script does: GET /api/status for the
// CSRF token, then POST /api/sync with it. It returns the job id.
func syncNow(t *testing.T, base, user, password string) int64 {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/api/status", nil)
	req.SetBasicAuth(user, password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /api/status: %v", err)
	}
	var status struct {
		Token string `json:"csrf_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&status)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || status.Token == "" {
		t.Fatalf("GET /api/status: %d, %v, token %q", resp.StatusCode, err, status.Token)
	}
	req, _ = http.NewRequest(http.MethodPost, base+"/api/sync", nil)
	req.SetBasicAuth(user, password)
	req.Header.Set("X-CSRF-Token", status.Token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /api/sync: %v", err)
	}
	defer resp.Body.Close()
	var got struct {
		JobID int64 `json:"job_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api/sync: %d, %v", resp.StatusCode, err)
	}
	return got.JobID
}

// fetchCSV GETs the issues CSV with credentials: its header line and its
// number of records.
func fetchCSV(t *testing.T, url, user, password string) (header string, records int) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.SetBasicAuth(user, password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("GET %s: %d rows, %v", url, len(rows), err)
	}
	return strings.Join(rows[0], ","), len(rows) - 1
}
