package recent

import (
	"strconv"
	"testing"
	"time"
)

func TestCache(t *testing.T) {
	const ttl = 10 * time.Second
	c := Cache[int]{TTL: ttl, Max: 100}
	t0 := time.Unix(1000, 0)
	if _, ok := c.Get("a", t0); ok {
		t.Fatal("empty cache returned a value")
	}
	c.Put("a", 1, t0)
	if v, ok := c.Get("a", t0.Add(ttl-time.Millisecond)); !ok || v != 1 {
		t.Fatalf("fresh entry: %d, %v", v, ok)
	}
	if _, ok := c.Get("a", t0.Add(ttl)); ok {
		t.Fatal("entry trusted past its TTL")
	}
	// Full of live entries: it starts over rather than grow.
	for i := range c.Max + 5 {
		c.Put(strconv.Itoa(i), i, t0)
	}
	if n := len(c.m); n > c.Max {
		t.Fatalf("cache holds %d entries, more than %d", n, c.Max)
	}
	// Full of expired entries: they go, the live one stays.
	c = Cache[int]{TTL: ttl, Max: 100}
	for i := range c.Max {
		c.Put(strconv.Itoa(i), i, t0)
	}
	later := t0.Add(2 * ttl)
	c.Put("live", 7, later)
	if v, ok := c.Get("live", later); !ok || v != 7 {
		t.Fatalf("live entry lost: %d, %v", v, ok)
	}
	if n := len(c.m); n != 1 {
		t.Fatalf("%d entries after the sweep, want 1", n)
	}
	// Max 0 means DefaultMax.
	var d Cache[int]
	d.TTL = ttl
	for i := range 2 * DefaultMax {
		d.Put(strconv.Itoa(i), i, t0)
	}
	if n := len(d.m); n > DefaultMax {
		t.Fatalf("default cache holds %d entries", n)
	}
}
