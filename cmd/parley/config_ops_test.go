package main

import (
	"strings"
	"testing"
)

// TestRedisWaitSettings: PARLEY_REDIS_WAIT takes a small number of
// replicas and refuses the embedded store, which has none.
func TestRedisWaitSettings(t *testing.T) {
	for _, c := range []struct{ v, want string }{{"-1", "from 0 to 16"}, {"two", "from 0 to 16"}, {"17", "from 0 to 16"}} {
		r := parley(t, env{"PARLEY_REDIS_WAIT": c.v}, "serve")
		if r.code != exitUsage || !strings.Contains(r.err, "PARLEY_REDIS_WAIT") || !strings.Contains(r.err, c.want) {
			t.Errorf("PARLEY_REDIS_WAIT=%s: exit %d, stderr %q", c.v, r.code, r.err)
		}
	}
	r := parley(t, env{"PARLEY_REDIS_WAIT": "1"}, "serve")
	if r.code != exitUsage || !strings.Contains(r.err, "embedded store has no replicas") {
		t.Errorf("PARLEY_REDIS_WAIT=1 without PARLEY_REDIS_URL: exit %d, stderr %q", r.code, r.err)
	}
	if r := parley(t, env{"PARLEY_METRICS_ADDR": "nope"}, "serve"); r.code != exitUsage || !strings.Contains(r.err, "PARLEY_METRICS_ADDR") {
		t.Errorf("PARLEY_METRICS_ADDR=nope: exit %d, stderr %q", r.code, r.err)
	}
}
