package main

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"parley/internal/testpeers/redispeer"
)

// TestCLIOnCluster runs this package's tests again with PARLEY_REDIS_URL
// naming a real three-master Redis Cluster (redis+cluster://...): every
// command and serve must work there as on one server. The demo and the
// browser test run on the embedded store whatever the URL, so they are
// not run twice.
func TestCLIOnCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the cluster run starts three redis-servers")
	}
	redispeer.RunOnCluster(t, "^Test", "^TestCLIOnCluster$|^TestDemo|^TestBrowser|^TestCLIOnSentinel$")
}

// TestCLIOnSentinel: with PARLEY_REDIS_URL naming a Sentinel group, the
// CLI finds the master through the sentinel and works on it.
func TestCLIOnSentinel(t *testing.T) {
	master := redispeer.StartServer(t)
	sentinel := redispeer.StartSentinel(t, master, "parleymaster")
	e := env{"PARLEY_REDIS_URL": "redis+sentinel://" + sentinel + "/parleymaster", "PARLEY_KEY_PREFIX": "t:sentinel:"}
	for _, args := range [][]string{
		{"user", "add", "--id", "alice", "--name", "Alice", "--email", "alice@example.org"},
		{"user", "add", "--id", "bob", "--name", "Bob", "--email", "bob@example.org"},
		{"room", "create", "--id", "design", "--name", "Design", "--members", "alice,bob"},
		{"post", "--room", "design", "--as", "alice", "through the sentinel"},
	} {
		if r := parley(t, e, args...); r.code != 0 {
			t.Fatalf("parley %v: exit %d: %s", args, r.code, r.err)
		}
	}
	r := parley(t, e, "lines", "--room", "design")
	if r.code != 0 || !strings.Contains(r.out, "through the sentinel") {
		t.Fatalf("lines through the sentinel: exit %d, %q %s", r.code, r.out, r.err)
	}
	// The line is on the master itself.
	rdb := redis.NewClient(&redis.Options{Addr: master})
	defer rdb.Close()
	if n, err := rdb.XLen(context.Background(), "t:sentinel:{r:design}:lines").Result(); err != nil || n != 1 {
		t.Fatalf("master holds %d lines, %v", n, err)
	}
}
