package threads

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// liveSignal waits until the process follows the wake channel and returns
// the current generation's channel.
func liveSignal(t *testing.T, e *env) <-chan struct{} {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if sig := e.Queue.wake.signal(); sig != nil {
			return sig
		}
		if time.Now().After(deadline) {
			t.Fatal("the wake channel was not subscribed within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPostNudgesIdleWorkers: a post that queues jobs publishes a nudge,
// which closes the signal a waiting Claim holds; one that queues none
// does not.
func TestPostNudgesIdleWorkers(t *testing.T) {
	e := queueEnv(t)
	sig := liveSignal(t, e)
	e.post(t, "design", "alice", "jobs for bob and carol")
	select {
	case <-sig:
	case <-time.After(5 * time.Second):
		t.Fatal("a post that queued jobs did not wake the workers")
	}
	if n := e.Queue.wake.received(); n != 1 {
		t.Fatalf("%d nudges for one post, want 1", n)
	}

	// Everyone online: the line goes live only, no job, no nudge. A
	// second post that queues jobs then shows the first sent none.
	e.room(t, "live", Group, "alice", "bob")
	if err := e.Chat.Heartbeat(e.ctx, "bob", Beat{}); err != nil { // bob reads live
		t.Fatal(err)
	}
	sig = e.Queue.wake.signal()
	e.post(t, "live", "alice", "read live")
	e.post(t, "design", "alice", "jobs again")
	select {
	case <-sig:
	case <-time.After(5 * time.Second):
		t.Fatal("the second post that queued jobs did not wake the workers")
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.Queue.wake.received() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := e.Queue.wake.received(); n != 2 {
		t.Fatalf("%d nudges after a post with jobs, one without and one with; want 2", n)
	}
}

// TestClaimWokenByNudge: a Claim waiting on an empty queue returns the jobs
// of a post made while it waits. On a cluster the line's jobs for bob and
// carol may be in two queue shards on two masters, written one after the
// other: the woken Claim may see the first shard's before the second's
// (it failed in CI so, claiming 1 of 2), and the next Claim has the rest.
func TestClaimWokenByNudge(t *testing.T) {
	e := queueEnv(t)
	liveSignal(t, e)
	got := make(chan []Job, 1)
	go func() {
		jobs, err := e.Queue.Claim(e.ctx, ClaimOptions{Consumer: "w", Wait: 30 * time.Second})
		if err != nil {
			t.Error(err)
		}
		got <- jobs
	}()
	time.Sleep(20 * time.Millisecond) // let it find the queue empty (either way it must return the jobs)
	e.post(t, "design", "alice", "while waiting")
	var jobs []Job
	select {
	case jobs = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("a waiting Claim did not return the new jobs")
	}
	if len(jobs) == 0 {
		t.Fatal("the woken Claim returned no job")
	}
	for deadline := time.Now().Add(5 * time.Second); len(jobs) < 2 && time.Now().Before(deadline); {
		more, err := e.Queue.Claim(e.ctx, ClaimOptions{Consumer: "w", Wait: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, more...)
	}
	var members []string
	for _, j := range jobs {
		members = append(members, j.Member)
	}
	slices.Sort(members)
	if !slices.Equal(members, []string{"bob", "carol"}) {
		t.Fatalf("claimed jobs for %v, want bob and carol", members)
	}
}

// TestWakeSubscriptionIsNeverDropped: the wake subscription is lossy: a
// reader that does not keep up misses nudges but keeps its subscription,
// unlike a page, which is dropped once subscriberBuffer events wait.
func TestWakeSubscriptionIsNeverDropped(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	lossy, err := e.Queue.wake.subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lossy.Close()
	page, err := e.Chat.subscribe(ctx, "", []string{e.Chat.k.wake()})
	if err != nil {
		t.Fatal(err)
	}
	defer page.Close()
	const nudges = subscriberBuffer + 10
	publish(t, e, nudges)
	// The page, not read either, is dropped once its buffer is full:
	// proof that the hub handed on every nudge. (Reading it before then
	// would make room.)
	deadline := time.Now().Add(10 * time.Second)
	for !dropped(e, page) {
		if time.Now().After(deadline) {
			t.Fatalf("the page was not dropped within 10 s; %d events wait", len(page.C))
		}
		time.Sleep(5 * time.Millisecond)
	}
	n := 0
	for range page.C {
		n++
	}
	if n != subscriberBuffer {
		t.Fatalf("the page got %d events before it was dropped, want %d", n, subscriberBuffer)
	}
	if ev, ok := <-lossy.C; !ok || ev.Kind != wakeEvent {
		t.Fatalf("the wake subscription: %+v, open %v", ev, ok)
	}
	publish(t, e, 1)
	select {
	case ev, ok := <-lossy.C:
		if !ok || ev.Kind != wakeEvent {
			t.Fatalf("after skipping nudges the wake subscription gave %+v, open %v", ev, ok)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the wake subscription stopped receiving after it skipped nudges")
	}
}

// publish sends n nudges as fan-out does (sharded on a cluster).
func publish(t *testing.T, e *env, n int) {
	t.Helper()
	_, err := e.Chat.rdb.Pipelined(e.ctx, func(p redis.Pipeliner) error {
		for range n {
			e.Queue.nudge(e.ctx, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// dropped tells whether the hub has ended sub.
func dropped(e *env, sub *Subscription) bool {
	e.Chat.hub.mu.Lock()
	defer e.Chat.hub.mu.Unlock()
	return sub.closed
}
