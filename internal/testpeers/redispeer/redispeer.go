// Package redispeer gives each test its own corner of a Redis server: the
// one in REDIS_URL when set; else a redis-server started on a free loopback
// port when the binary exists; else, off CI, an in-process miniredis as a
// stand-in (under CI=true a missing redis-server fails the test, by the
// rule of package testpeers).
package redispeer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"parley/internal/peerproc"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"parley/internal/redisclient"
	"parley/internal/testpeers"
)

// Redis is one test's Redis.
type Redis struct {
	// Client talks to the server.
	Client redis.UniversalClient
	// Prefix is this test's key prefix; every key it writes must start with it.
	Prefix string
	// Kind says which server: "REDIS_URL", "redis-server", "miniredis" or
	// "cluster" (a Redis Cluster named by PARLEY_TEST_CLUSTER).
	Kind string
	// Mini is the in-process server when Kind is "miniredis", for tests that
	// move its clock; nil otherwise.
	Mini *miniredis.Miniredis
	// Addr is the server's host:port (a cluster's first node).
	Addr string
	// URL is the server as PARLEY_REDIS_URL names it (redis:// or
	// redis+cluster://).
	URL string
}

// New returns a Redis for t. Keys under its prefix are deleted and servers
// it started are stopped when t ends.
func New(t testing.TB) *Redis {
	t.Helper()
	r := &Redis{Prefix: "t:" + randomHex(6) + ":"}
	switch url := os.Getenv("REDIS_URL"); {
	case os.Getenv(ClusterEnv) != "":
		c, addr, err := newClusterClient(os.Getenv(ClusterEnv))
		if err != nil {
			t.Fatal(err)
		}
		r.Kind, r.Addr, r.Client = "cluster", addr, c
		r.URL = "redis+cluster://" + os.Getenv(ClusterEnv)
	case url != "":
		opt, err := redis.ParseURL(url)
		if err != nil {
			t.Fatalf("REDIS_URL: %v", err)
		}
		r.Kind, r.Addr = "REDIS_URL", opt.Addr
		r.Client = redisclient.New(opt)
	default:
		if _, ok := testpeers.LookProgram("redis-server"); ok {
			r.Kind, r.Addr = "redis-server", StartServer(t)
		} else {
			testpeers.StandIn(t, "redis-server is not installed and REDIS_URL is not set", Install, "miniredis")
			r.Kind = "miniredis"
			r.Mini = miniredis.RunT(t)
			r.Addr = r.Mini.Addr()
		}
		r.Client = redisclient.New(&redis.Options{Addr: r.Addr})
	}
	if r.URL == "" {
		r.URL = "redis://" + r.Addr
	}
	ctx := context.Background()
	if err := r.Client.Ping(ctx).Err(); err != nil {
		t.Fatalf("redis at %s (%s): %v", r.Addr, r.Kind, err)
	}
	t.Cleanup(func() {
		r.cleanup(t)
		_ = r.Client.Close()
	})
	return r
}

// cleanup deletes every key under the prefix, on every master of a
// cluster.
func (r *Redis) cleanup(t testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	keys, err := r.Keys(ctx, r.Prefix+"*")
	if err != nil {
		t.Logf("clean up redis keys %s*: %v", r.Prefix, err)
	}
	_, err = r.Client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Del(ctx, k)
		}
		return nil
	})
	if err != nil {
		t.Logf("clean up redis keys %s*: %v", r.Prefix, err)
	}
}

// Install is the command that installs redis-server.
var Install = testpeers.Apt("redis-server")

// StartServer starts a throwaway redis-server (no persistence) on a free
// loopback port, stopped when t ends, and returns its address. Tests that
// restart or kill Redis use it directly. extra are more server arguments.
func StartServer(t testing.TB, extra ...string) string {
	t.Helper()
	bin := testpeers.Program(t, "redis-server", Install)
	addr, stop, err := peerproc.LaunchRedis(bin, t.TempDir(), extra...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return addr
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return hex.EncodeToString(b)
}
