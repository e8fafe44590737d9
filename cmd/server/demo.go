package main

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"time"

	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
	"knacksync/internal/knacksim/vespagen"
	"knacksync/internal/vespa"
)

// runDemo is `server demo`: the Knack simulator with generated VESPA data,
// the service on its own database, a first sweep, and the simulator's change
// hints wired to the webhook, so that a newcomer sees the whole loop with no
// Knack account. With --activity, records change in "Knack" now and then.
func runDemo(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("demo", e)
	addr := fs.String("addr", "", "listen address of the service (default 127.0.0.1:$PORT)")
	scaleName := fs.String("scale", string(vespagen.Small), "generated data size: tiny, small, vespa or vespa2x")
	activity := fs.Duration("activity", 15*time.Second, "change a record in the simulator this often (0: never)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, logger, err := loadConfig(e)
	if err != nil {
		return err
	}
	if cfg.Production() {
		return errors.New("demo: not with APP_ENV=production")
	}
	scale, err := vespagen.ParseScale(*scaleName)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if *addr == "" {
		*addr = "127.0.0.1:" + strconv.Itoa(cfg.Port)
	}

	liftMemoryLimit(e.getenv)
	sim, err := newVespaSimulator(scale, 1, knacksim.Options{RatePerSecond: 10, Latency: 50 * time.Millisecond, Jitter: 100 * time.Millisecond})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer sim.Close()
	if err := sim.Start("127.0.0.1:0"); err != nil {
		return fmt.Errorf("demo: %w", err)
	}

	// The demo's own database, next to the configured one, so that it never
	// mixes generated data into a real one; made afresh every time, since
	// the simulator's data is generated anew (a previous demo's rows would
	// show, and its missing records would be held as mass deletions).
	demoDB := demoDatabase(cfg.DatabaseURL)
	if err := dropDatabase(ctx, cfg.DatabaseURL, demoDB, false); err != nil {
		return fmt.Errorf("demo: start from a fresh %s database (is another demo running?): %w", demoDB, err)
	}
	cfg.DatabaseURL = withDatabase(cfg.DatabaseURL, demoDB)
	cfg.KnackAPIURL, cfg.KnackAppID, cfg.KnackAPIKey = sim.URL(), sim.AppID(), sim.APIKey()
	if cfg.WebhookSecret == "" {
		cfg.WebhookSecret = randomToken()
	}
	if cfg.AdminUser == "" {
		cfg.AdminUser, cfg.AdminPassword = "demo", randomToken()[:12]
	}
	f, err := startFront(*addr, logger)
	if err != nil {
		return err
	}
	pool, err := openDatabase(ctx, cfg, logger)
	if err != nil {
		_ = f.shutdown(context.WithoutCancel(ctx))
		return err
	}
	defer pool.Close()

	base := "http://" + f.ln.Addr().String()
	sim.SetHook(base+"/webhooks/knack", cfg.WebhookSecret)
	fmt.Fprintf(e.stdout, "knacksync demo: Knack simulator (%s scale) at %s app_id=%s api_key=%s\n", scale, sim.URL(), sim.AppID(), sim.APIKey())
	fmt.Fprintf(e.stdout, "knacksync demo: status page %s/ (user %s, password %s); the first sweep starts now\n", base, cfg.AdminUser, cfg.AdminPassword)
	if *activity > 0 {
		go changeRecords(ctx, sim, *activity)
	}
	return serve(ctx, e, cfg, logger, pool, f)
}

// changeRecords edits a random student's group through the simulator's API
// every interval: each edit sends a change hint, as Knack Flows would.
func changeRecords(ctx context.Context, sim *knacksim.Server, every time.Duration) {
	client := knack.New(knack.Config{BaseURL: sim.URL(), AppID: sim.AppID(), APIKey: sim.APIKey(), RateLimit: 1})
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	f := vespa.Object10
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		recs := sim.Records(f.Object)
		if len(recs) == 0 {
			continue
		}
		rec := recs[rng.IntN(len(recs))]
		group := strings.ToUpper(fmt.Sprintf("%d%c", 10+rng.IntN(4), 'A'+rune(rng.IntN(6))))
		_, _ = client.Update(ctx, f.Object, rec.ID, map[string]any{f.Group.Key: group})
	}
}

// demoDatabase is the demo's own database, next to DATABASE_URL's and
// named after it: knacksync_demo for the default knacksync.
func demoDatabase(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	name := strings.TrimPrefix(u.Path, "/")
	if err != nil || name == "" || name == "postgres" {
		name = "knacksync"
	}
	return name + "_demo"
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = crand.Read(b)
	return hex.EncodeToString(b)
}
