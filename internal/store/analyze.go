package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// AnalyzeStale analyzes the tables of the public and knacksync schemas
// that changed much since their statistics were taken, and returns them.
// Cheap when none did (one catalog query).
func (s *Store) AnalyzeStale(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, s.stmt("analyze", "stale"))
	if err != nil {
		return nil, fmt.Errorf("stale statistics: %w", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("stale statistics: %w", err)
	}
	for _, t := range tables {
		// The name comes from the catalog, quoted by format('%I.%I').
		if _, err := s.pool.Exec(ctx, "ANALYZE "+t); err != nil {
			return nil, fmt.Errorf("analyze %s: %w", t, err)
		}
	}
	return tables, nil
}
