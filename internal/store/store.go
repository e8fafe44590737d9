// Package store is the Postgres side of the sync: the raw mirror, staging
// tables filled with COPY, and one merge statement per target table, all in
// SQL files under sql/. It knows nothing of Knack or VESPA: callers hand it
// named staging tables of plain values.
package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed sql/*.sql
var sqlFS embed.FS

// Store runs the service's SQL on a pool.
type Store struct {
	pool    *pgxpool.Pool
	scripts map[string][]statement
}

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, scripts: loadScripts()}
}

// Pool returns the underlying pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// InTx runs fn in one transaction, committed when fn returns nil.
func (s *Store) InTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// statement is one named section of a SQL file ("-- name: x").
type statement struct {
	name string
	sql  string
}

func loadScripts() map[string][]statement {
	out := map[string][]statement{}
	entries, err := fs.Glob(sqlFS, "sql/*.sql")
	if err != nil {
		panic(err)
	}
	for _, path := range entries {
		b, err := sqlFS.ReadFile(path)
		if err != nil {
			panic(err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(path, "sql/"), ".sql")
		out[name] = parseScript(string(b))
	}
	return out
}

// parseScript splits a file into its "-- name:" sections, and a section into
// its statements (one per line-ending ";"), since the extended protocol runs
// one statement at a time. Text before the first section is commentary.
func parseScript(text string) []statement {
	var out []statement
	for _, part := range strings.Split(text, "-- name: ")[1:] {
		name, body, _ := strings.Cut(part, "\n")
		name = strings.TrimSpace(name)
		for _, sql := range strings.SplitAfter(body, ";\n") {
			if strings.TrimSpace(stripComments(sql)) != "" {
				out = append(out, statement{name: name, sql: sql})
			}
		}
	}
	return out
}

func stripComments(sql string) string {
	var b strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// section returns the statements of one named section; a missing one is a bug.
func (s *Store) section(script, name string) []statement {
	var out []statement
	for _, st := range s.scripts[script] {
		if st.name == name {
			out = append(out, st)
		}
	}
	if len(out) == 0 {
		panic(fmt.Sprintf("store: no section %s in sql/%s.sql", name, script))
	}
	return out
}

// stmt returns the single statement of a section.
func (s *Store) stmt(script, name string) string { return s.section(script, name)[0].sql }

func (s *Store) has(script, name string) bool {
	for _, st := range s.scripts[script] {
		if st.name == name {
			return true
		}
	}
	return false
}
