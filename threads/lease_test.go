package threads

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestLeaseRecovery: what a worker held when it died comes back in
// seconds, not when the lease ends: at once to the same worker restarted,
// and to another worker once the dead one's heartbeat is stale.
func TestLeaseRecovery(t *testing.T) {
	for _, tc := range []struct {
		name string
		// recover is what happens after "dying" held a batch and a claim.
		recover func(t *testing.T, e *env) (batches int, jobs []Job)
	}{
		{"same worker restarted", func(t *testing.T, e *env) (int, []Job) {
			n, err := e.Queue.ReleaseOwned(e.ctx, "dying")
			if err != nil {
				t.Fatal(err)
			}
			jobs, err := e.Queue.ReclaimFrom(e.ctx, "dying", "dying", 0)
			if err != nil {
				t.Fatal(err)
			}
			return n, jobs
		}},
		{"heartbeat stopped", func(t *testing.T, e *env) (int, []Job) {
			if err := e.Queue.Heartbeat(e.ctx, "rescuer"); err != nil {
				t.Fatal(err)
			}
			// Still beating: nothing is taken.
			if n, jobs, err := e.Queue.TakeOver(e.ctx, "rescuer", 10*time.Second); err != nil || n != 0 || len(jobs) != 0 {
				t.Fatalf("took over a live worker: %d batches, %d jobs, %v", n, len(jobs), err)
			}
			e.clock.Add(11 * time.Second)
			n, jobs, err := e.Queue.TakeOver(e.ctx, "rescuer", 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if stopped, _ := e.Queue.Stopped(e.ctx, "rescuer", 10*time.Second); len(stopped) != 0 {
				t.Fatalf("stopped workers left after the take-over: %v", stopped)
			}
			return n, jobs
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := queueEnv(t)
			if err := e.Queue.Heartbeat(e.ctx, "dying"); err != nil {
				t.Fatal(err)
			}
			// The dying worker leases bob's and carol's batches of line one
			// and claims the jobs of line two, then dies.
			e.post(t, "design", "alice", "one")
			e.gatherAll(t, 0)
			leased, err := e.Queue.Lease(e.ctx, LeaseOptions{Lease: 5 * time.Minute, Limit: 10, Owner: "dying"})
			if err != nil || len(leased) != 2 {
				t.Fatalf("leased %d, %v", len(leased), err)
			}
			e.post(t, "design", "alice", "two")
			if claimed := e.claim(t, "dying"); len(claimed) != 2 {
				t.Fatalf("claimed %d", len(claimed))
			}

			batches, jobs := tc.recover(t, e)
			if batches != 2 || len(jobs) != 2 {
				t.Fatalf("recovered %d batches and %d jobs, want 2 and 2", batches, len(jobs))
			}
			again := e.lease(t)
			if len(again) != 2 || again[0].Attempt != 2 {
				t.Fatalf("after recovery leased %+v, want both batches again, attempt 2 (the first may have been sent)", again)
			}
			// Released once only: a second recovery finds nothing.
			if n, err := e.Queue.ReleaseOwned(e.ctx, "dying"); err != nil || n != 0 {
				t.Fatalf("released again: %d, %v", n, err)
			}
		})
	}
}

// TestLeaseOnePerMember: a worker never gets two batches of one member at
// once, nor any of a member it skips; Release with uncount gives a batch
// back as if never leased.
func TestLeaseOnePerMember(t *testing.T) {
	e := queueEnv(t)
	e.post(t, "design", "alice", "one")
	e.post(t, "design", "alice", "two")
	e.gatherAll(t, 0) // no window: a batch per line
	skipCarol := func(m string) bool { return m == "carol" }
	bs, err := e.Queue.Lease(e.ctx, LeaseOptions{Lease: time.Minute, Limit: 10, Owner: "w", Skip: skipCarol, OnePerMember: true})
	if err != nil || len(bs) != 1 || bs[0].Member != "bob" {
		t.Fatalf("leased %+v, %v; want one batch of bob's", bs, err)
	}
	if ok, err := e.Queue.Release(e.ctx, bs[0], "someone else", true); err != nil || ok {
		t.Fatalf("released another worker's lease: %v, %v", ok, err)
	}
	if ok, err := e.Queue.Release(e.ctx, bs[0], "w", true); err != nil || !ok {
		t.Fatalf("release: %v, %v", ok, err)
	}
	// Of bob's and carol's two batches each, the older goes first (order).
	all := e.lease(t)
	if len(all) != 2 {
		t.Fatalf("leased %d, want the older batch of bob's and of carol's", len(all))
	}
	for _, b := range all {
		if b.Attempt != 1 {
			t.Fatalf("attempt %d after a release that uncounted it: %+v", b.Attempt, b)
		}
	}
}

// TestSourceFor: a source id posted with SourceFor is remembered that long,
// others for DedupeFor.
func TestSourceFor(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob")
	e.room(t, "design", Group, "alice", "bob")
	for _, tc := range []struct {
		source string
		for_   time.Duration
		want   time.Duration
	}{
		{"email:a@example.org", 0, e.Store.Options().DedupeFor},
		{"email-digest:0123", 24 * time.Hour, 24 * time.Hour},
	} {
		if _, err := e.Chat.Post(e.ctx, NewLine{Room: "design", Author: "alice", Text: "hi " + tc.source, SourceID: tc.source, SourceFor: tc.for_, Origin: FromEmail}); err != nil {
			t.Fatal(err)
		}
		ttl := e.redis.Client.TTL(e.ctx, e.Store.k.source("design", tc.source)).Val()
		if ttl <= tc.want-time.Minute || ttl > tc.want {
			t.Errorf("%s is remembered for %v, want %v", tc.source, ttl, tc.want)
		}
	}
}

// TestLeaseSameLinesAfterUncertainSend: a batch whose send may have gone
// out (the worker died, or the send failed) is sent again with the same
// lines, so the same Message-ID; lines that joined it meanwhile wait for
// an attempt of their own. A lease handed back unbegun records nothing.
func TestLeaseSameLinesAfterUncertainSend(t *testing.T) {
	const window = time.Minute
	for _, tc := range []struct {
		name string
		// interrupt ends the first attempt without sending it for sure.
		interrupt func(t *testing.T, e *env, b Batch)
	}{
		{"worker died", func(t *testing.T, e *env, b Batch) {
			if _, err := e.Queue.ReleaseOwned(e.ctx, "w1"); err != nil {
				t.Fatal(err)
			}
		}},
		{"send failed", func(t *testing.T, e *env, b Batch) {
			if _, err := e.Queue.BatchRetry(e.ctx, b, errors.New("connection lost after DATA")); err != nil {
				t.Fatal(err)
			}
			e.clock.Add(time.Hour)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := queueEnv(t)
			e.post(t, "design", "alice", "one")
			e.gatherAll(t, window)
			e.clock.Add(window)
			first, err := e.Queue.Lease(e.ctx, LeaseOptions{Lease: 5 * time.Minute, Limit: 10, Owner: "w1"})
			if err != nil || len(first) != 2 {
				t.Fatalf("leased %d, %v", len(first), err)
			}
			// A line joins the batches while they are being sent.
			e.post(t, "design", "alice", "two")
			e.gatherAll(t, window)
			for _, b := range first {
				tc.interrupt(t, e, b)
			}
			again := e.lease(t)
			if len(again) != 2 {
				t.Fatalf("leased %d batches again, want 2", len(again))
			}
			for i, b := range again {
				if !slices.Equal(b.Lines(), first[0].Lines()) || b.Attempt != 2 {
					t.Fatalf("batch %d leased again with lines %v (attempt %d), want only the first attempt's %v", i, b.Lines(), b.Attempt, first[0].Lines())
				}
				if err := e.Queue.BatchSent(e.ctx, b, window); err != nil {
					t.Fatal(err)
				}
			}
			// The joined line goes next, in an attempt of its own.
			e.clock.Add(window)
			next := e.lease(t)
			if len(next) != 2 || len(next[0].Jobs) != 1 || next[0].Attempt != 1 || slices.Contains(first[0].Lines(), next[0].Jobs[0].Line) {
				t.Fatalf("after the resend leased %+v, want the joined line alone, attempt 1", next)
			}
			// Handed back unbegun, it is leased again with any line that
			// joined meanwhile: nothing of it went out.
			e.post(t, "design", "alice", "three")
			e.gatherAll(t, window)
			for _, b := range next {
				if _, err := e.Queue.Release(e.ctx, b, "", true); err != nil {
					t.Fatal(err)
				}
			}
			if last := e.lease(t); len(last) != 2 || len(last[0].Jobs) != 2 {
				t.Fatalf("after an unbegun lease was handed back leased %+v, want lines two and three together", last)
			}
		})
	}
}

// TestBeatTellsTwins: HeartbeatRun returns the run that beat last under the name,
// so a process sees another live one under its name; Stopped reads beats
// of both forms.
func TestBeatTellsTwins(t *testing.T) {
	e := queueEnv(t)
	if prev, err := e.Queue.HeartbeatRun(e.ctx, "w1", "run-a"); err != nil || prev != "" {
		t.Fatalf("first beat: previous run %q, %v", prev, err)
	}
	if prev, _ := e.Queue.HeartbeatRun(e.ctx, "w1", "run-a"); prev != "run-a" {
		t.Fatalf("own beat again: previous run %q, want run-a", prev)
	}
	if prev, _ := e.Queue.HeartbeatRun(e.ctx, "w1", "run-b"); prev != "run-a" {
		t.Fatalf("a twin's beat: previous run %q, want run-a", prev)
	}
	if err := e.Queue.Heartbeat(e.ctx, "w2"); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(11 * time.Second)
	stopped, err := e.Queue.Stopped(e.ctx, "w3", 10*time.Second)
	slices.Sort(stopped)
	if err != nil || !slices.Equal(stopped, []string{"w1", "w2"}) {
		t.Fatalf("stopped = %v, %v; want w1 and w2", stopped, err)
	}
}

// twoRoomsEnv: bob is offline (every line is emailed to him), in the rooms
// design and ops with alice.
func twoRoomsEnv(t *testing.T) *env {
	e := newEnv(t)
	e.seed(t, "alice", "bob")
	e.room(t, "design", Group, "alice", "bob")
	e.room(t, "ops", Group, "alice", "bob")
	return e
}

// leaseUpTo leases up to limit due batches for a minute, to worker "w".
func (e *env) leaseUpTo(t *testing.T, limit int) []Batch {
	t.Helper()
	bs, err := e.Queue.Lease(e.ctx, LeaseOptions{Lease: time.Minute, Limit: limit, Owner: "w"})
	if err != nil {
		t.Fatal(err)
	}
	return bs
}

// gatherEvery gathers, batching off, until no job waits (a claim takes a
// few at a time).
func (e *env) gatherEvery(t *testing.T) {
	t.Helper()
	for e.gatherAll(t, 0) > 0 {
	}
}

// TestLeaseBringsInAWaitingHead: a batch handed back is due again later
// than the batches queued behind it in its stream; a look at the due
// batches that sees only those still leases it, not nothing (and not, in
// a longer queue, only after every other stream's batches: a member's
// room would starve; CI's load test once lost a room's whole stream that
// way for 90 s).
func TestLeaseBringsInAWaitingHead(t *testing.T) {
	e := twoRoomsEnv(t)
	first := e.post(t, "design", "alice", "one")
	e.gatherAll(t, 0)
	bs := e.leaseUpTo(t, 1)
	if len(bs) != 1 || bs[0].Lines()[0] != first.Line.ID {
		t.Fatalf("leased %+v; want the first line's batch", bs)
	}
	e.clock.Add(time.Second)
	e.post(t, "design", "alice", "two") // behind the first in its stream
	e.clock.Add(time.Second)
	e.post(t, "ops", "alice", "three")
	e.gatherAll(t, 0)
	e.clock.Add(time.Second)
	if ok, err := e.Queue.Release(e.ctx, bs[0], "w", true); err != nil || !ok {
		t.Fatalf("release: %v, %v", ok, err)
	}
	e.clock.Add(time.Second)
	// Limit 1 looks at one due batch: "two", queued before the first was
	// handed back. It brings in its stream's head.
	if bs := e.leaseUpTo(t, 1); len(bs) != 1 || bs[0].Lines()[0] != first.Line.ID {
		t.Fatalf("leased %+v; want the handed-back first line, ahead of the rest of its stream", bs)
	}
	// Leased again, it is not due: "two" waits behind it and "three", in
	// a stream of its own, goes.
	if bs := e.leaseUpTo(t, 5); len(bs) != 1 || bs[0].Room != "ops" {
		t.Fatalf("leased %+v; want only ops' batch while design's first is out", bs)
	}
}

// TestLeaseParksBatchesBehindABusyHead: batches that wait behind their
// stream's leased head do not fill Lease's look at the due batches: they
// are parked, another stream's batch goes, and once the head is settled
// the next batch of its stream goes at once, in order.
func TestLeaseParksBatchesBehindABusyHead(t *testing.T) {
	e := twoRoomsEnv(t)
	var lines []string
	for i := range 30 {
		lines = append(lines, e.post(t, "design", "alice", fmt.Sprint("line ", i)).Line.ID)
		e.clock.Add(time.Millisecond)
	}
	e.gatherEvery(t)
	head := e.leaseUpTo(t, 1)
	if len(head) != 1 || head[0].Lines()[0] != lines[0] {
		t.Fatalf("leased %+v, want design's first line", head)
	}
	e.clock.Add(time.Second)
	e.post(t, "ops", "alice", "in another room")
	e.gatherEvery(t)
	e.clock.Add(time.Second)
	// Limit 5 looks at 5 due batches: all of them design's, waiting behind
	// its head. They are parked, and each look goes further, until one
	// finds ops' (29 waiting: the sixth).
	var got []Batch
	for look := 1; look <= 7 && len(got) == 0; look++ {
		got = e.leaseUpTo(t, 5)
	}
	if len(got) != 1 || got[0].Room != "ops" {
		t.Fatalf("leased %+v; want ops' batch, not stuck behind design's", got)
	}
	if err := e.Queue.BatchSent(e.ctx, head[0], 0); err != nil {
		t.Fatal(err)
	}
	if got := e.leaseUpTo(t, 5); len(got) != 1 || got[0].Lines()[0] != lines[1] {
		t.Fatalf("after the head was sent, leased %+v; want design's second line at once", got)
	}
}
