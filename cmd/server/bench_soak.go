package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/dbmigrate"
	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
	"knacksync/internal/knacksim/vespagen"
	"knacksync/internal/store"
	"knacksync/internal/syncer"
	"knacksync/internal/vespa"
)

// benchSoak runs the service in this process against a simulator for a
// long time under a steady load: changes made in Knack (each announced by
// the simulator's change hint) and hints sent directly, as Flows and the
// app's JavaScript would. Every interval (a minute) it prints what happened
// in it: changes, hints, hint throughput, the change → row latency (a
// student's group changed in Knack until Postgres has it) and the process's
// memory, which must stay flat. Not for CI: it runs for minutes.
func benchSoak(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("bench soak", e)
	minutes := fs.Int("minutes", 10, "how long to run")
	scaleName := fs.String("scale", string(vespagen.Small), "generated data size: tiny, small, vespa or vespa2x")
	changesPerSec := fs.Float64("changes", 2, "changes per second made in Knack (each sends a hint through the simulator's hook)")
	hintsPerSec := fs.Float64("hints", 20, "hints per second sent directly (records chosen at random)")
	rate := fs.Int("rate", 10, "the service's Knack requests per second")
	latency := fs.Duration("latency", 100*time.Millisecond, "simulated Knack latency per request")
	maxConns := fs.Int("max-conns", 0, "the service's database pool size (0: pgxpool's default, max(4, CPUs), as `serve` has)")
	// Hidden: for a test that runs the soak for seconds.
	seconds := fs.Int("seconds", 0, "")
	interval := fs.Duration("interval", time.Minute, "")
	hideFlags(fs, "seconds", "interval")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	total := time.Duration(*minutes) * time.Minute
	if *seconds > 0 {
		total = time.Duration(*seconds) * time.Second
	}
	if total <= 0 || *interval <= 0 || *changesPerSec <= 0 || *hintsPerSec < 0 || *rate <= 0 {
		return errors.New("bench soak: --minutes, --changes and --rate must be positive, --hints not negative")
	}
	cfg, _, err := loadConfig(e)
	if err != nil {
		return err
	}
	scale, err := vespagen.ParseScale(*scaleName)
	if err != nil {
		return err
	}
	// The service's warnings and errors only: a soak of info lines would
	// be unreadable.
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	liftMemoryLimit(e.getenv)

	// Knack's limit counts the service's requests; the changes stand for
	// users editing in Knack, which Knack does not count against the API:
	// the simulator allows both.
	changeRate := int(*changesPerSec*2) + 1
	sim, err := newVespaSimulator(scale, 1, knacksim.Options{RatePerSecond: *rate + changeRate, Latency: *latency})
	if err != nil {
		return err
	}
	defer sim.Close()
	if err := sim.Start("127.0.0.1:0"); err != nil {
		return err
	}

	dbURL, _, _, drop, err := freshDatabase(ctx, cfg.DatabaseURL, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer drop()
	// The service's pool: as `serve` opens it, or of the size asked for.
	pcfg, err := dbmigrate.ParseConfig(dbURL)
	if err != nil {
		return err
	}
	if *maxConns > 0 {
		pcfg.MaxConns = int32(*maxConns)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	// The bench's own queries do not take the service's connections.
	watchPool, err := pgxpool.New(ctx, dbURL+"&pool_max_conns=2")
	if err != nil {
		return err
	}
	defer watchPool.Close()
	cfg.DatabaseURL = dbURL
	cfg.KnackAPIURL, cfg.KnackAppID, cfg.KnackAPIKey = sim.URL(), sim.AppID(), sim.APIKey()
	cfg.KnackRateLimit = float64(*rate)
	cfg.WebhookSecret = "soak-webhook-secret-0123456789"
	// Every sender is on loopback: measure the service, not its per-source
	// limit.
	cfg.WebhookRate = 1e9

	// The records exist in Postgres before the load starts.
	st := store.New(pool)
	kn, err := newKnackClient(cfg, slog.New(slog.DiscardHandler), st, nil)
	if err != nil {
		return err
	}
	if _, err := syncer.New(st, kn, slog.New(slog.DiscardHandler), time.Now, syncer.Config{}).Sweep(ctx, syncer.SweepOptions{}); err != nil {
		return fmt.Errorf("initial sweep: %w", err)
	}
	kn.CloseIdleConnections()
	// Changes go to records that have a student row, so that each one
	// shows in Postgres.
	rows, err := pool.Query(ctx, `SELECT DISTINCT knack_id FROM students`)
	if err != nil {
		return err
	}
	changeIDs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	hintIDs := map[string][]string{}
	for _, o := range []string{vespa.Object10.Object, vespa.Object29.Object} {
		for _, r := range sim.Records(o) {
			hintIDs[o] = append(hintIDs[o], r.ID)
		}
	}
	if len(changeIDs) == 0 || len(hintIDs[vespa.Object10.Object]) == 0 {
		return errors.New("bench soak: the generated data has no students")
	}

	base, stopServer, served, err := serveInProcess(ctx, e, cfg, logger, pool)
	if err != nil {
		return err
	}
	defer stopServer()
	sim.SetHook(base+"/webhooks/knack", cfg.WebhookSecret)

	fmt.Fprintf(e.stdout, "bench soak: scale %s for %s; in Knack %.1f changes/s (each hinted by the simulator's hook), %.1f hints/s sent directly; "+
		"the service at %d Knack requests/s, %s latency, %d database connections; a line every %s\n\n",
		scale, total, *changesPerSec, *hintsPerSec, *rate, *latency, pool.Config().MaxConns, *interval)
	period := "minute"
	if *interval != time.Minute {
		period = "interval"
	}
	fmt.Fprintf(e.stdout, soakHeader, period, "changes", "seen", "hints", "hints/s", "p50 change→row", "p99 change→row", "max",
		"unseen", "knack req", "VmHWM MB", "VmRSS MB", "heap MB", "goroutines")

	load := &soakLoad{pending: map[string]soakChange{}}
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	var wg sync.WaitGroup
	changer := knack.New(knack.Config{BaseURL: sim.URL(), AppID: sim.AppID(), APIKey: sim.APIKey(), RateLimit: float64(changeRate)})
	defer changer.CloseIdleConnections()
	wg.Add(3)
	go func() { defer wg.Done(); load.makeChanges(loadCtx, changer, changeIDs, *changesPerSec) }()
	go func() { defer wg.Done(); load.sendHints(loadCtx, base, cfg.WebhookSecret, hintIDs, *hintsPerSec) }()
	go func() { defer wg.Done(); load.watch(loadCtx, watchPool) }()

	start := time.Now()
	prevHooks, prevKnack := sim.Counts().HooksSent, knackObjectRequests(sim)
	var first, last soakMemory
	for n := 1; ; n++ {
		next := start.Add(time.Duration(n) * *interval)
		if next.After(start.Add(total)) {
			next = start.Add(total)
		}
		select {
		case <-ctx.Done():
			stopLoad()
			wg.Wait()
			return ctx.Err()
		case err := <-served:
			stopLoad()
			wg.Wait()
			served <- err
			return fmt.Errorf("the service stopped: %v", err)
		case <-time.After(time.Until(next)):
		}
		span := time.Since(start) - time.Duration(n-1)**interval
		m := load.take()
		c := sim.Counts()
		hooks, requests := c.HooksSent-prevHooks, knackObjectRequests(sim)-prevKnack
		prevHooks, prevKnack = c.HooksSent, knackObjectRequests(sim)
		mem := readSoakMemory()
		if n == 1 {
			first = mem
		}
		last = mem
		hints := hooks + int(m.hintsAccepted)
		fmt.Fprintf(e.stdout, soakLine, n, m.changes, len(m.latencies), hints, float64(hints)/span.Seconds(),
			pct(m.latencies, 50), pct(m.latencies, 99), pct(m.latencies, 100), m.unseen, requests,
			mem.hwm>>20, mem.rss>>20, mem.heap>>20, mem.goroutines)
		if m.hintsFailed > 0 || m.changeErrors > 0 {
			fmt.Fprintf(e.stdout, "  (%d hints refused or failed, %d changes failed: %s)\n", m.hintsFailed, m.changeErrors, m.lastError)
		}
		if !next.Before(start.Add(total)) {
			break
		}
	}
	stopLoad()
	wg.Wait()
	fmt.Fprintf(e.stdout, "\nmemory from the first line to the last: VmRSS %+d MB, Go heap %+d MB, goroutines %+d (peak RSS %d MB)\n",
		(int64(last.rss)-int64(first.rss))>>20, (int64(last.heap)-int64(first.heap))>>20, last.goroutines-first.goroutines, last.hwm>>20)
	return nil
}

// The columns of bench soak's lines.
const (
	soakHeader = "%8s %8s %6s %7s %8s %15s %15s %10s %7s %10s %9s %9s %8s %11s\n"
	soakLine   = "%8d %8d %6d %7d %8.1f %15s %15s %10s %7d %10d %9d %9d %8d %11d\n"
)

// hideFlags keeps flags out of -h (they are for tests).
func hideFlags(fs *flag.FlagSet, names ...string) {
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage of %s:\n", fs.Name())
		visible := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
		visible.SetOutput(fs.Output())
		fs.VisitAll(func(f *flag.Flag) {
			for _, n := range names {
				if f.Name == n {
					return
				}
			}
			visible.Var(f.Value, f.Name, f.Usage)
		})
		visible.PrintDefaults()
	}
}

// knackObjectRequests counts the record requests the simulator answered
// (the service's, and the changes' writes).
func knackObjectRequests(sim *knacksim.Server) int {
	n := 0
	for route, c := range sim.Counts().ByRoute {
		if strings.Contains(route, "/objects/") {
			n += c
		}
	}
	return n
}

// soakChange is a change made in Knack and not yet seen in Postgres.
type soakChange struct {
	group string
	at    time.Time
}

// soakLoad is the load's state and the current interval's figures.
type soakLoad struct {
	mu      sync.Mutex
	pending map[string]soakChange // by record id: the latest change
	seq     int

	changes, changeErrors      int
	hintsAccepted, hintsFailed int64
	latencies                  []time.Duration
	lastError                  string
}

// soakFigures are one interval's figures.
type soakFigures struct {
	changes, changeErrors      int
	hintsAccepted, hintsFailed int64
	latencies                  []time.Duration
	unseen                     int // changes made over a minute ago, not in Postgres yet
	lastError                  string
}

func (l *soakLoad) take() soakFigures {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := soakFigures{
		changes: l.changes, changeErrors: l.changeErrors, hintsAccepted: l.hintsAccepted, hintsFailed: l.hintsFailed,
		latencies: l.latencies, lastError: l.lastError,
	}
	for _, c := range l.pending {
		if time.Since(c.at) > time.Minute {
			f.unseen++
		}
	}
	l.changes, l.changeErrors, l.hintsAccepted, l.hintsFailed, l.latencies, l.lastError = 0, 0, 0, 0, nil, ""
	return f
}

func (l *soakLoad) hintDone(accepted bool, problem string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if accepted {
		l.hintsAccepted++
		return
	}
	l.hintsFailed++
	l.lastError = problem
}

func (l *soakLoad) fail(err error) {
	l.mu.Lock()
	l.lastError = err.Error()
	l.mu.Unlock()
}

// makeChanges sets a random student's group in Knack, perSec times a
// second. A record changed again before the first change showed is only
// timed for the later one.
func (l *soakLoad) makeChanges(ctx context.Context, client *knack.Client, ids []string, perSec float64) {
	f := vespa.Object10
	rng := rand.New(rand.NewPCG(1, 2))
	tick := time.NewTicker(time.Duration(float64(time.Second) / perSec))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		id := ids[rng.IntN(len(ids))]
		l.mu.Lock()
		l.seq++
		group := fmt.Sprintf("soak %d", l.seq)
		l.mu.Unlock()
		at := time.Now()
		_, err := client.Update(ctx, f.Object, id, map[string]any{f.Group.Key: group})
		l.mu.Lock()
		if err != nil {
			if ctx.Err() == nil {
				l.changeErrors++
				l.lastError = err.Error()
			}
		} else {
			l.changes++
			l.pending[id] = soakChange{group, at}
		}
		l.mu.Unlock()
	}
}

