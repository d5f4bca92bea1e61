package threads

import (
	"context"
	"errors"
	"net"
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
