package handlers

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// failureCounter counts failures per key in a sliding window (sign-in:
// per account and per address). Memory is bounded by pruning on each call.
type failureCounter struct {
	mu     sync.Mutex
	window time.Duration
	limit  int
	hits   map[string][]time.Time
}

func newFailureCounter(limit int, window time.Duration) *failureCounter {
	return &failureCounter{limit: limit, window: window, hits: map[string][]time.Time{}}
}

// Blocked reports whether key has reached the limit within the window.
func (f *failureCounter) Blocked(key string, now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.prune(key, now)) >= f.limit
}

// Add records a failure for key.
func (f *failureCounter) Add(key string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hits[key] = append(f.prune(key, now), now)
	if len(f.hits) > 100_000 { // a flood of distinct keys: forget the oldest state
		for k := range f.hits {
			if len(f.prune(k, now)) == 0 {
				delete(f.hits, k)
			}
		}
	}
}

// Reset forgets key (after a successful sign-in).
func (f *failureCounter) Reset(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.hits, key)
}

func (f *failureCounter) prune(key string, now time.Time) []time.Time {
	h := f.hits[key]
	i := 0
	for i < len(h) && now.Sub(h[i]) >= f.window {
		i++
	}
	h = h[i:]
	if len(h) == 0 {
		delete(f.hits, key)
		return nil
	}
	f.hits[key] = h
	return h
}

// addressLimiter is a token bucket per client address.
type addressLimiter struct {
	mu      sync.Mutex
	perMin  int
	buckets map[string]*rate.Limiter
}

func newAddressLimiter(perMinute int) *addressLimiter {
	return &addressLimiter{perMin: perMinute, buckets: map[string]*rate.Limiter{}}
}

// Allow takes one token for addr.
func (a *addressLimiter) Allow(addr string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	l, ok := a.buckets[addr]
	if !ok {
		if len(a.buckets) > 100_000 {
			a.buckets = map[string]*rate.Limiter{}
		}
		l = rate.NewLimiter(rate.Limit(float64(a.perMin)/60), a.perMin)
		a.buckets[addr] = l
	}
	return l.Allow()
}
