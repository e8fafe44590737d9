package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"knacksync/internal/config"
)

// env bundles what every subcommand receives from run.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

type command struct {
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":   {"HTTP server and River workers, until SIGINT/SIGTERM", runServe},
		"migrate": {"apply the service's and River's migrations (safe to repeat or run concurrently)", runMigrate},
		"bench":   {"performance scenarios that print figures: bench sweep|webhooks|soak", runBench},
		"demo":    {"simulator + service + first sweep + change hints, no Knack account needed", runDemo},
		"sync":    {"one sweep now in the foreground (--object, --reproject, --confirm-deletes)", runSync},
		"sim":     {"the Knack simulator with generated VESPA data", runSim},
		"doctor":  {"check configuration, database, pooler, Knack credentials and field map", runDoctor},
		"version": {"module version, commit and build time", runVersion},
	}
}

// run is the whole program: main only calls it, and tests call it with their
// own arguments, environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	cmds := commands()
	if len(args) < 2 || args[1] == "help" || args[1] == "-h" || args[1] == "--help" {
		usage(stderr, cmds)
		if len(args) < 2 {
			return usageError{"no command given"}
		}
		return nil
	}
	if args[1] == "--version" || args[1] == "-version" {
		return runVersion(ctx, e, args[2:])
	}
	cmd, ok := cmds[args[1]]
	if !ok {
		usage(stderr, cmds)
		return usageError{fmt.Sprintf("unknown command %q", args[1])}
	}
	err := cmd.run(ctx, e, args[2:])
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

// usageError is a mistake in the command line (an unknown command or flag,
// a stray argument): the process exits 2, as flag-parsing tools do.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// exitCode is the process's exit status for run's error.
func exitCode(err error) int {
	var u usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &u):
		return 2
	}
	return 1
}

// parseFlags parses a command's flags and refuses arguments that no flag
// took: `server sync object_10` must not sweep everything.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{fmt.Sprintf("%s: %v", fs.Name(), err)}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q (see `server %s -h`)", fs.Name(), fs.Arg(0), fs.Name())}
	}
	return nil
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for name := range cmds {
		names = append(names, name)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: server <command> [flags]\n\ncommands:")
	for _, name := range names {
		fmt.Fprintf(w, "  %-8s %s\n", name, cmds[name].summary)
	}
}

// loadConfig loads the configuration and builds the logger, logging the
// resolved configuration once with secrets redacted.
func loadConfig(e env) (config.Config, *slog.Logger, error) {
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return cfg, nil, err
	}
	logger := newLogger(e.stderr, cfg, e.getenv("LOG_LEVEL"))
	logger.Info("configuration", slog.Any("config", cfg))
	return cfg, logger, nil
}

func newLogger(w io.Writer, cfg config.Config, level string) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(strings.ToUpper(level))); err != nil || level == "" {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.Production() {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func newFlagSet(name string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}
