package main

import (
	"fmt"
	"math"
	"runtime/debug"
	"time"

	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
	"knacksync/internal/knacksim/vespagen"
)

// newVespaSimulator builds a simulator holding generated VESPA data (sim,
// demo and the benches). Records go straight from the generator into the
// simulator's store (Put encodes each one), so that the process never holds
// the whole dataset as maps: about 800 MB at the vespa scale. The data are
// dated relative to today (UTC): the same seed gives the same records all
// day.
func newVespaSimulator(scale vespagen.Scale, seed int64, opts knacksim.Options) (srv *knacksim.Server, err error) {
	opts.Dataset = &knacksim.Dataset{Schema: vespagen.Schema()}
	if srv, err = knacksim.New(opts); err != nil {
		return nil, err
	}
	// Put panics on a record it cannot store (it is a test helper): report
	// that as an error like any other.
	defer func() {
		if p := recover(); p != nil {
			srv.Close()
			srv, err = nil, fmt.Errorf("store generated record: %v", p)
		}
	}()
	today := time.Now().UTC().Truncate(24 * time.Hour)
	_, err = vespagen.GenerateEach(scale, seed, today, func(object string, r knack.Record) error {
		srv.Put(object, r)
		return nil
	})
	if err != nil {
		srv.Close()
		return nil, err
	}
	debug.FreeOSMemory()
	return srv, nil
}

// liftMemoryLimit removes main's memory budget (the service's, on a 512 MB
// machine) in processes that hold a simulator: it keeps about 400 MB of
// records at the vespa scale by design, and under that budget the collector
// would run without pause. GOMEMLIMIT, when set, still rules.
func liftMemoryLimit(getenv func(string) string) {
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(math.MaxInt64)
	}
}
