package dbmigrate_test

import (
	"testing"

	"knacksync/internal/dbmigrate"
	"knacksync/internal/dbtest"
)

// `pgbouncer=true` marks a transaction pooler for the service (and for
// Prisma); sent to the server as a setting it refused every connection.
func TestOpenIgnoresPgbouncerParameter(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t)
	sep := "?"
	for _, c := range url {
		if c == '?' {
			sep = "&"
		}
	}
	pool, err := dbmigrate.Open(t.Context(), url+sep+"pgbouncer=true", false)
	if err != nil {
		t.Fatalf("open with pgbouncer=true: %v", err)
	}
	defer pool.Close()
	if err := pool.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
}
