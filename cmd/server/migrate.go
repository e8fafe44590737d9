package main

import (
	"context"
	"fmt"

	"knacksync/internal/dbmigrate"
)

func runMigrate(ctx context.Context, e env, args []string) error {
	if err := parseFlags(newFlagSet("migrate", e), args); err != nil {
		return err
	}
	cfg, logger, err := loadConfig(e)
	if err != nil {
		return err
	}
	pool, err := dbmigrate.Open(ctx, cfg.DatabaseURL, !cfg.Production())
	if err != nil {
		return err
	}
	defer pool.Close()
	res, err := dbmigrate.Migrate(ctx, pool, logger)
	if err != nil {
		return err
	}
	if len(res.Applied) == 0 && len(res.RiverApplied) == 0 {
		fmt.Fprintln(e.stdout, "migrate: already current, nothing to do")
		return nil
	}
	fmt.Fprintf(e.stdout, "migrate: applied %d service and %d River migrations\n", len(res.Applied), len(res.RiverApplied))
	return nil
}
