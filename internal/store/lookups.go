package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Establishment is what the projection needs of an establishment row.
type Establishment struct {
	KnackID         string
	Name            string
	IsAustralian    bool
	UseStandardYear *bool
}

// Querier runs a query: a pool, or a transaction (a batch's lookups run in
// its own transaction, so that parallel batches never wait for a second
// connection from the pool).
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Establishments returns every establishment row.
func (s *Store) Establishments(ctx context.Context, q Querier) ([]Establishment, error) {
	rows, err := q.Query(ctx, s.stmt("lookups", "establishments"))
	if err != nil {
		return nil, fmt.Errorf("load establishments: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Establishment])
	if err != nil {
		return nil, fmt.Errorf("load establishments: %w", err)
	}
	return out, nil
}

// Accounts returns the emails of the object_3 accounts with the given ids.
func (s *Store) Accounts(ctx context.Context, q Querier, ids []string) (map[string]string, error) {
	rows, err := q.Query(ctx, s.stmt("lookups", "accounts"), pgx.NamedArgs{"ids": ids})
	if err != nil {
		return nil, fmt.Errorf("load accounts: %w", err)
	}
	out := make(map[string]string, len(ids))
	var id, email string
	_, err = pgx.ForEachRow(rows, []any{&id, &email}, func() error {
		out[id] = email
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load accounts: %w", err)
	}
	return out, nil
}
