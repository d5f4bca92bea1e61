package threads

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
)

// recorder is an Observer that writes down what it hears.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(ev string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

func (r *recorder) LinePosted(o Origin)    { r.add("line " + string(o)) }
func (r *recorder) BatchRetried(c Channel) { r.add("retry " + string(c)) }
func (r *recorder) BatchDead(c Channel, n int) {
	r.add("dead " + string(c) + " " + string(rune('0'+n)))
}
func (r *recorder) DigestSent() { r.add("digest") }
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := r.events
	r.events = nil
	return ev
}

// TestObserver: the observer hears each stored line once with its door
// (a duplicate is not heard), each batch retried or dead-lettered with
// its channel, and each digest recorded as sent.
func TestObserver(t *testing.T) {
	e := queueEnv(t)
	rec := &recorder{}
	e.Store = New(e.redis.Client, Options{Prefix: e.redis.Prefix, Now: e.clock.Now, Rand: func() float64 { return 0.5 }, Observer: rec})
	var bob, carol Batch
	for _, c := range []struct {
		name string
		do   func(t *testing.T)
		want func() []string
	}{
		{"lines by door", func(t *testing.T) {
			for _, n := range []NewLine{
				{Room: "design", Author: "alice", Text: "from the page", Origin: FromWeb},
				{Room: "design", Author: "bob", Text: "by mail", Origin: FromEmail, SourceID: "<m1@example.org>"},
				{Room: "design", Author: "bob", Text: "by mail", Origin: FromEmail, SourceID: "<m1@example.org>"},
				{Room: "design", Author: "carol", Text: "by text", Origin: FromSMS},
			} {
				if _, err := e.Chat.Post(e.ctx, n); err != nil {
					t.Fatal(err)
				}
			}
		}, func() []string { return []string{"line web", "line email", "line sms"} }},
		{"retry", func(t *testing.T) {
			e.gatherAll(t, 0)
			for _, b := range e.lease(t) {
				switch b.Member {
				case "bob":
					bob = b
				case "carol":
					carol = b
				}
			}
			if len(bob.Jobs) == 0 || len(carol.Jobs) == 0 {
				t.Fatalf("no batch for bob or carol: %+v %+v", bob, carol)
			}
			if _, err := e.Queue.BatchRetry(e.ctx, bob, errors.New("451 later")); err != nil {
				t.Fatal(err)
			}
		}, func() []string { return []string{"retry email"} }},
		{"dead", func(t *testing.T) {
			if err := e.Queue.BatchFail(e.ctx, carol, errors.New("21211 invalid number")); err != nil {
				t.Fatal(err)
			}
		}, func() []string { return []string{fmt.Sprintf("dead sms %d", len(carol.Jobs))} }},
		{"digest", func(t *testing.T) {
			if err := e.Digests.DigestSent(e.ctx, DigestContent{Member: User{ID: "bob"}}); err != nil {
				t.Fatal(err)
			}
		}, func() []string { return []string{"digest"} }},
	} {
		rec.take()
		c.do(t)
		if got, want := rec.take(), c.want(); !slices.Equal(got, want) {
			t.Errorf("%s: heard %q, want %q", c.name, got, want)
		}
	}
}
