package outbound

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/internal/testpeers/redispeer"
	"parley/threads"
)

// fakeChannel records what it is asked to send and fails on demand.
type fakeChannel struct {
	mu    sync.Mutex
	sent  []Parcel
	fail  []error // returned in turn, then nil
	panic bool
}

func (f *fakeChannel) Deliver(_ context.Context, d Parcel) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.panic {
		panic("boom")
	}
	if len(f.fail) > 0 {
		err := f.fail[0]
		f.fail = f.fail[1:]
		return err
	}
	f.sent = append(f.sent, d)
	return nil
}

func (f *fakeChannel) texts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, d := range f.sent {
		var ls []string
		for _, l := range d.Lines {
			ls = append(ls, l.Text)
		}
		out = append(out, d.Member.ID+":"+strings.Join(ls, "+"))
	}
	return out
}

// quiet drops the worker's log in tests.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type wenv struct {
	store *threads.Store
	clock *clock
	email *fakeChannel
	sms   *fakeChannel
	ctx   context.Context
}

// newWenv: alice writes; bob is away (email), carol offline with a phone
// and no email (sms), all in "design".
func newWenv(t *testing.T) *wenv {
	r := redispeer.New(t)
	c := &clock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	s := threads.New(r.Client, threads.Options{Prefix: r.Prefix, Now: c.Now, Rand: func() float64 { return 0.5 }})
	ctx := context.Background()
	for _, u := range []threads.User{
		{ID: "alice", Name: "Alice", Emails: []string{"alice@example.org"}},
		{ID: "bob", Name: "Bob", Emails: []string{"bob@example.org"}},
		{ID: "carol", Name: "Carol", Phone: "+15550001111", PhoneVerified: true},
		{ID: "dave", Name: "Dave", Emails: []string{"dave@example.org"}},
	} {
		if _, err := s.Directory.AddUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Chat.CreateRoom(ctx, threads.Room{ID: "design", Name: "Design", Members: []string{"alice", "bob", "carol"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Chat.SetStatus(ctx, "bob", threads.Status{Availability: threads.Away}); err != nil {
		t.Fatal(err)
	}
	return &wenv{store: s, clock: c, email: &fakeChannel{}, sms: &fakeChannel{}, ctx: ctx}
}

func (e *wenv) worker(name string, window time.Duration) *Worker {
	return NewWorker(e.store.Queue, e.store.Directory, map[threads.Channel]Carrier{threads.Email: e.email, threads.SMS: e.sms},
		Options{Consumer: name, Log: quiet, Window: map[threads.Channel]time.Duration{threads.Email: window}, Lease: time.Minute})
}

func (e *wenv) post(t *testing.T, text string) threads.Line {
	t.Helper()
	p, err := e.store.Chat.Post(e.ctx, threads.NewLine{Room: "design", Author: "alice", Text: text, Origin: threads.FromWeb})
	if err != nil {
		t.Fatal(err)
	}
	return p.Line
}

func step(t *testing.T, w *Worker) int {
	t.Helper()
	n, err := w.Step(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWorkerBatchesEmail(t *testing.T) {
	e := newWenv(t)
	w := e.worker("w1", 2*time.Minute)
	e.post(t, "one")
	step(t, w)
	e.clock.Add(time.Minute)
	e.post(t, "two")
	step(t, w)
	if got := e.email.texts(); len(got) != 0 {
		t.Fatalf("email sent inside the window: %v", got)
	}
	if got := e.sms.texts(); strings.Join(got, ",") != "carol:one,carol:two" {
		t.Fatalf("sms (no window) = %v", got)
	}
	e.clock.Add(61 * time.Second)
	step(t, w)
	if got := e.email.texts(); strings.Join(got, ",") != "bob:one+two" {
		t.Fatalf("email after the window = %v, want one email with both lines", got)
	}
	step(t, w)
	if got := e.email.texts(); len(got) != 1 {
		t.Fatalf("sent again: %v", got)
	}
}

func TestWorkerChecksAgainBeforeSending(t *testing.T) {
	e := newWenv(t)
	w := e.worker("w1", time.Minute)
	first := e.post(t, "seen live")
	e.post(t, "not seen")
	step(t, w)
	// Bob read the first line in the web page meanwhile.
	if err := e.store.Chat.MarkRead(e.ctx, "design", "bob", first.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Minute)
	step(t, w)
	if got := e.email.texts(); strings.Join(got, ",") != "bob:not seen" {
		t.Fatalf("email = %v, want only the unseen line", got)
	}

	// Bob comes back online before the next batch is due: nothing is emailed.
	e.post(t, "while bob returns")
	step(t, w)
	if _, err := e.store.Chat.SetStatus(e.ctx, "bob", threads.Status{Availability: threads.Available}); err != nil {
		t.Fatal(err)
	}
	_ = e.store.Chat.Heartbeat(e.ctx, "bob", threads.Beat{})
	e.clock.Add(time.Minute)
	step(t, w)
	if got := e.email.texts(); len(got) != 1 {
		t.Fatalf("online member was emailed: %v", got)
	}

	// Carol leaves the room before her (queued, not yet sent) text goes out.
	e.sms.fail = []error{errors.New("421 busy")}
	e.post(t, "after carol left")
	step(t, w) // the text fails once and waits for its retry
	if err := e.store.Chat.AddMember(e.ctx, "design", "dave"); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Chat.RemoveMember(e.ctx, "design", "carol"); err != nil {
		t.Fatal(err)
	}
	before := len(e.sms.texts())
	e.clock.Add(time.Hour)
	step(t, w)
	if got := e.sms.texts(); len(got) != before {
		t.Fatalf("a member who left was texted: %v", got)
	}
	if st, _ := e.store.Queue.Stats(e.ctx); st.Dead != 0 {
		t.Fatalf("a dropped batch was dead-lettered: %+v", st)
	}
}

func TestWorkerRetriesThenDelivers(t *testing.T) {
	e := newWenv(t)
	w := e.worker("w1", 0)
	e.email.fail = []error{errors.New("451 4.7.1 greylisted"), errors.New("dial tcp: connection refused")}
	e.post(t, "hello")
	step(t, w)
	e.clock.Add(23 * time.Second) // first backoff: 22.5 s
	step(t, w)
	if got := e.email.texts(); len(got) != 0 {
		t.Fatalf("sent before the second backoff: %v", got)
	}
	e.clock.Add(46 * time.Second)
	step(t, w)
	if got := e.email.texts(); strings.Join(got, ",") != "bob:hello" {
		t.Fatalf("after two temporary failures: %v", got)
	}
	if u, _ := e.store.Directory.User(e.ctx, "bob"); u.EmailFailing {
		t.Fatal("temporary failures marked the address as failing")
	}
}

func TestWorkerPermanentFailure(t *testing.T) {
	e := newWenv(t)
	w := e.worker("w1", 0)
	e.email.fail = []error{Permanent(errors.New("550 5.1.1 no such user"))}
	e.post(t, "hello")
	step(t, w)
	dead, _ := e.store.Queue.DeadLetters(e.ctx, 10)
	if len(dead) != 1 || dead[0].Member != "bob" || !strings.Contains(dead[0].Reason, "550") {
		t.Fatalf("dead letters = %+v", dead)
	}
	if u, _ := e.store.Directory.User(e.ctx, "bob"); !u.EmailFailing {
		t.Fatal("bob's address not marked failing")
	}
	// Routing now texts bob? He has no phone: held for the digest instead.
	p, _ := e.store.Chat.Post(e.ctx, threads.NewLine{Room: "design", Author: "alice", Text: "again", Origin: threads.FromWeb})
	if p.Routes["bob"].Channel != threads.Hold {
		t.Fatalf("bob after bouncing: %+v", p.Routes["bob"])
	}
}

func TestWorkerGivesUpAfterMaxAge(t *testing.T) {
	e := newWenv(t)
	w := e.worker("w1", 0)
	for range 30 {
		e.email.fail = append(e.email.fail, errors.New("421 try later"))
	}
	e.post(t, "hello")
	for range 30 {
		step(t, w)
		e.clock.Add(time.Hour)
	}
	dead, _ := e.store.Queue.DeadLetters(e.ctx, 10)
	if len(dead) != 1 || !strings.Contains(dead[0].Reason, "gave up after") || !strings.Contains(dead[0].Reason, "421") {
		t.Fatalf("dead letters = %+v", dead)
	}
	if len(e.email.texts()) != 0 {
		t.Fatal("sent after all")
	}
}

func TestWorkerPanicIsSetAside(t *testing.T) {
	e := newWenv(t)
	w := e.worker("w1", 0)
	e.email.panic = true
	e.post(t, "hello")
	step(t, w)
	dead, _ := e.store.Queue.DeadLetters(e.ctx, 10)
	if len(dead) != 1 || !strings.Contains(dead[0].Reason, "panicked") {
		t.Fatalf("dead letters = %+v", dead)
	}
}

// TestWorkerDiesMidBatch: a worker leases a batch and dies before sending;
// after the lease another worker sends it, once.
func TestWorkerDiesMidBatch(t *testing.T) {
	e := newWenv(t)
	e.post(t, "hello")
	// The dying worker gathers and leases, then stops.
	jobs, _ := e.store.Queue.Claim(e.ctx, threads.ClaimOptions{Consumer: "dying"})
	if err := e.store.Queue.Gather(e.ctx, jobs, func(threads.Channel) time.Duration { return 0 }); err != nil {
		t.Fatal(err)
	}
	if bs, _ := e.store.Queue.LeaseDue(e.ctx, time.Minute, 10); len(bs) != 2 {
		t.Fatalf("leased %d", len(bs))
	}
	rescuer := e.worker("rescuer", 0)
	step(t, rescuer)
	if n := len(e.email.texts()) + len(e.sms.texts()); n != 0 {
		t.Fatalf("sent %d while the lease held", n)
	}
	e.clock.Add(61 * time.Second)
	step(t, rescuer)
	step(t, rescuer)
	if got := append(e.email.texts(), e.sms.texts()...); strings.Join(got, ",") != "bob:hello,carol:hello" {
		t.Fatalf("after the lease: %v", got)
	}
}

func TestWorkerRunStopsGracefully(t *testing.T) {
	e := newWenv(t)
	w := NewWorker(e.store.Queue, e.store.Directory, map[threads.Channel]Carrier{threads.Email: e.email, threads.SMS: e.sms},
		Options{Consumer: "w", Log: quiet, Window: map[threads.Channel]time.Duration{threads.Email: 0}, Poll: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	e.post(t, "hello")
	deadline := time.Now().Add(5 * time.Second)
	for len(e.email.texts())+len(e.sms.texts()) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
	if got := fmt.Sprint(e.email.texts(), e.sms.texts()); got != "[bob:hello] [carol:hello]" {
		t.Fatalf("delivered %s", got)
	}
}

// TestFailingMemberHoldsUpNoOne: carol's texts fail (her phone is out)
// while hundreds of lines pile up for her, one batch a line, more than a
// lease looks at; bob, on the same queue shard, joins later and still gets
// his line at once: carol's waiting batches are parked behind her retried
// first one, not read again at every look, and none of hers is lost.
func TestFailingMemberHoldsUpNoOne(t *testing.T) {
	r := redispeer.New(t)
	c := &clock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	s := threads.New(r.Client, threads.Options{Prefix: r.Prefix, Now: c.Now, Rand: func() float64 { return 0.5 }, QueueShards: 1})
	ctx := context.Background()
	for _, u := range []threads.User{
		{ID: "alice", Name: "Alice", Emails: []string{"alice@example.org"}},
		{ID: "bob", Name: "Bob", Emails: []string{"bob@example.org"}},
		{ID: "carol", Name: "Carol", Phone: "+15550001111", PhoneVerified: true},
	} {
		if _, err := s.Directory.AddUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Chat.CreateRoom(ctx, threads.Room{ID: "design", Name: "Design", Members: []string{"alice", "carol"}}); err != nil {
		t.Fatal(err)
	}
	const piled = 430 // Step leases up to 100 batches: it looks at 416
	for i := range piled {
		if _, err := s.Chat.Post(ctx, threads.NewLine{Room: "design", Author: "alice", Text: fmt.Sprint("line ", i), Origin: threads.FromWeb}); err != nil {
			t.Fatal(err)
		}
		c.Add(time.Millisecond)
	}
	email := &fakeChannel{}
	sms := &fakeChannel{}
	for range 1000 {
		sms.fail = append(sms.fail, errors.New("carrier unavailable"))
	}
	w := NewWorker(s.Queue, s.Directory, map[threads.Channel]Carrier{threads.Email: email, threads.SMS: sms},
		Options{Consumer: "w", Log: quiet, Window: map[threads.Channel]time.Duration{threads.Email: 0, threads.SMS: 0}, Lease: time.Minute})
	for range 6 { // claims 100 queue entries a step; carol's first text fails and backs off
		step(t, w)
	}
	if err := s.Chat.AddMember(ctx, "design", "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Chat.SetStatus(ctx, "bob", threads.Status{Availability: threads.Away}); err != nil {
		t.Fatal(err)
	}
	c.Add(time.Second)
	if _, err := s.Chat.Post(ctx, threads.NewLine{Room: "design", Author: "alice", Text: "for bob too", Origin: threads.FromWeb}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4 && len(email.texts()) == 0; i++ {
		step(t, w)
	}
	if got := email.texts(); len(got) != 1 || got[0] != "bob:for bob too" {
		t.Fatalf("bob's email = %q, want his line at once, not stuck behind carol's texts", got)
	}
	if len(sms.texts()) != 0 {
		t.Fatalf("carol's texts went out while her carrier failed: %q", sms.texts())
	}
	st, err := s.Queue.Stats(ctx)
	if err != nil || st.Batches != piled+1 || st.Dead != 0 {
		t.Fatalf("queue %+v, %v; want carol's %d batches all waiting, none dead", st, err, piled+1)
	}
}
