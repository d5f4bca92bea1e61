package threads

import (
	"testing"
	"time"
)

func next(t *testing.T, sub *Subscription) Event {
	t.Helper()
	select {
	case ev, ok := <-sub.C:
		if !ok {
			t.Fatal("subscription closed")
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
	}
	return Event{}
}

func TestSubscribeRoom(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob")
	e.room(t, "design", Group, "alice", "bob")
	e.room(t, "other", Group, "alice", "bob")
	sub, err := e.Chat.SubscribeRoom(e.ctx, "design")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	e.post(t, "other", "alice", "elsewhere")
	p := e.post(t, "design", "bob", "hello design")
	ev := next(t, sub)
	if ev.Kind != LineEvent || ev.Line == nil || ev.Line.ID != p.Line.ID || ev.Line.String() != "User bob: hello design" {
		t.Fatalf("event = %+v", ev)
	}
	// The text travels last in the event: newlines in it are its own.
	const text = "two lines\n{\"id\": \"not json\"}\n\nand a blank one"
	p = e.post(t, "design", "alice", text)
	if ev := next(t, sub); ev.Line == nil || ev.Line.ID != p.Line.ID || ev.Line.Text != text || ev.Line.Author != "alice" {
		t.Fatalf("event = %+v", ev.Line)
	}
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-sub.C; ok {
		t.Fatal("channel still open after Close")
	}
	if _, err := e.Chat.SubscribeRoom(e.ctx, "nope"); err == nil {
		t.Fatal("subscribed to a missing room")
	}
}

func TestSubscribeUserFollowsMembership(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob", "carol", "dave")
	e.room(t, "design", Group, "alice", "bob", "dave")
	e.room(t, "ops", Group, "alice", "carol")
	sub, err := e.Chat.SubscribeUser(e.ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	e.post(t, "ops", "alice", "not for bob")
	e.post(t, "design", "alice", "for bob")
	if ev := next(t, sub); ev.Line == nil || ev.Line.Text != "for bob" {
		t.Fatalf("first event = %+v, want the design line", ev)
	}
	if err := e.Chat.AddMember(e.ctx, "ops", "bob"); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, sub); ev.Kind != JoinedEvent || ev.Room != "ops" {
		t.Fatalf("event = %+v, want joined ops", ev)
	}
	e.post(t, "ops", "carol", "welcome bob")
	if ev := next(t, sub); ev.Line == nil || ev.Line.Text != "welcome bob" {
		t.Fatalf("event = %+v, want the ops line", ev)
	}
	if err := e.Chat.RemoveMember(e.ctx, "design", "bob"); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, sub); ev.Kind != LeftEvent || ev.Room != "design" {
		t.Fatalf("event = %+v, want left design", ev)
	}
	e.post(t, "design", "alice", "bob is gone")
	e.post(t, "ops", "alice", "still here")
	if ev := next(t, sub); ev.Line == nil || ev.Line.Text != "still here" {
		t.Fatalf("event = %+v, want only the ops line", ev)
	}
}
