// Package recent remembers values read lately from the store, by key, for
// a fixed time, so that a burst of work on the same key costs one lookup.
// It is bounded: when full, it drops what has expired, and everything if
// nothing has.
package recent

import (
	"sync"
	"time"
)

// DefaultMax bounds a Cache whose Max is 0.
const DefaultMax = 10000

// Cache maps keys to values trusted for TTL after they were put. The zero
// value needs TTL set; it is safe for concurrent use.
type Cache[V any] struct {
	// TTL is how long a value is trusted.
	TTL time.Duration
	// Max bounds the entries (DefaultMax when 0).
	Max int

	mu sync.Mutex
	m  map[string]entry[V]
}

type entry[V any] struct {
	v     V
	until time.Time
}

// Get returns the value put for key less than TTL before now.
func (c *Cache[V]) Get(key string, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || !now.Before(e.until) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// Put stores v for key as of now.
func (c *Cache[V]) Put(key string, v V, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	max := c.Max
	if max <= 0 {
		max = DefaultMax
	}
	if c.m == nil {
		c.m = make(map[string]entry[V])
	}
	if len(c.m) >= max {
		for k, e := range c.m {
			if !now.Before(e.until) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= max {
			clear(c.m)
		}
	}
	c.m[key] = entry[V]{v: v, until: now.Add(c.TTL)}
}
