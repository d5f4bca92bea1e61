package threads

import (
	"errors"
	"testing"
	"time"
)

// queueEnv: alice posts, bob (away, email) and carol (offline with a phone)
// get jobs.
func queueEnv(t *testing.T) *env {
	e := newEnv(t)
	e.seed(t, "alice", "bob")
	if _, err := e.Directory.AddUser(e.ctx, User{ID: "carol", Name: "Carol", Phone: "+15550001111", PhoneVerified: true}); err != nil {
		t.Fatal(err)
	}
	e.room(t, "design", Group, "alice", "bob", "carol")
	return e
}

func (e *env) claim(t *testing.T, consumer string) []Job {
	t.Helper()
	jobs, err := e.Queue.Claim(e.ctx, ClaimOptions{Consumer: consumer})
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

func TestQueueClaimAck(t *testing.T) {
	e := queueEnv(t)
	if jobs := e.claim(t, "w1"); len(jobs) != 0 {
		t.Fatalf("empty queue gave %v", jobs)
	}
	p := e.post(t, "design", "alice", "hello")
	jobs := e.claim(t, "w1")
	if len(jobs) != 2 {
		t.Fatalf("claimed %d jobs, want 2: %+v", len(jobs), jobs)
	}
	got := map[string]Channel{}
	for _, j := range jobs {
		got[j.Member] = j.Channel
		if j.Line != p.Line.ID || j.Room != "design" || j.Attempt != 0 || !j.Queued.Equal(e.clock.Now()) {
			t.Errorf("job = %+v", j)
		}
	}
	if got["bob"] != Email || got["carol"] != SMS {
		t.Fatalf("jobs by member = %v, want bob email, carol sms (carol has no email)", got)
	}
	if again := e.claim(t, "w2"); len(again) != 0 {
		t.Fatalf("claimed jobs handed out again: %+v", again)
	}
	if err := e.Queue.Ack(e.ctx, jobs...); err != nil {
		t.Fatal(err)
	}
	st, _ := e.Queue.Stats(e.ctx)
	if st != (QueueStats{}) {
		t.Fatalf("after ack: %+v", st)
	}
	if err := e.Queue.Ack(e.ctx, Job{Room: "design"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("ack of an unclaimed job: %v", err)
	}
	if _, err := e.Queue.Claim(e.ctx, ClaimOptions{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("claim without consumer: %v", err)
	}
}

// TestQueueIdempotent: a job queued twice (a fan-out run twice) folds away
// when it is gathered after it was delivered: no batch is made of it.
func TestQueueIdempotent(t *testing.T) {
	e := queueEnv(t)
	p := e.post(t, "design", "alice", "hello")
	if err := e.Queue.Ack(e.ctx, e.claim(t, "w1")...); err != nil {
		t.Fatal(err)
	}
	// The same fan-out again, as after a crash and recovery.
	if _, _, err := e.Chat.fanout(e.ctx, p.Line, Group, []string{"alice", "bob", "carol"}, nil); err != nil {
		t.Fatal(err)
	}
	if n := e.gatherAll(t, 0); n != 2 {
		t.Fatalf("claimed %d jobs of the second fan-out, want 2", n)
	}
	if st, _ := e.Queue.Stats(e.ctx); st != (QueueStats{}) {
		t.Fatalf("duplicates left in the queue: %+v", st)
	}
}

// TestQueueEntryHoldsALinesJobs: the jobs of one line for the members of
// one shard share a queue entry; they are claimed together and settled
// only together, so none of them can be dropped by settling another.
func TestQueueEntryHoldsALinesJobs(t *testing.T) {
	e := newEnv(t)
	// Every member on one shard: one entry a line.
	e.Store = New(e.redis.Client, Options{Prefix: e.redis.Prefix, Now: e.clock.Now, QueueShards: 1})
	members := []string{"alice", "bob", "carol", "dave"}
	e.seed(t, members...)
	e.room(t, "design", Group, members...)
	p := e.post(t, "design", "alice", "hello")
	if st, _ := e.Queue.Stats(e.ctx); st.Waiting != 1 {
		t.Fatalf("queue entries = %d, want 1 for the line's 3 jobs", st.Waiting)
	}
	jobs := e.claim(t, "w")
	if len(jobs) != 3 {
		t.Fatalf("claimed %+v, want 3 jobs", jobs)
	}
	for _, j := range jobs {
		if j.Line != p.Line.ID || j.Room != "design" || j.Member == "alice" {
			t.Errorf("job = %+v", j)
		}
	}
	if err := e.Queue.Ack(e.ctx, jobs[0]); !errors.Is(err, ErrInvalid) {
		t.Fatalf("ack of one job of three: %v, want ErrInvalid", err)
	}
	if err := e.Queue.Gather(e.ctx, jobs[1:], func(Channel) time.Duration { return 0 }); !errors.Is(err, ErrInvalid) {
		t.Fatalf("gather of two jobs of three: %v, want ErrInvalid", err)
	}
	if err := e.Queue.Gather(e.ctx, []Job{jobs[0], jobs[1], jobs[1]}, func(Channel) time.Duration { return 0 }); !errors.Is(err, ErrInvalid) {
		t.Fatalf("gather of a job twice, another left out: %v, want ErrInvalid", err)
	}
	if err := e.Queue.Gather(e.ctx, jobs, func(Channel) time.Duration { return 0 }); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.Queue.Stats(e.ctx); st.Waiting != 0 || st.Batches != 3 {
		t.Fatalf("after gathering: %+v, want no entry and 3 batches", st)
	}
}

// TestBackoff: the wait before a batch's next attempt doubles per attempt,
// with jitter in its second half (Rand is 0.5), up to MaxBackoff.
func TestBackoff(t *testing.T) {
	e := queueEnv(t)
	for attempt, want := range map[int]time.Duration{1: 22500 * time.Millisecond, 2: 45 * time.Second, 8: 45 * time.Minute, 30: 45 * time.Minute} {
		if got := e.Queue.Backoff(attempt); got != want {
			t.Errorf("Backoff(%d) = %s, want %s", attempt, got, want)
		}
	}
}

// TestQueueReclaim: a worker claims jobs and dies; after the idle time
// another worker takes them over; the dead worker's late ack does not
// make the job go twice.
func TestQueueReclaim(t *testing.T) {
	e := queueEnv(t)
	e.post(t, "design", "alice", "hello")
	lost := e.claim(t, "dying")
	if len(lost) != 2 {
		t.Fatalf("claimed %d", len(lost))
	}
	got, err := e.Queue.Reclaim(e.ctx, "rescuer", time.Hour, 10)
	if err != nil || len(got) != 0 {
		t.Fatalf("reclaimed fresh jobs: %+v, %v", got, err)
	}
	time.Sleep(30 * time.Millisecond) // XAUTOCLAIM idle time is Redis's own clock
	got, err = e.Queue.Reclaim(e.ctx, "rescuer", 10*time.Millisecond, 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("Reclaim = %+v, %v; want the 2 lost jobs", got, err)
	}
	if err := e.Queue.Ack(e.ctx, got...); err != nil {
		t.Fatal(err)
	}
	// The dying worker wakes up and settles one: it was delivered, nothing happens.
	if err := e.Queue.Ack(e.ctx, lost[0]); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Hour)
	if jobs := e.claim(t, "rescuer"); len(jobs) != 0 {
		t.Fatalf("a settled job came back: %+v", jobs)
	}
	if st, _ := e.Queue.Stats(e.ctx); st != (QueueStats{}) {
		t.Fatalf("queue after reclaim: %+v", st)
	}
}

func TestClaimWaits(t *testing.T) {
	e := queueEnv(t)
	start := time.Now()
	jobs, err := e.Queue.Claim(e.ctx, ClaimOptions{Consumer: "w", Wait: 100 * time.Millisecond})
	if err != nil || len(jobs) != 0 {
		t.Fatalf("Claim on empty queue = %v, %v", jobs, err)
	}
	if time.Since(start) < 50*time.Millisecond {
		t.Fatalf("Claim with Wait returned at once")
	}
}

// TestCrashBetweenStoreAndFanout: the process dies after the line is stored
// and before it is routed; recovery fans it out.
func TestCrashBetweenStoreAndFanout(t *testing.T) {
	e := queueEnv(t)
	// The first half of Post only, as if the process died right after.
	line, _, _, _, _, err := e.Chat.store(e.ctx, NewLine{Room: "design", Author: "alice", Text: "lost?", Origin: FromAPI}, "Alice", false)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := e.Queue.Stats(e.ctx); st.Waiting != 0 {
		t.Fatalf("jobs before recovery: %+v", st)
	}
	// Too young: another process may still be fanning it out.
	if n, err := e.Chat.RecoverFanout(e.ctx, 30*time.Second); err != nil || n != 0 {
		t.Fatalf("RecoverFanout of a fresh line = %d, %v", n, err)
	}
	e.clock.Add(time.Minute)
	n, err := e.Chat.RecoverFanout(e.ctx, 30*time.Second)
	if err != nil || n != 1 {
		t.Fatalf("RecoverFanout = %d, %v; want 1", n, err)
	}
	jobs := e.claim(t, "w")
	if len(jobs) != 2 || jobs[0].Line != line.ID {
		t.Fatalf("jobs after recovery: %+v", jobs)
	}
	if n, _ := e.Chat.RecoverFanout(e.ctx, 0); n != 0 {
		t.Fatalf("recovered again: %d", n)
	}
}

// TestClaimWaitSeesEveryShard: a job arriving on any shard while a worker
// waits is handed over at once, not after the whole wait.
func TestClaimWaitSeesEveryShard(t *testing.T) {
	e := queueEnv(t)
	go func() {
		time.Sleep(100 * time.Millisecond)
		e.post(t, "design", "alice", "while waiting")
	}()
	start := time.Now()
	jobs, err := e.Queue.Claim(e.ctx, ClaimOptions{Consumer: "w", Wait: 5 * time.Second})
	if err != nil || len(jobs) == 0 {
		t.Fatalf("Claim = %v, %v", jobs, err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("a new job waited %s", took)
	}
}
