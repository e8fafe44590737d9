// Package migrations holds the service's SQL migrations, numbered and run in
// order by goose (see internal/dbmigrate). River's own tables are not here:
// they come from rivermigrate.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
