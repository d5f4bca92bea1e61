package threads

import (
	"testing"
	"time"
)

// TestOldestJob: no job, no lag; a waiting job's age grows; once claimed
// and gathered it no longer counts.
func TestOldestJob(t *testing.T) {
	e := queueEnv(t)
	if age, err := e.Queue.OldestJob(e.ctx); err != nil || age != 0 {
		t.Fatalf("empty queue: %v, %v", age, err)
	}
	e.post(t, "design", "alice", "two jobs")
	time.Sleep(20 * time.Millisecond)
	age, err := e.Queue.OldestJob(e.ctx)
	if err != nil || age < 20*time.Millisecond || age > time.Minute {
		t.Fatalf("a job 20 ms old: %v, %v", age, err)
	}
	jobs := e.claim(t, "w")
	if err := e.Queue.Gather(e.ctx, jobs, func(Channel) time.Duration { return 0 }); err != nil {
		t.Fatal(err)
	}
	if age, err := e.Queue.OldestJob(e.ctx); err != nil || age != 0 {
		t.Fatalf("after gathering: %v, %v", age, err)
	}
}

// TestLiveClients counts the open subscriptions, not the wake-up signal.
func TestLiveClients(t *testing.T) {
	e := queueEnv(t)
	liveSignal(t, e)
	if n := e.Chat.LiveClients(); n != 0 {
		t.Fatalf("%d live clients before any page", n)
	}
	a, err := e.Chat.SubscribeRoom(e.ctx, "design")
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Chat.SubscribeUser(e.ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if n := e.Chat.LiveClients(); n != 2 {
		t.Fatalf("%d live clients for two pages", n)
	}
	_ = a.Close()
	_ = b.Close()
	if n := e.Chat.LiveClients(); n != 0 {
		t.Fatalf("%d live clients after both closed", n)
	}
}
