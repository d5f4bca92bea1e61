package twiliosms

import (
	"context"
	"sync"
	"time"
)

// limiter is a token bucket per sender (a phone number or a messaging
// service), counting SMS segments. A text that needs more segments than
// the bucket holds is let through once the bucket has refilled enough: the
// bucket goes into debt, and the texts after it wait for the debt too.
type limiter struct {
	rate  float64 // segments per second
	burst float64 // segments the bucket holds
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate float64, burst int, now func() time.Time) *limiter {
	return &limiter{rate: rate, burst: float64(burst), now: now, buckets: make(map[string]*bucket)}
}

// reserve takes n segments from key's bucket and returns how long the
// caller must wait before sending them.
func (l *limiter) reserve(key string, n int) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	if now.After(b.last) {
		b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
		b.last = now
	}
	b.tokens -= float64(n)
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / l.rate * float64(time.Second))
}

// refund gives back n segments that a cancelled caller did not send.
func (l *limiter) refund(key string, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.buckets[key]; ok {
		b.tokens = min(l.burst, b.tokens+float64(n))
	}
}

// wait blocks until key may send n segments, or ctx ends.
func (l *limiter) wait(ctx context.Context, key string, n int) error {
	d := l.reserve(key, n)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		l.refund(key, n)
		return ctx.Err()
	}
}
