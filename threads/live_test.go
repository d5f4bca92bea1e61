package threads

import (
	"context"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func next(t *testing.T, sub *Subscription) *Event {
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
	return nil
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

// TestHubSharesOneSubscription: many live subscriptions of one process
// cost one Redis subscription per channel, each gets every line, and the
// channel is given up when the last one closes.
func TestHubSharesOneSubscription(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob")
	e.room(t, "design", Group, "alice", "bob")
	const pages = 200
	subs := make([]*Subscription, pages)
	for i := range subs {
		var err error
		if subs[i], err = e.Chat.SubscribeUser(e.ctx, "bob"); err != nil {
			t.Fatal(err)
		}
	}
	ch := e.k.roomLive("design")
	numsub := func() int64 {
		t.Helper()
		var n map[string]int64
		var err error
		if cc, ok := e.redis.Client.(*redis.ClusterClient); ok {
			var node *redis.Client
			if node, err = cc.MasterForKey(e.ctx, ch); err == nil {
				n, err = node.PubSubShardNumSub(e.ctx, ch).Result()
			}
		} else {
			n, err = e.redis.Client.PubSubNumSub(e.ctx, ch).Result()
		}
		if err != nil {
			t.Fatal(err)
		}
		return n[ch]
	}
	if n := numsub(); n != 1 {
		t.Fatalf("%d pages hold %d Redis subscriptions to the room, want 1", pages, n)
	}
	p := e.post(t, "design", "alice", "to every page")
	for i, sub := range subs {
		if ev := next(t, sub); ev.Line == nil || ev.Line.ID != p.Line.ID {
			t.Fatalf("page %d got %+v", i, ev)
		}
	}
	for _, sub := range subs {
		_ = sub.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for numsub() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the room's channel is still subscribed after every page closed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHubDropsSlowSubscriber: a page that stops reading is dropped once
// its buffer is full (its C closes, and it would resume from its last line
// id); the page next to it gets every line.
func TestHubDropsSlowSubscriber(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob")
	e.room(t, "design", Group, "alice", "bob")
	slow, err := e.Chat.SubscribeRoom(e.ctx, "design")
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fast, err := e.Chat.SubscribeRoom(e.ctx, "design")
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Close()
	const lines = subscriberBuffer + 10
	got := make(chan int)
	go func() {
		n := 0
		for range fast.C {
			if n++; n == lines {
				break
			}
		}
		got <- n
	}()
	for i := range lines {
		e.post(t, "design", "alice", "line "+string(rune('a'+i%26)))
	}
	select {
	case n := <-got:
		if n != lines {
			t.Fatalf("the reading page got %d lines, want %d", n, lines)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the reading page did not get every line")
	}
	n := 0
	for range slow.C {
		n++
	}
	if n != subscriberBuffer {
		t.Fatalf("the page that did not read was closed after %d events, want %d", n, subscriberBuffer)
	}
}

// TestSubscribeUserInManyRooms: a member of many rooms subscribes at once
// and hears each of them. On a cluster (TestEngineOnCluster) the rooms'
// channels spread over every master, several on one master in different
// slots: each SSUBSCRIBE must name channels of one slot, or Redis answers
// CROSSSLOT and the subscription never comes (it hung here before).
func TestSubscribeUserInManyRooms(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob")
	const rooms = 30
	for i := range rooms {
		e.room(t, "r"+strconv.Itoa(i), Group, "alice", "bob")
	}
	ctx, cancel := context.WithTimeout(e.ctx, 5*time.Second)
	defer cancel()
	sub, err := e.Chat.SubscribeUser(ctx, "bob")
	if err != nil {
		t.Fatalf("subscribe to %d rooms: %v", rooms, err)
	}
	for i := range rooms {
		p := e.post(t, "r"+strconv.Itoa(i), "alice", "line "+strconv.Itoa(i))
		if ev := next(t, sub); ev.Line == nil || ev.Line.ID != p.Line.ID || ev.Room != p.Line.Room {
			t.Fatalf("room %d: event %+v, want line %s", i, ev, p.Line.ID)
		}
	}
	// Closing gives every channel up (SUNSUBSCRIBE, one slot at a time).
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := e.Chat.SubscribeUser(ctx, "bob")
	if err != nil {
		t.Fatalf("subscribe again: %v", err)
	}
	defer again.Close()
	p := e.post(t, "r7", "alice", "after a resubscribe")
	if ev := next(t, again); ev.Line == nil || ev.Line.ID != p.Line.ID {
		t.Fatalf("after a resubscribe: %+v", ev)
	}
}

func TestByHashTag(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want [][]string
	}{
		{nil, nil},
		{[]string{"p:{r:a}:live", "p:{r:b}:live", "p:{r:a}:x"}, [][]string{{"p:{r:a}:live", "p:{r:a}:x"}, {"p:{r:b}:live"}}},
		// No tag, or an empty one: the whole name is hashed.
		{[]string{"plain", "p:{}:x", "plain"}, [][]string{{"plain", "plain"}, {"p:{}:x"}}},
		{[]string{"a{b", "c}d{e}"}, [][]string{{"a{b"}, {"c}d{e}"}}},
	} {
		if got := byHashTag(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("byHashTag(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if hashTag("c}d{e}") != "e" {
		t.Errorf("hashTag(c}d{e}) = %q", hashTag("c}d{e}"))
	}
}