// sendHints posts single hints for random records, perSec a second.
func (l *soakLoad) sendHints(ctx context.Context, base, secret string, ids map[string][]string, perSec float64) {
	if perSec <= 0 {
		return
	}
	objects := []string{vespa.Object10.Object, vespa.Object29.Object}
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	rng := rand.New(rand.NewPCG(3, 4))
	tick := time.NewTicker(time.Duration(float64(time.Second) / perSec))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		object := objects[rng.IntN(len(objects))]
		if len(ids[object]) == 0 {
			object = objects[0]
		}
		body := fmt.Sprintf(`{"object":%q,"record_id":%q,"event":"update"}`, object, ids[object][rng.IntN(len(ids[object]))])
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/webhooks/knack", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Webhook-Secret", secret)
		resp, err := hc.Do(req)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			l.hintDone(false, err.Error())
		default:
			resp.Body.Close()
			l.hintDone(resp.StatusCode == http.StatusAccepted, "hint answered "+resp.Status)
		}
	}
}

// watch polls Postgres for the pending changes and times those it sees.
func (l *soakLoad) watch(ctx context.Context, pool *pgxpool.Pool) {
	for ctx.Err() == nil {
		l.mu.Lock()
		ids := make([]string, 0, len(l.pending))
		for id := range l.pending {
			ids = append(ids, id)
		}
		l.mu.Unlock()
		if len(ids) > 0 {
			rows, err := pool.Query(ctx, `SELECT knack_id, coalesce("group", '') FROM students WHERE knack_id = ANY($1)`, ids)
			if err == nil {
				var id, group string
				_, err = pgx.ForEachRow(rows, []any{&id, &group}, func() error {
					l.mu.Lock()
					if c, ok := l.pending[id]; ok && c.group == group {
						l.latencies = append(l.latencies, time.Since(c.at))
						delete(l.pending, id)
					}
					l.mu.Unlock()
					return nil
				})
			}
			if err != nil && ctx.Err() == nil {
				l.fail(err)
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// soakMemory is the process's memory at one moment.
type soakMemory struct {
	hwm, rss, heap uint64
	goroutines     int
}

func readSoakMemory() soakMemory {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m := soakMemory{heap: ms.HeapInuse, goroutines: runtime.NumGoroutine()}
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return m
	}
	for _, line := range strings.Split(string(b), "\n") {
		key, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch key {
		case "VmHWM":
			m.hwm = kb << 10
		case "VmRSS":
			m.rss = kb << 10
		}
	}
	return m
}
