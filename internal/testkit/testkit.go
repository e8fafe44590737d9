// Package testkit holds what the tests of several packages share: the
// injected clock and the generated data sets at the tests' epoch. Only tests
// import it.
package testkit

import (
	"sync"
	"time"

	"knacksync/internal/knacksim"
	"knacksync/internal/knacksim/vespagen"
)

// Epoch is the tests' wall clock: 20 November 2025, 12:00 UTC, so that the
// generated data's academic year (2025/2026) is the current one whatever
// day the tests run, and the app's timezone (London) is UTC.
var Epoch = time.Date(2025, 11, 20, 12, 0, 0, 0, time.UTC)

// Clock is an injected clock. Every reading is a millisecond later than the
// last, as a real clock would be, so that "seen since the sweep started"
// comparisons behave as in production; Set and Advance move it further.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock reading t (and a millisecond more each time).
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the next reading.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Advance moves the clock d on.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Tiny is the tiny generated data set (seed 1) at Epoch and its manifest of
// dirty cases, generated once per test binary and shared read-only (the
// simulator copies what it serves).
var Tiny = sync.OnceValues(func() (Dataset, error) {
	ds, dirty, err := vespagen.GenerateWithManifest(vespagen.Tiny, 1, Epoch)
	return Dataset{ds, dirty}, err
})

// Small is the small generated data set (10 schools, ~2,000 students, seed
// 1) at Epoch, generated once and shared read-only.
var Small = sync.OnceValues(func() (*knacksim.Dataset, error) {
	return vespagen.Generate(vespagen.Small, 1, Epoch)
})

// Dataset is a generated data set with its manifest.
type Dataset struct {
	Data  *knacksim.Dataset
	Dirty *vespagen.Dirty
}
