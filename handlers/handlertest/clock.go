package handlertest

import (
	"sync"
	"time"
)

// DefaultStart is where a test clock starts unless told otherwise: a
// Wednesday 10:00 UTC, the example day of SPEC §4.4, so business-day
// arithmetic in tests is easy to follow.
var DefaultStart = time.Date(2026, time.March, 4, 10, 0, 0, 0, time.UTC)

// Clock is a models.Clock that only moves when a test moves it. It is safe
// for use from the HTTP server's goroutines, the worker and the test at once.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock stopped at start (in UTC).
func NewClock(start time.Time) *Clock { return &Clock{now: start.UTC()} }

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t (backwards too).
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t.UTC()
}

// Advance moves the clock forward by d and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}
