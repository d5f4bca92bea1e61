package threads

import (
	"fmt"
	"sync"
	"testing"
)

// TestPostDetach: detached posts return once stored; the background loop
// routes them all, each member's job queued once, and clears their
// "fan-out due" records.
func TestPostDetach(t *testing.T) {
	e := queueEnv(t)
	const n = 150
	var wg sync.WaitGroup
	ids := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := e.Chat.Post(e.ctx, NewLine{Room: "design", Author: "alice", Text: fmt.Sprint("line ", i),
				Origin: FromEmail, SourceID: fmt.Sprintf("email:<%d@x>", i), Detach: true})
			if err != nil {
				t.Error(err)
				return
			}
			if p.Routes != nil || p.Line.ID == "" {
				t.Errorf("detached post returned %+v", p)
			}
			ids[i] = p.Line.ID
		}()
	}
	wg.Wait()
	if err := e.Chat.Drain(e.ctx); err != nil {
		t.Fatal(err)
	}
	if due, err := e.redis.Client.ZCard(e.ctx, e.k.pending("design")).Result(); err != nil || due != 0 {
		t.Fatalf("%d lines still due for fan-out (%v)", due, err)
	}
	if n := len(e.Chat.detached.reading); n != 0 {
		t.Errorf("claims of the fan-out's reads left after the posts: %v", e.Chat.detached.reading)
	}
	jobs := map[string]int{}
	for {
		got := e.claim(t, "w")
		if len(got) == 0 {
			break
		}
		for _, j := range got {
			jobs[j.Line+"/"+j.Member]++
		}
	}
	for _, id := range ids {
		for _, m := range []string{"bob", "carol"} {
			if jobs[id+"/"+m] != 1 {
				t.Errorf("line %s: %d jobs for %s, want 1", id, jobs[id+"/"+m], m)
			}
		}
	}
}

// TestPostDetachFull: with the loop's queue full, Post routes the line
// itself before it returns.
func TestPostDetachFull(t *testing.T) {
	e := queueEnv(t)
	e.Chat.detached.mu.Lock()
	e.Chat.detached.queue = make([]pendingFanout, maxDetached)
	e.Chat.detached.running = true // no loop: the queue stays full
	e.Chat.detached.mu.Unlock()
	p, err := e.Chat.Post(e.ctx, NewLine{Room: "design", Author: "alice", Text: "busy", Origin: FromEmail, Detach: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.Routes["bob"].Channel != Email || p.Routes["carol"].Channel != SMS {
		t.Fatalf("routes %+v, want bob email and carol sms, routed before Post returned", p.Routes)
	}
	e.Chat.detached.mu.Lock()
	e.Chat.detached.queue, e.Chat.detached.running = nil, false
	e.Chat.detached.mu.Unlock()
}

// TestFanoutManyLeavesBadLinesDue: a line that cannot be routed (here a
// member's record is unreadable) stays due for recovery; the other lines
// of its batch are routed.
func TestFanoutManyLeavesBadLinesDue(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob", "carol")
	e.room(t, "good", Group, "alice", "bob")
	e.room(t, "bad", Group, "alice", "carol")
	var batch []pendingFanout
	for _, room := range []string{"good", "bad", "good"} {
		line, _, kind, members, pre, err := e.Chat.store(e.ctx, NewLine{Room: room, Author: "alice", Text: "hi " + room, Origin: FromAPI}, "Alice", false)
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, pendingFanout{line: line, kind: kind, members: members, pre: pre})
	}
	if err := e.redis.Client.HSet(e.ctx, e.k.users(), "carol", "{not json").Err(); err != nil {
		t.Fatal(err)
	}
	res, err := e.Chat.fanoutMany(e.ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].err != nil || res[2].err != nil || res[1].err == nil {
		t.Fatalf("errors %v, %v, %v: want only the line in bad to fail", res[0].err, res[1].err, res[2].err)
	}
	for room, want := range map[string]int64{"good": 0, "bad": 1} {
		if due, err := e.redis.Client.ZCard(e.ctx, e.k.pending(room)).Result(); err != nil || due != want {
			t.Errorf("%s: %d lines due (%v), want %d", room, due, err, want)
		}
	}
}

// TestClaimReads: of the detached posts by one author in one room, one at
// a time sends the fan-out's reads, and none while a line of theirs waits
// for the loop; other authors and rooms are not held up.
func TestClaimReads(t *testing.T) {
	var d detacher
	if !d.claimReads("design", "alice") {
		t.Fatal("the first post may not read")
	}
	if d.claimReads("design", "alice") {
		t.Error("a second post read while the first carries the reads")
	}
	if !d.claimReads("design", "bob") || !d.claimReads("ops", "alice") {
		t.Error("another author or room was held up")
	}
	d.releaseReads("design", "alice")
	if !d.claimReads("design", "alice") {
		t.Error("no post may read after the claim ended")
	}
	d.releaseReads("design", "alice")
	d.queued = map[string]int{queuedKey("design", "alice"): 1}
	if d.claimReads("design", "alice") {
		t.Error("a post read while a line of its author waits for the loop")
	}
}
