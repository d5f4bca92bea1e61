package threads

import (
	"errors"
	"strings"
	"testing"
)

func TestRooms(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob", "carol", "dave")
	design := e.room(t, "design", Group, "carol", "alice", "bob", "alice")
	if strings.Join(design.Members, ",") != "alice,bob,carol" {
		t.Fatalf("members = %v", design.Members)
	}
	e.room(t, "ab", Direct, "alice", "bob")

	bad := []struct {
		name string
		room Room
		want error
	}{
		{"exists", Room{ID: "design", Members: []string{"alice", "bob"}}, ErrExists},
		{"one member", Room{ID: "solo", Members: []string{"alice", "alice"}}, ErrInvalid},
		{"direct of three", Room{ID: "d3", Kind: Direct, Members: []string{"alice", "bob", "carol"}}, ErrInvalid},
		{"unknown member", Room{ID: "x", Members: []string{"alice", "zed"}}, ErrNotFound},
		{"bad id", Room{ID: "Design Room", Members: []string{"alice", "bob"}}, ErrInvalid},
		{"bad kind", Room{ID: "k", Kind: "channel", Members: []string{"alice", "bob"}}, ErrInvalid},
	}
	for _, c := range bad {
		if _, err := e.Chat.CreateRoom(e.ctx, c.room); !errors.Is(err, c.want) {
			t.Errorf("%s: CreateRoom = %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := e.Chat.Room(e.ctx, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("refused room was written: %v", err)
	}

	if err := e.Chat.AddMember(e.ctx, "design", "dave"); err != nil {
		t.Fatal(err)
	}
	if err := e.Chat.AddMember(e.ctx, "design", "dave"); err != nil {
		t.Fatalf("adding twice: %v", err)
	}
	if err := e.Chat.AddMember(e.ctx, "ab", "carol"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("adding to a direct room: %v", err)
	}
	if err := e.Chat.AddMember(e.ctx, "nope", "carol"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("adding to a missing room: %v", err)
	}
	if err := e.Chat.AddMember(e.ctx, "design", "zed"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("adding a missing user: %v", err)
	}
	if err := e.Chat.RemoveMember(e.ctx, "design", "carol"); err != nil {
		t.Fatal(err)
	}
	if err := e.Chat.RemoveMember(e.ctx, "design", "carol"); !errors.Is(err, ErrNotMember) {
		t.Fatalf("removing twice: %v", err)
	}
	if err := e.Chat.RemoveMember(e.ctx, "ab", "bob"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("removing below two: %v", err)
	}
	if err := e.Chat.RenameRoom(e.ctx, "design", "Design team"); err != nil {
		t.Fatal(err)
	}
	if err := e.Chat.RenameRoom(e.ctx, "design", ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty name: %v", err)
	}
	if err := e.Chat.SetTopic(e.ctx, "design", "the new logo"); err != nil {
		t.Fatal(err)
	}
	r, err := e.Chat.Room(e.ctx, "design")
	if err != nil || r.Name != "Design team" || r.Topic != "the new logo" || strings.Join(r.Members, ",") != "alice,bob,dave" {
		t.Fatalf("room = %+v, %v", r, err)
	}

	names := func(rs []Room) string {
		var ids []string
		for _, r := range rs {
			ids = append(ids, r.ID)
		}
		return strings.Join(ids, ",")
	}
	for user, want := range map[string]string{"alice": "ab,design", "carol": "", "dave": "design"} {
		rs, err := e.Chat.RoomsOf(e.ctx, user)
		if err != nil || names(rs) != want {
			t.Errorf("RoomsOf(%s) = %s, %v; want %s", user, names(rs), err, want)
		}
	}
	all, err := e.Chat.Rooms(e.ctx)
	if err != nil || names(all) != "ab,design" {
		t.Fatalf("Rooms = %s, %v", names(all), err)
	}
}
