package threads

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// gatherAll claims every waiting job and gathers it with window.
func (e *env) gatherAll(t *testing.T, window time.Duration) int {
	t.Helper()
	jobs := e.claim(t, "w")
	if err := e.Queue.Gather(e.ctx, jobs, func(Channel) time.Duration { return window }); err != nil {
		t.Fatal(err)
	}
	return len(jobs)
}

func (e *env) lease(t *testing.T) []Batch {
	t.Helper()
	bs, err := e.Queue.LeaseDue(e.ctx, time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	return bs
}

func TestBatchWindow(t *testing.T) {
	e := queueEnv(t)
	for i := 1; i <= 3; i++ {
		e.post(t, "design", "alice", fmt.Sprintf("line %d", i))
		e.gatherAll(t, 2*time.Minute)
		e.clock.Add(30 * time.Second)
	}
	if bs := e.lease(t); len(bs) != 0 {
		t.Fatalf("batches due inside the window: %+v", bs)
	}
	e.clock.Add(31 * time.Second) // 2 min after the first line
	bs := e.lease(t)
	if len(bs) != 2 {
		t.Fatalf("leased %d batches, want bob's email and carol's sms", len(bs))
	}
	for _, b := range bs {
		if len(b.Jobs) != 3 || b.Attempt != 1 || b.Room != "design" {
			t.Fatalf("batch = %+v", b)
		}
		if b.First() != b.Jobs[0].Queued || compareStreamIDs(b.Jobs[0].Line, b.Jobs[1].Line) >= 0 || compareStreamIDs(b.Jobs[1].Line, b.Jobs[2].Line) >= 0 {
			t.Fatalf("batch not oldest first: %+v", b.Lines())
		}
	}
	// Leased: nobody else gets them.
	if again := e.lease(t); len(again) != 0 {
		t.Fatalf("leased twice: %+v", again)
	}
	// A line arriving while the batch is being sent stays for the next one.
	e.post(t, "design", "alice", "line 4")
	e.gatherAll(t, 2*time.Minute)
	for _, b := range bs {
		if err := e.Queue.BatchSent(e.ctx, b, 2*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Add(time.Minute)
	if got := e.lease(t); len(got) != 0 {
		t.Fatalf("the leftover line came due before its window: %+v", got)
	}
	e.clock.Add(61 * time.Second)
	got := e.lease(t)
	if len(got) != 2 || len(got[0].Jobs) != 1 || got[0].Attempt != 1 {
		t.Fatalf("next batches = %+v", got)
	}
	for _, b := range got {
		_ = e.Queue.BatchSent(e.ctx, b, 0)
	}
	if got := e.lease(t); len(got) != 0 {
		t.Fatalf("after all sent: %+v", got)
	}
}

// TestBatchDuplicateJobs: the same job gathered twice (a fan-out run twice),
// or again after it was sent, goes out once.
func TestBatchDuplicateJobs(t *testing.T) {
	e := queueEnv(t)
	p := e.post(t, "design", "alice", "hello")
	if _, _, err := e.Chat.fanout(e.ctx, p.Line, Group, []string{"alice", "bob", "carol"}, nil); err != nil {
		t.Fatal(err)
	}
	if n := e.gatherAll(t, 0); n != 4 {
		t.Fatalf("gathered %d jobs, want 4 (2 members × 2 fan-outs)", n)
	}
	bs := e.lease(t)
	if len(bs) != 2 || len(bs[0].Jobs) != 1 || len(bs[1].Jobs) != 1 {
		t.Fatalf("batches = %+v; want one job each", bs)
	}
	for _, b := range bs {
		_ = e.Queue.BatchSent(e.ctx, b, 0)
	}
	// A third copy arrives after the send.
	if _, _, err := e.Chat.fanout(e.ctx, p.Line, Group, []string{"alice", "bob", "carol"}, nil); err != nil {
		t.Fatal(err)
	}
	e.gatherAll(t, 0)
	if got := e.lease(t); len(got) != 0 {
		t.Fatalf("a delivered line was batched again: %+v", got)
	}
}

func TestBatchRetryAndFail(t *testing.T) {
	e := queueEnv(t)
	e.post(t, "design", "alice", "hello")
	e.gatherAll(t, 0)
	bs := e.lease(t)
	var bob Batch
	for _, b := range bs {
		if b.Member == "bob" {
			bob = b
		}
	}
	due, err := e.Queue.BatchRetry(e.ctx, bob, fmt.Errorf("451 greylisted"))
	if err != nil || !due.Equal(e.clock.Now().Add(e.Queue.Backoff(1))) {
		t.Fatalf("BatchRetry = %s, %v", due, err)
	}
	// Bob's backoff (22.5 s) and carol's lease (1 min, never settled: her
	// worker died) both run out: each batch comes back, attempt 2.
	e.clock.Add(61 * time.Second)
	again := e.lease(t)
	if len(again) != 2 {
		t.Fatalf("after backoff and lease: %+v", again)
	}
	for _, b := range again {
		if b.Attempt != 2 {
			t.Errorf("%s attempt %d, want 2", b.Member, b.Attempt)
		}
		if b.Member == "bob" && b.LastError != "451 greylisted" {
			t.Errorf("bob's last error = %q", b.LastError)
		}
		if err := e.Queue.BatchFail(e.ctx, b, fmt.Errorf("550 unknown user")); err != nil {
			t.Fatal(err)
		}
	}
	dead, _ := e.Queue.DeadLetters(e.ctx, 10)
	if len(dead) != 2 || dead[0].Reason != "550 unknown user" || dead[0].Attempt != 2 {
		t.Fatalf("dead letters = %+v, want both with the reason and 2 attempts", dead)
	}
	if got := e.lease(t); len(got) != 0 {
		t.Fatalf("dead batches came back: %+v", got)
	}
}

func TestReadMarker(t *testing.T) {
	e := queueEnv(t)
	a := e.post(t, "design", "alice", "one").Line.ID
	b := e.post(t, "design", "alice", "two").Line.ID
	if m, _ := e.Chat.ReadMarker(e.ctx, "design", "bob"); m != "" || Seen(a, m) {
		t.Fatalf("fresh marker %q", m)
	}
	if err := e.Chat.MarkRead(e.ctx, "design", "bob", b); err != nil {
		t.Fatal(err)
	}
	if err := e.Chat.MarkRead(e.ctx, "design", "bob", a); err != nil {
		t.Fatal(err)
	}
	m, _ := e.Chat.ReadMarker(e.ctx, "design", "bob")
	if m != b || !Seen(a, m) || !Seen(b, m) || Seen("99999999999999-0", m) {
		t.Fatalf("marker %q after marking %s then %s", m, b, a)
	}
	if err := e.Chat.MarkRead(e.ctx, "design", "dave", a); err == nil {
		t.Fatal("a non-member marked read")
	}
	if err := e.Chat.MarkRead(e.ctx, "design", "bob", "x"); err == nil {
		t.Fatal("a bad id was accepted")
	}
}

func TestOutbox(t *testing.T) {
	e := newEnv(t)
	for i := range 3 {
		if _, err := e.Queue.AddToOutbox(e.ctx, OutboxEntry{Channel: Email, To: "bob@example.org", Subject: fmt.Sprint("s", i), Body: "body"}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := e.Queue.Outbox(e.ctx, "", 0)
	if err != nil || len(all) != 3 || all[0].Subject != "s0" || all[0].To != "bob@example.org" || !all[0].Time.Equal(e.clock.Now()) {
		t.Fatalf("Outbox = %+v, %v", all, err)
	}
	if one, err := e.Queue.OutboxEntry(e.ctx, all[1].ID); err != nil || one.Subject != "s1" {
		t.Fatalf("OutboxEntry = %+v, %v", one, err)
	}
	if _, err := e.Queue.OutboxEntry(e.ctx, "1-1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing entry: %v", err)
	}
	rest, _ := e.Queue.Outbox(e.ctx, all[0].ID, 10)
	if len(rest) != 2 || rest[0].Subject != "s1" {
		t.Fatalf("after the first: %+v", rest)
	}
}

func TestCursor(t *testing.T) {
	e := newEnv(t)
	if v, err := e.Inbox.Cursor(e.ctx, "imap:bob@host/INBOX"); err != nil || v != "" {
		t.Fatalf("fresh cursor = %q, %v", v, err)
	}
	if err := e.Inbox.SetCursor(e.ctx, "imap:bob@host/INBOX", "7:42"); err != nil {
		t.Fatal(err)
	}
	if v, _ := e.Inbox.Cursor(e.ctx, "imap:bob@host/INBOX"); v != "7:42" {
		t.Fatalf("cursor = %q", v)
	}
}

func TestNotices(t *testing.T) {
	e := newEnv(t)
	n := Notice{To: "Stranger@Example.org", Kind: "refused", Title: "Not posted", Text: "why", InReplyTo: "m1@x"}
	for i, want := range []bool{true, false} {
		q, err := e.Queue.QueueNotice(e.ctx, n)
		if err != nil || q != want {
			t.Fatalf("QueueNotice #%d = %v, %v; want %v (one a day)", i+1, q, err, want)
		}
	}
	if q, _ := e.Queue.QueueNotice(e.ctx, Notice{To: "stranger@example.org", Kind: "files", Title: "t", Text: "x"}); !q {
		t.Fatal("another kind was rate-limited")
	}
	if _, err := e.Queue.QueueNotice(e.ctx, Notice{To: "not an address", Kind: "refused"}); err == nil {
		t.Fatal("a bad address was queued")
	}
	got, err := e.Queue.ClaimNotices(e.ctx, "w1", 10, time.Minute)
	if err != nil || len(got) != 2 || got[0].To != "stranger@example.org" || got[0].InReplyTo != "m1@x" {
		t.Fatalf("ClaimNotices = %+v, %v", got, err)
	}
	if again, _ := e.Queue.ClaimNotices(e.ctx, "w2", 10, time.Minute); len(again) != 0 {
		t.Fatalf("claimed twice: %+v", again)
	}
	if err := e.Queue.AckNotice(e.ctx, got[0]); err != nil {
		t.Fatal(err)
	}
	// The second was never acknowledged: another worker takes it after the idle time.
	time.Sleep(20 * time.Millisecond)
	left, err := e.Queue.ClaimNotices(e.ctx, "w2", 10, 10*time.Millisecond)
	if err != nil || len(left) != 1 || left[0].Kind != "files" {
		t.Fatalf("reclaimed = %+v, %v", left, err)
	}
}

// TestScriptsReloaded: after Redis forgets its scripts (a restart, SCRIPT
// FLUSH), pipelined script calls load them again and succeed.
func TestScriptsReloaded(t *testing.T) {
	e := queueEnv(t)
	e.post(t, "design", "alice", "hello")
	if err := e.redis.Client.ScriptFlush(e.ctx).Err(); err != nil {
		t.Fatal(err)
	}
	jobs := e.claim(t, "w")
	if err := e.Queue.Gather(e.ctx, jobs, func(Channel) time.Duration { return 0 }); err != nil {
		t.Fatal(err)
	}
	_ = e.redis.Client.ScriptFlush(e.ctx)
	if bs := e.lease(t); len(bs) != 2 {
		t.Fatalf("leased %d batches after a script flush, want 2", len(bs))
	}
	_ = e.redis.Client.ScriptFlush(e.ctx) // the post's script, read as strings (evalShaStrings)
	if p := e.post(t, "design", "alice", "again"); p.Line.ID == "" {
		t.Fatal("no line id from a post after a script flush")
	}
}

// TestBatchDelivered: settling a delivered batch moves the member's
// emailed marker to the line given, in the same call, and never back; a
// line id that is not one still settles the batch.
func TestBatchDelivered(t *testing.T) {
	e := queueEnv(t)
	first := e.post(t, "design", "alice", "line 1")
	e.gatherAll(t, 0)
	bs := e.lease(t)
	if len(bs) == 0 {
		t.Fatal("nothing to lease")
	}
	for _, b := range bs {
		if err := e.Queue.BatchDelivered(e.ctx, b, 0, b.Jobs[len(b.Jobs)-1].Line); err != nil {
			t.Fatal(err)
		}
	}
	second := e.post(t, "design", "alice", "line 2")
	e.gatherAll(t, 0)
	for _, b := range e.lease(t) {
		if err := e.Queue.BatchDelivered(e.ctx, b, 0, "not a line id"); err != nil {
			t.Fatalf("a bad marker failed the settle: %v", err)
		}
	}
	if got := e.lease(t); len(got) != 0 {
		t.Fatalf("batches left after every one was settled: %+v", got)
	}
	for _, b := range bs {
		m, err := e.Digests.markers(e.ctx, "design", b.Member)
		if err != nil || m.emailed != first.Line.ID {
			t.Errorf("%s's emailed marker = %q, %v; want %q (not %q)", b.Member, m.emailed, err, first.Line.ID, second.Line.ID)
		}
	}
}

// TestBatchStatesShareReads: the state of batches read together, sharing
// the reads of their members, rooms and lines, is the state of each read
// alone: records, rooms, membership, read markers, presence and lines,
// for members who left, lines that are gone and rooms read twice.
func TestBatchStatesShareReads(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob", "carol", "dave")
	e.room(t, "design", Group, "alice", "bob", "carol", "dave")
	e.room(t, "ops", Group, "alice", "bob", "carol")
	for _, m := range []string{"bob", "carol", "dave"} {
		if _, err := e.Chat.SetStatus(e.ctx, m, Status{Availability: Away}); err != nil {
			t.Fatal(err)
		}
	}
	var design []string
	for i := range 3 {
		design = append(design, e.post(t, "design", "alice", fmt.Sprint("design ", i)).Line.ID)
		e.clock.Add(time.Millisecond)
	}
	e.post(t, "ops", "alice", "ops 0")
	e.gatherEvery(t)
	if err := e.Chat.MarkRead(e.ctx, "design", "carol", design[0]); err != nil {
		t.Fatal(err)
	}
	if err := e.Chat.RemoveMember(e.ctx, "design", "dave"); err != nil {
		t.Fatal(err)
	}
	if err := e.redis.Client.XDel(e.ctx, e.Store.k.lines("design"), design[1]).Err(); err != nil {
		t.Fatal(err)
	}
	var batches []Batch
	for got := e.leaseUpTo(t, 20); len(got) > 0; got = e.leaseUpTo(t, 20) {
		batches = append(batches, got...)
		for _, b := range got {
			if err := e.Queue.BatchSent(e.ctx, b, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(batches) < 8 {
		t.Fatalf("leased %d batches, want the lines of two rooms to three members", len(batches))
	}
	all, errs, err := e.Queue.BatchStates(e.ctx, batches)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range batches {
		one, oneErrs, err := e.Queue.BatchStates(e.ctx, []Batch{b})
		if err != nil || errs[i] != nil || oneErrs[0] != nil {
			t.Fatalf("batch %s: %v, %v, %v", b.name, err, errs[i], oneErrs[0])
		}
		if !reflect.DeepEqual(all[i], one[0]) {
			t.Errorf("batch %s read with the others:\n%+v\nread alone:\n%+v", b.name, all[i], one[0])
		}
	}
	seen := map[string]bool{}
	for i, b := range batches {
		st := all[i]
		seen[b.Member+"/"+b.Room] = true
		switch {
		case !st.MemberFound || !st.RoomFound || st.Presence.State != StateAway:
			t.Errorf("batch %s: member found %v, room found %v, presence %s", b.name, st.MemberFound, st.RoomFound, st.Presence.State)
		case b.Member == "dave" && b.Room == "design" && st.IsMember, b.Member != "dave" && !st.IsMember:
			t.Errorf("batch %s: is member %v", b.name, st.IsMember)
		case b.Member == "carol" && b.Room == "design" && st.ReadMarker != design[0]:
			t.Errorf("batch %s: carol's read marker %q", b.name, st.ReadMarker)
		case b.Room == "design" && b.Lines()[0] == design[1] && len(st.Lines) != 0:
			t.Errorf("batch %s: the deleted line was read: %+v", b.name, st.Lines)
		case b.Lines()[0] != design[1] && (len(st.Lines) != 1 || st.Lines[0].ID != b.Lines()[0]):
			t.Errorf("batch %s: lines %+v", b.name, st.Lines)
		}
	}
	if !seen["dave/design"] || !seen["carol/ops"] {
		t.Errorf("batches for %v", seen)
	}
}
