package syncer_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A sweep against a Knack that answers 10% of requests with a 5xx, lets 5%
// hang until the client gives up, and jitters every answer, ends with exactly
// the database a clean sweep gives.
func TestSweepConvergesUnderFaults(t *testing.T) {
	t.Parallel()
	clean := setup(t, options{rowsPerPage: 2})
	clean.sweep(t)

	faulty := setup(t, options{rowsPerPage: 2, maxRetries: 8, timeout: 300 * time.Millisecond})
	faulty.sim.SetFailRate(0.10)
	faulty.sim.SetTimeoutRate(0.05)
	faulty.sim.SetLatency(2*time.Millisecond, 30*time.Millisecond)
	faulty.sweep(t)

	c := faulty.sim.Counts()
	if c.Failed == 0 || c.TimedOut == 0 {
		t.Fatalf("no fault was injected (%d 5xx, %d timeouts): the test proves nothing", c.Failed, c.TimedOut)
	}
	if diff := cmp.Diff(dump(t, clean.pool), dump(t, faulty.pool)); diff != "" {
		t.Errorf("database after a faulty sweep differs from a clean one (-clean +faulty):\n%s", diff)
	}
	t.Logf("faults survived: %d requests, %d answered 5xx, %d timed out", c.Total, c.Failed, c.TimedOut)
}
