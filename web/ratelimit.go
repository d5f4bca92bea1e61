package web

import (
	"net/http"
	"sync"
	"time"
)

// limiter is a token bucket per key (a member's id, or a client address
// before sign-in): rate tokens a minute, up to a burst of a tenth of it.
// It lives in the process: behind several parley servers each counts its
// own requests, which is enough to stop a runaway script.
type limiter struct {
	mu      sync.Mutex
	now     func() time.Time
	perSec  float64
	burst   float64
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBuckets bounds the memory the limiter holds; full buckets (clients
// that went quiet) are dropped first when it is reached.
const maxBuckets = 10000

func newLimiter(perMinute int, now func() time.Time) *limiter {
	return &limiter{now: now, perSec: float64(perMinute) / 60, burst: max(float64(perMinute)/10, 1),
		buckets: map[string]*bucket{}}
}

// allow takes one token for key; when none is left it says how long until
// one is.
func (l *limiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.perSec)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.perSec * float64(time.Second))
}

// sweep drops the buckets that have refilled: forgetting them changes nothing.
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.perSec >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// limit checks key's budget and returns a 429 error when it is spent.
func (h *handler) limit(key string) error {
	if ok, wait := h.limits.allow(key); !ok {
		return &httpError{status: http.StatusTooManyRequests, code: "rate_limited",
			msg: "too many requests; slow down", retryAfter: wait}
	}
	return nil
}
