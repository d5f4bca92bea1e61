package inbound

import (
	"strconv"
	"testing"
	"time"
)

func TestRecent(t *testing.T) {
	var r recent[int]
	t0 := time.Unix(1000, 0)
	if _, ok := r.get("a", t0); ok {
		t.Fatal("empty cache returned a value")
	}
	r.put("a", 1, t0)
	if v, ok := r.get("a", t0.Add(trustFor-time.Millisecond)); !ok || v != 1 {
		t.Fatalf("fresh entry: %d, %v", v, ok)
	}
	if _, ok := r.get("a", t0.Add(trustFor)); ok {
		t.Fatal("entry trusted past trustFor")
	}
	// Full of live entries: it starts over rather than grow.
	for i := range maxRecent + 5 {
		r.put(strconv.Itoa(i), i, t0)
	}
	if n := len(r.m); n > maxRecent {
		t.Fatalf("cache holds %d entries, more than %d", n, maxRecent)
	}
	// Full of expired entries: they go, the live one stays.
	r = recent[int]{}
	for i := range maxRecent {
		r.put(strconv.Itoa(i), i, t0)
	}
	later := t0.Add(2 * trustFor)
	r.put("live", 7, later)
	if v, ok := r.get("live", later); !ok || v != 7 {
		t.Fatalf("live entry lost: %d, %v", v, ok)
	}
	if n := len(r.m); n != 1 {
		t.Fatalf("%d entries after the sweep, want 1", n)
	}
}
