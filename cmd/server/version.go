package main

import (
	"context"
	"fmt"

	"knacksync/internal/buildinfo"
)

// runVersion is `server version` (and `server --version`).
func runVersion(_ context.Context, e env, args []string) error {
	if err := parseFlags(newFlagSet("version", e), args); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, buildinfo.Read())
	return nil
}
