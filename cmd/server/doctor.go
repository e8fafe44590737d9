package main

import (
	"context"
	"fmt"

	"knacksync/internal/config"
	"knacksync/internal/doctor"
)

// runDoctor checks the configuration and every dependency, printing one
// OK/WARN/FAIL line per finding on stdout; it fails when any line is FAIL.
// An invalid configuration is itself a finding, not an early exit.
func runDoctor(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("doctor", e)
	timeout := fs.Duration("timeout", doctor.DefaultTimeout, "time limit for each check")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, cfgErr := config.Load(e.getenv)
	failed, err := doctor.Run(ctx, cfg, cfgErr, doctor.Options{
		Timeout: *timeout,
		// Only the Knack client logs, and only retries (at debug level).
		Logger: newLogger(e.stderr, cfg, e.getenv("LOG_LEVEL")),
	}, func(r doctor.Result) {
		fmt.Fprintln(e.stdout, r)
	})
	if err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("doctor: %d %s failed", failed, plural(failed, "check", "checks"))
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
