package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"knacksync/internal/config"
	"knacksync/internal/knacksim"
	"knacksync/internal/knacksim/vespagen"
)

// runSim is `server sim`: the Knack simulator with generated (or loaded)
// VESPA data, until ctx ends. Its first stdout line is the contract other
// tools read: "knack simulator listening on URL app_id=ID api_key=KEY".
func runSim(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("sim", e)
	defaultAddr := "127.0.0.1:8081"
	if port := e.getenv("PORT"); port != "" {
		defaultAddr = "127.0.0.1:" + port
	}
	addr := fs.String("addr", defaultAddr, "listen address (default 127.0.0.1:$PORT, or :8081 without PORT; port 0 picks a free port)")
	scaleName := fs.String("scale", string(vespagen.Small), "generated data size: tiny, small, vespa or vespa2x")
	seed := fs.Int64("seed", 1, "seed of the generated data and of the injected faults")
	dataDir := fs.String("data", "", "load records from this directory (object_N.json, optional schema.json) instead of generating")
	rate := fs.Int("rate", 10, "requests per second before 429 (0: unlimited)")
	quota := fs.Int("quota", 0, "daily request quota (0: unlimited)")
	latency := fs.Duration("latency", 0, "delay added to every answer")
	failRate := fs.Float64("fail-rate", 0, "share of requests answered with a 5xx")
	hookURL := fs.String("hook-url", "", "send change hints for API writes to this URL")
	hookSecret := fs.String("hook-secret", "", "X-Webhook-Secret sent with change hints")
	hookDrop := fs.Float64("hook-drop", 0, "share of change hints dropped")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	scaleSet := false
	fs.Visit(func(f *flag.Flag) { scaleSet = scaleSet || f.Name == "scale" })
	if scaleSet && *dataDir != "" {
		return errors.New("sim: use --scale or --data, not both")
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"fail-rate", *failRate}, {"hook-drop", *hookDrop}} {
		if r.v < 0 || r.v > 1 {
			return fmt.Errorf("sim: --%s must be between 0 and 1", r.name)
		}
	}
	if *rate < 0 || *quota < 0 || *latency < 0 {
		return errors.New("sim: --rate, --quota and --latency cannot be negative")
	}
	logger := newLogger(e.stderr, config.Config{}, e.getenv("LOG_LEVEL"))
	liftMemoryLimit(e.getenv)

	start := time.Now()
	opts := knacksim.Options{
		RatePerSecond: *rate,
		DailyQuota:    *quota,
		Latency:       *latency,
		FailRate:      *failRate,
		HookURL:       *hookURL,
		HookSecret:    *hookSecret,
		HookDrop:      *hookDrop,
		Seed:          *seed,
		Logger:        logger,
	}
	if opts.RatePerSecond == 0 {
		opts.RatePerSecond = -1 // the simulator's "unlimited"
	}
	var srv *knacksim.Server
	var source string
	if *dataDir != "" {
		ds, err := vespagen.LoadDir(*dataDir)
		if err != nil {
			return err
		}
		opts.Dataset, source = ds, *dataDir
		if srv, err = knacksim.New(opts); err != nil {
			return fmt.Errorf("sim: %w", err)
		}
		// The simulator encoded its own copy: give the maps back.
		opts.Dataset.Records = nil
		debug.FreeOSMemory()
	} else {
		scale, err := vespagen.ParseScale(*scaleName)
		if err != nil {
			return fmt.Errorf("sim: %w", err)
		}
		source = "scale " + string(scale)
		if srv, err = newVespaSimulator(scale, *seed, opts); err != nil {
			return fmt.Errorf("sim: %w", err)
		}
	}
	defer srv.Close()

	counts := make([]any, 0, len(srv.Schema().Objects))
	for _, o := range srv.Schema().Objects {
		counts = append(counts, slog.Int(o.Key, srv.Count(o.Key)))
	}
	logger.Info("sim dataset ready", slog.String("source", source), slog.Int64("seed", *seed),
		slog.Duration("took", time.Since(start)), slog.Group("records", counts...))

	if err := srv.Start(*addr); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	fmt.Fprintf(e.stdout, "knack simulator listening on %s app_id=%s api_key=%s\n", srv.URL(), srv.AppID(), srv.APIKey())
	logger.Info("sim serving", slog.Duration("startup", time.Since(start)), slog.Int("rate", *rate),
		slog.Int("quota", *quota), slog.Duration("latency", *latency), slog.Float64("fail_rate", *failRate),
		slog.Bool("hooks", *hookURL != ""), slog.Float64("hook_drop", *hookDrop))

	<-ctx.Done()
	logger.Info("sim stopping")
	if err := srv.Close(); err != nil {
		return fmt.Errorf("sim: close: %w", err)
	}
	return nil
}
