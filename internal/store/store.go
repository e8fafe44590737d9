// Package store is the Postgres side of the sync: the raw mirror, staging
// tables filled with COPY, and one merge statement per target table, all in
// SQL files under sql/. It knows nothing of Knack or VESPA: callers hand it
// named staging tables of plain values, and the SQL that merges each
// object's tables comes from the mapping package (internal/vespa/sql,
// added with WithScripts).
package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
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
	loadErr error // a script set that did not load: every lookup fails with it
}

// scripts are the SQL files, parsed once. A file the loader cannot read is
// a build error caught by TestScripts; loadErr keeps the service from
// running statements out of a half-read set.
var scripts, loadErr = loadScripts(sqlFS)

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, scripts: scripts, loadErr: loadErr}
}

// WithScripts returns a Store on the same pool that also runs the SQL
// files sql/*.sql of fsys, named as the store's own are (file name without
// .sql): the objects' scripts, which the mapping package keeps next to its
// Go (vespa.SQL). A file that does not load, or that has the name of one
// already there, is an error that every section lookup returns, as for the
// store's own files.
func (s *Store) WithScripts(fsys fs.FS) *Store {
	out := &Store{pool: s.pool, scripts: maps.Clone(s.scripts), loadErr: s.loadErr}
	more, err := loadScripts(fsys)
	if err != nil && out.loadErr == nil {
		out.loadErr = err
	}
	for name, stmts := range more {
		if _, dup := out.scripts[name]; dup && out.loadErr == nil {
			out.loadErr = fmt.Errorf("store: sql/%s.sql is there twice", name)
		}
		out.scripts[name] = stmts
	}
	return out
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

// loadScripts reads every sql/*.sql file of fsys, keyed by file name
// without ".sql". A file without sections, or a section without a
// statement, is an error.
func loadScripts(fsys fs.FS) (map[string][]statement, error) {
	out := map[string][]statement{}
	paths, err := fs.Glob(fsys, "sql/*.sql")
	if err != nil {
		return nil, fmt.Errorf("store: sql files: %w", err)
	}
	for _, path := range paths {
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		stmts, err := parseScript(string(b))
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", path, err)
		}
		out[strings.TrimSuffix(strings.TrimPrefix(path, "sql/"), ".sql")] = stmts
	}
	return out, nil
}

// parseScript splits a file into its "-- name:" sections, and a section into
// its statements (one per line-ending ";"), since the extended protocol runs
// one statement at a time. Text before the first section is commentary.
func parseScript(text string) ([]statement, error) {
	parts := strings.Split(text, "-- name: ")
	if len(parts) < 2 {
		return nil, errors.New(`no "-- name:" section`)
	}
	var out []statement
	for _, part := range parts[1:] {
		name, body, _ := strings.Cut(part, "\n")
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, errors.New("a section without a name")
		}
		n := len(out)
		for _, sql := range strings.SplitAfter(body, ";\n") {
			if strings.TrimSpace(stripComments(sql)) != "" {
				out = append(out, statement{name: name, sql: sql})
			}
		}
		if len(out) == n {
			return nil, fmt.Errorf("section %s has no statement", name)
		}
	}
	return out, nil
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

// section returns the statements of one named section, in file order.
func (s *Store) section(script, name string) ([]statement, error) {
	return lookup(s.scripts, s.loadErr, script, name)
}

func section(script, name string) ([]statement, error) { return lookup(scripts, loadErr, script, name) }

func lookup(scripts map[string][]statement, loadErr error, script, name string) ([]statement, error) {
	if loadErr != nil {
		return nil, loadErr
	}
	var out []statement
	for _, st := range scripts[script] {
		if st.name == name {
			out = append(out, st)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("store: no section %s in sql/%s.sql", name, script)
	}
	return out, nil
}

// stmt returns the single statement of a section. Every (script, name)
// the package's Go code passes is checked by TestSections. Should one still
// be missing, the statement returned fails when run, with an error that
// names it: the caller reports it like any database error.
func (s *Store) stmt(script, name string) string { return stmt(script, name) }

func stmt(script, name string) string {
	st, err := section(script, name)
	if err != nil {
		return "DO $$BEGIN RAISE EXCEPTION '%', " + quoteLiteral(err.Error()) + "; END$$"
	}
	return st[0].sql
}

// quoteLiteral quotes text as an SQL string literal.
func quoteLiteral(text string) string {
	return "'" + strings.ReplaceAll(text, "'", "''") + "'"
}

func (s *Store) has(script, name string) bool {
	for _, st := range s.scripts[script] {
		if st.name == name {
			return true
		}
	}
	return false
}
