package main

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/dbtest"
	"knacksync/internal/knacksim"
	"knacksync/internal/knacksim/vespagen"
)

// binaryStack is the built server binary with a simulator (tiny data of
// seed, simOpts) and a fresh migrated database: what the tests that run
// `serve` as a real process share.
type binaryStack struct {
	bin  string
	sim  *knacksim.Server
	pool *pgxpool.Pool
	env  []string // the process environment: database, Knack, extra
}

func newBinaryStack(t *testing.T, seed int64, simOpts knacksim.Options, extra ...string) *binaryStack {
	t.Helper()
	bin, err := serverBinary()
	if err != nil {
		t.Fatal(err)
	}
	ds, err := vespagen.Generate(vespagen.Tiny, seed, time.Now().UTC().Truncate(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	simOpts.Dataset = ds
	sim := knacksim.Start(t, simOpts)
	dbURL := dbtest.URL(t)
	env := append(os.Environ(), "DATABASE_URL="+dbURL, "KNACK_API_URL="+sim.URL(), "KNACK_APP_ID="+sim.AppID(),
		"KNACK_API_KEY="+sim.APIKey(), "KNACK_RATE_LIMIT=10")
	return &binaryStack{bin: bin, sim: sim, pool: dbtest.Connect(t, dbURL), env: append(env, extra...)}
}

// serve starts `serve` on a free loopback port, killed when the test ends,
// and returns the process and its base URL.
func (b *binaryStack) serve(t *testing.T) (*exec.Cmd, string) {
	t.Helper()
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(b.bin, "serve", "--addr", addr)
	cmd.Env = b.env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, "http://" + addr
}
