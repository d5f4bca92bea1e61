package threads

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"parley/internal/testpeers/redispeer"
)

// durableEnv is a store with ReplicaWait on the server at addr, with alice
// and bob in the room design.
func durableEnv(t *testing.T, addr string, timeout time.Duration) *env {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	t.Cleanup(func() { _ = c.Close() })
	clock := newClock()
	s := New(c, Options{Prefix: "t:durable:", Now: clock.Now, ReplicaWait: 1, ReplicaWaitTimeout: timeout})
	e := &env{Store: s, clock: clock, ctx: context.Background()}
	e.seed(t, "alice", "bob")
	e.room(t, "design", Group, "alice", "bob")
	return e
}

// TestDurablePostWaitsForReplica: with ReplicaWait 1 a post returns only
// once the replica has the line: read from the replica right after, it is
// there.
func TestDurablePostWaitsForReplica(t *testing.T) {
	outsideCluster(t)
	master := redispeer.StartServer(t)
	host, port, _ := net.SplitHostPort(master)
	replica := redis.NewClient(&redis.Options{Addr: redispeer.StartServer(t, "--replicaof", host, port), Protocol: 2})
	defer replica.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		info, _ := replica.Info(context.Background(), "replication").Result()
		if strings.Contains(info, "master_link_status:up") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica did not sync within 20 s:\n%s", info)
		}
		time.Sleep(20 * time.Millisecond)
	}
	e := durableEnv(t, master, 5*time.Second)
	for i := range 20 {
		p, err := e.Chat.Post(e.ctx, NewLine{Room: "design", Author: "alice", Text: "kept twice", Origin: FromAPI})
		if err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
		n, err := replica.XLen(e.ctx, e.Chat.k.lines("design")).Result()
		if err != nil || n != int64(i+1) {
			t.Fatalf("after post %d (%s) the replica holds %d lines (%v), want %d", i, p.Line.ID, n, err, i+1)
		}
	}
}

// TestDurablePostWithoutReplica: with no replica to acknowledge, the post
// fails with ErrReplicas (the door answers "try again"); the line is
// stored once however often the sender retries.
func TestDurablePostWithoutReplica(t *testing.T) {
	outsideCluster(t)
	e := durableEnv(t, redispeer.StartServer(t), 50*time.Millisecond)
	for range 2 {
		_, err := e.Chat.Post(e.ctx, NewLine{Room: "design", Author: "alice", Text: "not replicated", Origin: FromEmail,
			SourceID: "<once@example.org>"})
		if !errors.Is(err, ErrReplicas) || !strings.Contains(err.Error(), "0 of 1 within 50ms") {
			t.Fatalf("post without a replica: %v, want ErrReplicas", err)
		}
	}
	lines, err := e.Chat.Lines(e.ctx, "design", Range{})
	if err != nil || len(lines) != 1 {
		t.Fatalf("lines after two tries: %d, %v; want 1", len(lines), err)
	}
}

// TestSentinelFailoverKeepsAcknowledgedLines: lines acknowledged with
// ReplicaWait 1 survive the master's death: after the sentinel promotes
// the replica, every one is there, and posts work again without a restart
// (the time it took is logged; Sentinel notices a dead master after its
// down-after time, 1 s here).
func TestSentinelFailoverKeepsAcknowledgedLines(t *testing.T) {
	outsideCluster(t)
	if testing.Short() {
		t.Skip("-short: the failover starts three redis-servers and waits for the sentinel")
	}
	master := redispeer.StartServer(t)
	host, port, _ := net.SplitHostPort(master)
	replicaAddr := redispeer.StartServer(t, "--replicaof", host, port)
	replica := redis.NewClient(&redis.Options{Addr: replicaAddr, Protocol: 2})
	defer replica.Close()
	waitUntil(t, "the replica to sync", 20*time.Second, func() bool {
		info, _ := replica.Info(context.Background(), "replication").Result()
		return strings.Contains(info, "master_link_status:up")
	})
	const name = "failover"
	sentinel := redispeer.StartSentinel(t, master, name, "sentinel down-after-milliseconds "+name+" 1000",
		"sentinel failover-timeout "+name+" 5000")
	sc := redis.NewSentinelClient(&redis.Options{Addr: sentinel, Protocol: 2})
	defer sc.Close()
	waitUntil(t, "the sentinel to know the replica", 30*time.Second, func() bool {
		rs, err := sc.Replicas(context.Background(), name).Result()
		return err == nil && len(rs) == 1
	})
	fc := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: name, SentinelAddrs: []string{sentinel}, Protocol: 2,
		DialTimeout: 500 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: -1})
	defer fc.Close()
	clock := newClock()
	opts := Options{Prefix: "t:failover:", Now: clock.Now, ReplicaWait: 1, ReplicaWaitTimeout: 2 * time.Second}
	e := &env{Store: New(fc, opts), clock: clock, ctx: context.Background()}
	e.seed(t, "alice", "bob")
	e.room(t, "design", Group, "alice", "bob")
	var acked []string
	for i := range 30 {
		p, err := e.Chat.Post(e.ctx, NewLine{Room: "design", Author: "alice", Text: "acknowledged " + strconv.Itoa(i), Origin: FromAPI})
		if err != nil {
			t.Fatalf("post %d before the failover: %v", i, err)
		}
		acked = append(acked, p.Line.ID)
	}
	// The master dies without writing anything more (no persistence).
	killed := time.Now()
	_ = redis.NewClient(&redis.Options{Addr: master, Protocol: 2}).Do(e.ctx, "shutdown", "nosave").Err()
	// The new master has no replica of its own: posts after the failover
	// are measured without the wait.
	opts.ReplicaWait = 0
	after := New(fc, opts)
	var took time.Duration
	waitUntil(t, "a post to succeed after the failover", 60*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(e.ctx, 2*time.Second)
		defer cancel()
		_, err := after.Chat.Post(ctx, NewLine{Room: "design", Author: "bob", Text: "after the failover", Origin: FromAPI})
		took = time.Since(killed)
		return err == nil
	})
	t.Logf("writable again %s after the master died", took.Round(10*time.Millisecond))
	lines, err := after.Chat.Lines(e.ctx, "design", Range{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, l := range lines {
		have[l.ID] = true
	}
	for _, id := range acked {
		if !have[id] {
			t.Errorf("acknowledged line %s is gone after the failover", id)
		}
	}
	if len(lines) != len(acked)+1 {
		t.Errorf("%d lines after the failover, want the %d acknowledged and one more", len(lines), len(acked))
	}
}

// waitUntil polls cond until it holds or d passes.
func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// outsideCluster skips a test of its own servers in the package's run on
// a cluster (TestEngineOnCluster), which would only repeat it.
func outsideCluster(t *testing.T) {
	t.Helper()
	if os.Getenv(redispeer.ClusterEnv) != "" {
		t.Skip("starts its own servers; run once, outside the cluster run")
	}
}
