package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"knacksync/internal/knacksim"
	"knacksync/internal/knacksim/vespagen"
	"knacksync/internal/store"
)

func runBench(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return usageError{"bench: name a scenario: sweep, webhooks, stats, soak"}
	}
	switch args[0] {
	case "sweep":
		return benchSweep(ctx, e, args[1:])
	case "webhooks":
		return benchWebhooks(ctx, e, args[1:])
	case "stats":
		return benchStats(ctx, e, args[1:])
	case "soak":
		return benchSoak(ctx, e, args[1:])
	}
	return usageError{fmt.Sprintf("bench: unknown scenario %q (known: sweep, webhooks, stats, soak)", args[0])}
}

// benchSweep measures a first full sweep into a fresh database and a second
// sweep with no change, each in a child `server sync` process so that its
// peak memory is its own (the simulator's data lives in this process).
func benchSweep(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("bench sweep", e)
	scaleName := fs.String("scale", string(vespagen.Vespa), "generated data size: tiny, small, vespa or vespa2x")
	rate := fs.Int("rate", 10, "Knack requests per second (simulator limit and client budget)")
	latency := fs.Duration("latency", 300*time.Millisecond, "simulated Knack latency per request")
	keep := fs.Bool("keep", false, "keep the bench database afterwards")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, logger, err := loadConfig(e)
	if err != nil {
		return err
	}
	scale, err := vespagen.ParseScale(*scaleName)
	if err != nil {
		return err
	}
	liftMemoryLimit(e.getenv)
	sim, err := newVespaSimulator(scale, 1, knacksim.Options{RatePerSecond: *rate, Latency: *latency})
	if err != nil {
		return err
	}
	if err := sim.Start("127.0.0.1:0"); err != nil {
		return err
	}
	defer sim.Close()

	dbURL, name, pool, drop, err := freshDatabase(ctx, cfg.DatabaseURL, logger)
	if err != nil {
		return err
	}
	if *keep {
		defer pool.Close()
	} else {
		defer drop()
	}

	fmt.Fprintf(e.stdout, "bench sweep: scale %s, simulator at %d requests/s with %s latency, database %s\n\n", scale, *rate, *latency, name)
	env := []string{
		"DATABASE_URL=" + dbURL, "KNACK_API_URL=" + sim.URL(), "KNACK_APP_ID=" + sim.AppID(),
		"KNACK_API_KEY=" + sim.APIKey(), "KNACK_RATE_LIMIT=" + strconv.Itoa(*rate), "APP_ENV=development",
	}
	st := store.New(pool)
	for i, label := range []string{"first sweep (empty database)", "second sweep (no change)"} {
		before := sim.Counts().ByRoute
		m, err := timeSync(ctx, env)
		if err != nil {
			return fmt.Errorf("%s: %w", label, err)
		}
		after := sim.Counts().ByRoute
		requests := 0
		for route, n := range after {
			if strings.Contains(route, "/objects/") {
				requests += n - before[route]
			}
		}
		run, err := st.Run(ctx, int64(i+1))
		if err != nil {
			return err
		}
		floor := time.Duration(float64(requests) / float64(*rate) * float64(time.Second))
		fmt.Fprintf(e.stdout, "%s: %s\n", label, run.Status)
		fmt.Fprintf(e.stdout, "  wall time        %s\n", m.wall.Round(10*time.Millisecond))
		fmt.Fprintf(e.stdout, "  knack requests   %d (pages: %d)\n", requests, pages(run))
		fmt.Fprintf(e.stdout, "  api floor        %s (requests / %d per s)\n", floor.Round(10*time.Millisecond), *rate)
		fmt.Fprintf(e.stdout, "  wall / floor     %.2f\n", m.wall.Seconds()/floor.Seconds())
		fmt.Fprintf(e.stdout, "  sync cpu         %s (user + system; Postgres's is not counted)\n", m.cpu.Round(10*time.Millisecond))
		fmt.Fprintf(e.stdout, "  peak rss         %d MB\n", m.maxRSS>>20)
		fmt.Fprintf(e.stdout, "  rows written     %d\n", written(run))
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "    table\tinserted\tupdated\tdeleted\tunchanged\t")
		for _, t := range slices.Sorted(maps.Keys(run.Tables)) {
			c := run.Tables[t]
			fmt.Fprintf(tw, "    %s\t%d\t%d\t%d\t%d\t\n", t, c.Inserted, c.Updated, c.Deleted, c.Unchanged)
		}
		tw.Flush()
		fmt.Fprintln(e.stdout)
	}
	return nil
}

type measure struct {
	wall   time.Duration
	cpu    time.Duration // the sync process's, user and system
	maxRSS int64         // bytes
}

// timeSync runs `server sync` as a child process with env added.
func timeSync(ctx context.Context, env []string) (measure, error) {
	exe, err := os.Executable()
	if err != nil {
		return measure{}, err
	}
	cmd := exec.CommandContext(ctx, exe, "sync")
	// The child gets this process's environment (PATH, HOME, ...) with the
	// bench's settings on top.
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	start := time.Now()
	err = cmd.Run()
	m := measure{wall: time.Since(start)}
	if cmd.ProcessState != nil {
		m.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		return m, fmt.Errorf("server sync: %w\n%s", err, lastLines(stderr.String(), 10))
	}
	// The child reports its own peak (the last line of its summary): a
	// child's rusage would count this process's memory it was forked from.
	_, peak, ok := strings.Cut(stdout.String(), "peak memory: ")
	peak, _, _ = strings.Cut(peak, "\n") // more of the summary may follow
	if mb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(peak), "MB")), 10, 64); ok && err == nil {
		m.maxRSS = mb << 20
	}
	return m, nil
}

func pages(run *store.Run) int {
	n := 0
	for _, p := range run.Progress {
		n += p.Pages
	}
	return n
}

func written(run *store.Run) int64 {
	var n int64
	for t, c := range run.Tables {
		if t != "accounts" {
			n += c.Written()
		}
	}
	return n
}

func lastLines(s string, n int) string {
	lines := bytes.Split([]byte(s), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
