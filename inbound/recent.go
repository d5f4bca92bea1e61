package inbound

import (
	"sync"
	"time"
)

// A busy member's replies arrive one after another, each needing their
// reply token resolved (at RCPT and again at DATA) and their record read
// (to check the sender). The receiver trusts what it read for trustFor, so
// that a burst costs one lookup of each. The price is that a revoked token,
// or an address removed from a member, still works in this process for up
// to trustFor.

// trustFor is how long the receiver trusts a token resolution or a member
// record it read.
const trustFor = 10 * time.Second

// maxRecent bounds the entries a recent cache keeps.
const maxRecent = 10000

// recent remembers values read lately, by key, for trustFor.
type recent[V any] struct {
	mu sync.Mutex
	m  map[string]recentEntry[V]
}

type recentEntry[V any] struct {
	v     V
	until time.Time
}

// get returns the value stored for key less than trustFor ago.
func (r *recent[V]) get(key string, now time.Time) (V, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.m[key]
	if !ok || !now.Before(e.until) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// put stores v for key. When the cache is full it drops what has
// expired, and everything if nothing has.
func (r *recent[V]) put(key string, v V, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = make(map[string]recentEntry[V])
	}
	if len(r.m) >= maxRecent {
		for k, e := range r.m {
			if !now.Before(e.until) {
				delete(r.m, k)
			}
		}
		if len(r.m) >= maxRecent {
			clear(r.m)
		}
	}
	r.m[key] = recentEntry[V]{v: v, until: now.Add(trustFor)}
}
