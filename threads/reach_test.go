package threads

import (
	"errors"
	"testing"
)

func TestRoomOwner(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob", "carol")
	r, err := e.Chat.CreateRoom(e.ctx, Room{ID: "design", Members: []string{"alice", "bob"}, Owner: "alice"})
	if err != nil || r.Owner != "alice" {
		t.Fatalf("create = %+v, %v", r, err)
	}
	if got, _ := e.Chat.Room(e.ctx, "design"); got.Owner != "alice" {
		t.Fatalf("owner read back = %q", got.Owner)
	}
	if _, err := e.Chat.CreateRoom(e.ctx, Room{ID: "x", Members: []string{"alice", "bob"}, Owner: "carol"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("an owner outside the room: %v", err)
	}
	if got := e.room(t, "plain", Group, "alice", "bob"); got.Owner != "" {
		t.Fatalf("owner of a room made without one: %q", got.Owner)
	}
}

func TestReach(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob", "carol", "dave")
	e.room(t, "design", Group, "alice", "bob", "carol", "dave")
	if err := e.Chat.Heartbeat(e.ctx, "alice", Beat{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Chat.SetStatus(e.ctx, "bob", Status{Availability: Away, Text: "clinic"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Chat.SetStatus(e.ctx, "carol", Status{Availability: Busy}); err != nil {
		t.Fatal(err)
	}
	if err := e.Chat.SetMuted(e.ctx, "design", "dave", true); err != nil {
		t.Fatal(err)
	}
	_, got, err := e.Chat.Reach(e.ctx, "design")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		state State
		ch    Channel
	}{
		"alice": {StateOnline, Live},
		"bob":   {StateAway, Email},
		"carol": {StateBusy, Hold},
		"dave":  {StateOffline, Hold},
	}
	for m, w := range want {
		if got[m].Presence.State != w.state || got[m].Reach.Channel != w.ch {
			t.Errorf("%s: %s by %s, want %s by %s", m, got[m].Presence.State, got[m].Reach.Channel, w.state, w.ch)
		}
	}
	if got["bob"].Presence.Text() != "clinic" || got["bob"].User.Name != "User bob" {
		t.Errorf("bob = %+v", got["bob"])
	}
	if _, _, err := e.Chat.Reach(e.ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("reach of a missing room: %v", err)
	}
}

func TestPresenceEvents(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob", "carol")
	e.room(t, "design", Group, "alice", "bob")
	e.room(t, "other", Group, "alice", "carol")
	sub, err := e.Chat.SubscribeUser(e.ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if _, err := e.Chat.SetStatus(e.ctx, "carol", Status{Availability: Away}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Chat.SetStatus(e.ctx, "alice", Status{Availability: Away, Text: "lunch"}); err != nil {
		t.Fatal(err)
	}
	ev := next(t, sub)
	if ev.Kind != PresenceEvent || ev.Room != "design" || ev.Presence == nil || ev.Presence.User != "alice" ||
		ev.Presence.State != StateAway || ev.Presence.Text() != "lunch" {
		t.Fatalf("event = %+v (carol shares no room with bob)", ev)
	}
	if _, err := e.Chat.SetStatus(e.ctx, "alice", Status{Availability: Available}); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, sub); ev.Presence == nil || ev.Presence.State != StateOffline {
		t.Fatalf("event = %+v", ev)
	}
	// A heartbeat that brings alice online is announced; the next one,
	// while she is online, is not.
	if err := e.Chat.Heartbeat(e.ctx, "alice", Beat{}); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, sub); ev.Presence == nil || ev.Presence.State != StateOnline {
		t.Fatalf("event = %+v", ev)
	}
	if err := e.Chat.Heartbeat(e.ctx, "alice", Beat{}); err != nil {
		t.Fatal(err)
	}
	p := e.post(t, "design", "alice", "after the heartbeats")
	if ev := next(t, sub); ev.Kind != LineEvent || ev.Line.ID != p.Line.ID {
		t.Fatalf("event = %+v, want the line (no second presence event)", ev)
	}
	if err := e.Chat.Heartbeat(e.ctx, "nobody", Beat{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("heartbeat of nobody: %v", err)
	}
}
