package main

// No secret and no student e-mail leaves the service through its logs or
// Sentry: an end-to-end run of `server serve` with every secret set to a
// distinctive value, a Sentry stand-in, a sweep, change hints, bad
// webhooks, a server error, admin calls and every page, and then a search
// of everything captured.

import (
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"knacksync/internal/dbtest"
	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
	"knacksync/internal/knacksim/vespagen"
	"knacksync/internal/vespa"
)

// secretValue is a random value that cannot occur by chance in a log.
func secretValue(prefix string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// firstLineWriter keeps everything written and hands over the first line.
type firstLineWriter struct {
	buf   syncBuffer
	once  sync.Once
	first chan string
}

func (w *firstLineWriter) Write(p []byte) (int, error) {
	n, err := w.buf.Write(p)
	if line, _, ok := strings.Cut(w.buf.String(), "\n"); ok {
		w.once.Do(func() { w.first <- line })
	}
	return n, err
}

// startCaptured is start that keeps all of stdout too.
func startCaptured(t *testing.T, env map[string]string, args ...string) (*running, *firstLineWriter, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &firstLineWriter{first: make(chan string, 1)}
	r := &running{cancel: cancel, done: make(chan error, 1), stderr: &syncBuffer{}}
	go func() {
		r.done <- run(ctx, append([]string{"server"}, args...), mapEnv(env), strings.NewReader(""), out, r.stderr)
	}()
	t.Cleanup(cancel)
	select {
	case line := <-out.first:
		return r, out, line
	case err := <-r.done:
		t.Fatalf("%v exited before printing: %v\nstderr:\n%s", args, err, r.stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("%v printed nothing in 60s\nstderr:\n%s", args, r.stderr)
	}
	return nil, nil, ""
}

// sentryStandIn records every request body sent to it (envelopes).
type sentryStandIn struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
}

func newSentryStandIn(t *testing.T) *sentryStandIn {
	s := &sentryStandIn{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		s.mu.Lock()
		s.bodies = append(s.bodies, r.URL.Path+"\n"+string(b))
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"00000000000000000000000000000000"}`)
	}))
	t.Cleanup(s.Close)
	return s
}

// payloads returns what Sentry received, with the places the DSN's key
// must appear taken out: the "dsn" and "trace.public_key" of each
// envelope's header line, which the SDK sends to the DSN's own host by
// design.
func (s *sentryStandIn) payloads(t *testing.T) []string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, b := range s.bodies {
		path, env, _ := strings.Cut(b, "\n")
		header, rest, _ := strings.Cut(env, "\n")
		var h map[string]any
		if json.Unmarshal([]byte(header), &h) == nil {
			delete(h, "dsn")
			if tr, ok := h["trace"].(map[string]any); ok {
				delete(tr, "public_key")
			}
			hb, _ := json.Marshal(h)
			header = string(hb)
		}
		out = append(out, path+"\n"+header+"\n"+rest)
	}
	return out
}

// withRole makes a login role of its own with password on the database of
// dbURL, acting as the database's owner (knacksync_test), and returns the
// URL that logs in with it: DATABASE_URL then holds a password that is
// nobody's user name.
func withRole(t *testing.T, dbURL, password string) string {
	t.Helper()
	admin := dbtest.Admin(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	owner := u.User.Username()
	role := "knacksync_leak_" + strings.ToLower(secretValue(""))[:12]
	ctx := context.Background()
	for _, q := range []string{
		fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s' IN ROLE %s", pgx.Identifier{role}.Sanitize(), password, pgx.Identifier{owner}.Sanitize()),
		fmt.Sprintf("ALTER ROLE %s SET role = %s", pgx.Identifier{role}.Sanitize(), pgx.Identifier{owner}.Sanitize()),
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		ctx := context.Background()
		_, _ = admin.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", role)
		_, _ = admin.Exec(ctx, "DROP ROLE IF EXISTS "+pgx.Identifier{role}.Sanitize())
	})
	u.User = url.UserPassword(role, password)
	return u.String()
}

var emailLike = regexp.MustCompile(`(?i)[a-z0-9._%+'\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}`)

// datasetEmails is every address in the simulator's records (any field,
// any shape), lower-cased.
func datasetEmails(t *testing.T, sim *knacksim.Server) []string {
	t.Helper()
	seen := map[string]bool{}
	for _, o := range sim.Schema().Objects {
		for _, r := range sim.Records(o.Key) {
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			// Unescaped, so that "\u0040" and friends are found too.
			var fields map[string]any
			_ = json.Unmarshal(b, &fields)
			var walk func(v any)
			walk = func(v any) {
				switch x := v.(type) {
				case string:
					for _, m := range emailLike.FindAllString(x, -1) {
						seen[strings.ToLower(m)] = true
					}
				case map[string]any:
					for _, e := range x {
						walk(e)
					}
				case []any:
					for _, e := range x {
						walk(e)
					}
				}
			}
			walk(fields)
		}
	}
	out := make([]string, 0, len(seen))
	for e := range seen {
		out = append(out, e)
	}
	slices.Sort(out)
	return out
}

func TestNoLeaksInLogsOrSentry(t *testing.T) {
	t.Parallel()
	ds, err := vespagen.Generate(vespagen.Tiny, 7, time.Now().UTC().Truncate(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	sim := knacksim.Start(t, knacksim.Options{Dataset: ds, RatePerSecond: -1})
	sentry := newSentryStandIn(t)
	dsnKey := secretValue("dsnkey")
	dbPassword := secretValue("dbpw")
	secrets := map[string]string{
		"KNACK_API_KEY":         sim.APIKey(),
		"WEBHOOK_SECRET":        secretValue("whsec"),
		"ADMIN_PASSWORD":        secretValue("adminpw"),
		"SENTRY_DSN key":        dsnKey,
		"DATABASE_URL password": dbPassword,
	}
	const adminUser = "ops"
	dbURL := dbtest.URL(t)
	env := map[string]string{
		"DATABASE_URL":       withRole(t, dbURL, dbPassword),
		"KNACK_API_URL":      sim.URL(),
		"KNACK_APP_ID":       sim.AppID(),
		"KNACK_API_KEY":      secrets["KNACK_API_KEY"],
		"KNACK_RATE_LIMIT":   "200",
		"WEBHOOK_SECRET":     secrets["WEBHOOK_SECRET"],
		"WEBHOOK_RATE_LIMIT": "100000",
		"ADMIN_USER":         adminUser,
		"ADMIN_PASSWORD":     secrets["ADMIN_PASSWORD"],
		"SENTRY_DSN":         "http://" + dsnKey + "@" + strings.TrimPrefix(sentry.URL, "http://") + "/4242",
		"LOG_LEVEL":          "debug",
	}
	srv, stdout, line := startCaptured(t, env, "serve", "--addr", "127.0.0.1:0")
	base := strings.TrimPrefix(line, "knacksync serving on ")
	t.Cleanup(func() {
		if t.Failed() {
			var keep []string
			for _, l := range strings.Split(srv.stderr.String(), "\n") {
				if !strings.Contains(l, "level=DEBUG") {
					keep = append(keep, l)
				}
			}
			t.Logf("server log, debug lines left out:\n%s", strings.Join(keep, "\n"))
		}
	})
	sim.SetHook(base+"/webhooks/knack", env["WEBHOOK_SECRET"])
	s := &stack{base: base, sim: sim, pool: dbtest.Connect(t, dbURL), secret: env["WEBHOOK_SECRET"], srv: srv}
	s.waitFor(t, "the first sweep", 60*time.Second, func() bool {
		return s.count(t, "SELECT count(*) FROM knacksync.runs WHERE kind = 'sweep' AND status = 'succeeded'") > 0
	})
	ctx := context.Background()
	f := vespa.Object10
	students := sim.Records(f.Object)
	studentEmail, err := knack.DecodeEmail(students[0], f.Email.Key)
	if err != nil {
		t.Fatal(err)
	}
	var responses []string // bodies the service answered, for secrets

	// A change in Knack, through the simulator's hint.
	kn := knack.New(knack.Config{BaseURL: sim.URL(), AppID: sim.AppID(), APIKey: sim.APIKey(), RateLimit: 200})
	t.Cleanup(kn.CloseIdleConnections)
	changed := currentResults(t, s.pool)[0] // current year: history does not change
	if _, err := kn.Update(ctx, f.Object, changed, map[string]any{f.Group.Key: "leak test group"}); err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, "the change", 40*time.Second, func() bool {
		return s.count(t, `SELECT count(*) FROM students WHERE knack_id = $1 AND "group" = 'leak test group'`, changed) > 0
	})

	// Bad webhooks: a student's address where an id belongs, the secret in
	// the query string and in a wrong signature, a wrong secret.
	post := func(path, body string, header map[string]string) int {
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		responses = append(responses, string(b))
		return resp.StatusCode
	}
	good := map[string]string{"X-Webhook-Secret": s.secret}
	for _, c := range []struct {
		path, body string
		header     map[string]string
		want       int
	}{
		{"/webhooks/knack", fmt.Sprintf(`{"object":"object_10","record_id":%q,"event":"update"}`, studentEmail), good, http.StatusBadRequest},
		{"/webhooks/knack", fmt.Sprintf(`{"object":%q,"record_id":%q,"event":"update"}`, studentEmail, students[0].ID), good, http.StatusBadRequest},
		{"/webhooks/knack?secret=" + url.QueryEscape(s.secret) + "&email=" + url.QueryEscape(studentEmail), `{"object":"object_10"`, nil, http.StatusUnauthorized},
		{"/webhooks/knack", `{}`, map[string]string{"X-Webhook-Signature": "t=1,v1=" + hex.EncodeToString([]byte(s.secret))}, http.StatusUnauthorized},
		{"/webhooks/knack", `{}`, map[string]string{"X-Webhook-Secret": secrets["ADMIN_PASSWORD"]}, http.StatusUnauthorized},
	} {
		if code := post(c.path, c.body, c.header); code != c.want {
			t.Errorf("POST %s %s: %d, want %d", c.path, c.body, code, c.want)
		}
	}

	// A server error (Sentry gets it): the hints table is away for a moment.
	if _, err := s.pool.Exec(ctx, `ALTER TABLE knacksync.hints RENAME TO hints_away`); err != nil {
		t.Fatal(err)
	}
	if code := post("/webhooks/knack", fmt.Sprintf(`{"object":"object_10","record_id":%q,"event":"update"}`, students[2].ID), good); code != http.StatusInternalServerError {
		t.Errorf("hint with the hints table away: %d, want 500", code)
	}
	if _, err := s.pool.Exec(ctx, `ALTER TABLE knacksync.hints_away RENAME TO hints`); err != nil {
		t.Fatal(err)
	}

	// Admin calls: a wrong password, every page, and "sync now" (a sweep
	// with its Sentry check-ins).
	getAs := func(path, password string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.SetBasicAuth(adminUser, password)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		responses = append(responses, string(b))
		return resp.StatusCode, string(b)
	}
	if code, _ := getAs("/", "wrong-"+secrets["ADMIN_PASSWORD"]); code != http.StatusUnauthorized {
		t.Errorf("GET / with a wrong password: %d", code)
	}
	pages := map[string]string{}
	for _, path := range []string{"/", "/api/status", "/metrics", "/?rule=bad_email", "/healthz", "/readyz"} {
		code, body := getAs(path, secrets["ADMIN_PASSWORD"])
		if code != http.StatusOK {
			t.Errorf("GET %s: %d", path, code)
		}
		pages[path] = body
	}
	job := syncNow(t, base, adminUser, secrets["ADMIN_PASSWORD"])
	s.waitFor(t, "the admin's sweep", 60*time.Second, func() bool {
		return s.count(t, "SELECT count(*) FROM knacksync.river_job WHERE id = $1 AND finalized_at IS NOT NULL", job) > 0
	})
	var state string
	if err := s.pool.QueryRow(ctx, "SELECT state FROM knacksync.river_job WHERE id = $1", job).Scan(&state); err != nil || state != "completed" {
		t.Errorf("the admin's sweep job %d ended %s (%v)", job, state, err)
	}
	s.waitFor(t, "quiet", 30*time.Second, func() bool { return s.settled(t) })

	// Stopping flushes Sentry.
	if err := srv.stop(t); err != nil {
		t.Errorf("serve: %v", err)
	}
	sentryPayloads := sentry.payloads(t)
	if len(sentryPayloads) == 0 {
		t.Error("Sentry received nothing: the test proves nothing about it")
	}
	var sentryHasError bool
	for _, p := range sentryPayloads {
		sentryHasError = sentryHasError || strings.Contains(p, "hints")
	}
	if !sentryHasError {
		t.Errorf("Sentry never heard of the server error")
	}

	haystacks := map[string]string{
		"stderr (logs)": srv.stderr.String(),
		"stdout":        stdout.buf.String(),
		"Sentry":        strings.Join(sentryPayloads, "\n\n"),
		"responses":     strings.Join(responses, "\n\n"),
	}
	for path, body := range pages {
		haystacks["GET "+path] = body
	}
	if !strings.Contains(haystacks["stderr (logs)"], "http request") {
		t.Fatalf("the log holds no request line: captured the wrong stream?\n%s", lastLines(haystacks["stderr (logs)"], 20))
	}

	// Secrets, in the forms they could leak in.
	for name, v := range secrets {
		forms := map[string]string{
			"as is":       v,
			"URL-escaped": url.QueryEscape(v),
			"base64":      base64.StdEncoding.EncodeToString([]byte(v)),
		}
		if name == "ADMIN_PASSWORD" {
			forms["basic auth"] = base64.StdEncoding.EncodeToString([]byte(adminUser + ":" + v))
		}
		for where, text := range haystacks {
			for form, needle := range forms {
				if i := strings.Index(text, needle); i >= 0 {
					t.Errorf("%s (%s) appears in %s: …%s…", name, form, where, excerpt(text, i, len(needle)))
				}
			}
		}
	}

	// Student e-mail addresses: none in logs, Sentry or stdout; the status
	// page and its JSON show them masked only. (A 400 may quote back what
	// its sender sent: the responses are searched for secrets only.)
	delete(haystacks, "responses")
	emails := datasetEmails(t, sim)
	if len(emails) < 10 || !slices.Contains(emails, studentEmail) {
		t.Fatalf("found %d addresses in the dataset (%s missing?)", len(emails), studentEmail)
	}
	for where, text := range haystacks {
		lower := strings.ToLower(text)
		for _, e := range emails {
			for form, needle := range map[string]string{"as is": e, "URL-escaped": strings.ToLower(url.QueryEscape(e))} {
				if i := strings.Index(lower, needle); i >= 0 {
					t.Errorf("student address %s (%s) appears in %s: …%s…", e, form, where, excerpt(text, i, len(needle)))
				}
			}
		}
	}
	if testing.Verbose() {
		t.Logf("log:\n%s\nSentry:\n%s", haystacks["stderr (logs)"], haystacks["Sentry"])
	}
	t.Logf("searched %d log bytes, %d stdout bytes, %d Sentry payloads (%d bytes), %d responses and %d pages for %d secrets and %d addresses",
		len(haystacks["stderr (logs)"]), len(haystacks["stdout"]), len(sentryPayloads), len(haystacks["Sentry"]), len(responses), len(pages), len(secrets), len(emails))
}

func excerpt(text string, i, n int) string {
	from, to := max(0, i-120), min(len(text), i+n+60)
	return strings.ReplaceAll(text[from:to], "\n", "⏎")
}
