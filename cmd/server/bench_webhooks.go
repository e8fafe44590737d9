package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
	"knacksync/internal/knacksim/vespagen"
	"knacksync/internal/store"
	"knacksync/internal/syncer"
	"knacksync/internal/vespa"
)

// benchWebhooks measures the webhook receiver under a loopback load, then
// the time from a change in Knack to the row in Postgres.
func benchWebhooks(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("bench webhooks", e)
	duration := fs.Duration("duration", 10*time.Second, "how long to send hints")
	clients := fs.Int("clients", 32, "concurrent senders")
	changes := fs.Int("changes", 50, "changes made in Knack for the hint → row latency")
	latency := fs.Duration("latency", 100*time.Millisecond, "simulated Knack latency per request")
	keep := fs.Bool("keep", false, "keep the bench database afterwards")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, _, err := loadConfig(e)
	if err != nil {
		return err
	}
	logger := slog.New(slog.DiscardHandler)
	sim, pool, _, closeBackend, err := benchBackend(ctx, e, &cfg, logger, vespagen.Small, knacksim.Options{RatePerSecond: 10, Latency: *latency}, *keep)
	if err != nil {
		return err
	}
	defer closeBackend()

	// The records exist in Postgres before the hints about them arrive.
	st := store.New(pool)
	kn, err := newKnackClient(cfg, logger, st, nil)
	if err != nil {
		return err
	}
	if _, err := syncer.New(st, kn, logger, time.Now, syncer.Config{}).Sweep(ctx, syncer.SweepOptions{}); err != nil {
		return fmt.Errorf("initial sweep: %w", err)
	}

	base, stop, _, err := serveInProcess(ctx, e, cfg, logger, pool)
	if err != nil {
		return err
	}
	defer stop()
	sim.SetHook(base+"/webhooks/knack", cfg.WebhookSecret)

	// 1. Hints accepted per second, and their latency.
	ids := make([]string, 0, 2000)
	for _, r := range sim.Records(vespa.Object10.Object) {
		ids = append(ids, r.ID)
	}
	accepted, lat, failed := loadHints(ctx, base, cfg.WebhookSecret, ids, *clients, *duration)
	fmt.Fprintf(e.stdout, "bench webhooks: %d senders for %s on loopback, one hint per request\n", *clients, *duration)
	fmt.Fprintf(e.stdout, "  hints accepted   %d (%.0f per second), %d failed\n", accepted, float64(accepted)/duration.Seconds(), failed)
	fmt.Fprintf(e.stdout, "  request latency  p50 %s  p99 %s\n", pct(lat, 50), pct(lat, 99))

	// Let the queue drain before measuring hint → row.
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM knacksync.hints").Scan(&n); err == nil && n == 0 {
			break
		}
	}

	// 2. A change in Knack → the simulator's hint → fetch → row visible.
	// Changed records are this academic year's: last year's rows are
	// history, which a change in Knack does not touch (it is reported).
	rows, err := pool.Query(ctx, `SELECT knack_id FROM students
		WHERE academic_year = (SELECT max(academic_year) FROM students) ORDER BY knack_id`)
	if err != nil {
		return err
	}
	current, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(current) == 0 {
		return fmt.Errorf("current-year students to change: %d (%v)", len(current), err)
	}
	client := knack.New(knack.Config{BaseURL: sim.URL(), AppID: sim.AppID(), APIKey: sim.APIKey(), RateLimit: 10})
	f := vespa.Object10
	var visible []time.Duration
	for i := range *changes {
		id := current[i%len(current)]
		group := fmt.Sprintf("bench %d", i)
		start := time.Now()
		if _, err := client.Update(ctx, f.Object, id, map[string]any{f.Group.Key: group}); err != nil {
			return err
		}
		for {
			var n int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM students WHERE knack_id = $1 AND "group" = $2`, id, group).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				break
			}
			if time.Since(start) > time.Minute {
				return fmt.Errorf("change %d never reached Postgres", i)
			}
			time.Sleep(5 * time.Millisecond)
		}
		visible = append(visible, time.Since(start))
	}
	fmt.Fprintf(e.stdout, "  hint → row       p50 %s  p99 %s  max %s (%d changes, Knack latency %s)\n",
		pct(visible, 50), pct(visible, 99), pct(visible, 100), *changes, *latency)
	var jobs, failedAttempts int
	if err := pool.QueryRow(ctx, `SELECT count(*), coalesce(sum(coalesce(array_length(errors, 1), 0)), 0)
		FROM knacksync.river_job WHERE kind = 'knack_hints'`).Scan(&jobs, &failedAttempts); err == nil {
		fmt.Fprintf(e.stdout, "  hints jobs       %d, failed attempts %d\n", jobs, failedAttempts)
	}
	return nil
}

// loadHints posts single hints from clients goroutines for d.
func loadHints(ctx context.Context, base, secret string, ids []string, clients int, d time.Duration) (int, []time.Duration, int) {
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	var mu sync.Mutex
	var lat []time.Duration
	accepted, failed := 0, 0
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			var mine []time.Duration
			ok, bad := 0, 0
			for time.Now().Before(end) && ctx.Err() == nil {
				body := fmt.Sprintf(`{"object":"object_10","record_id":%q,"event":"update"}`, ids[rng.IntN(len(ids))])
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/webhooks/knack", bytes.NewBufferString(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Webhook-Secret", secret)
				start := time.Now()
				resp, err := hc.Do(req)
				if err != nil {
					bad++
					continue
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted {
					ok++
					mine = append(mine, time.Since(start))
				} else {
					bad++
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			accepted += ok
			failed += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	return accepted, lat, failed
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)].Round(100 * time.Microsecond)
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitReady(ctx context.Context, base string) error {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("server at %s did not become ready", base)
}
