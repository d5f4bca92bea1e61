package threads

import (
	"sort"
	"strings"
	"testing"
)

// TestPrefetchFollowsMembership: Post reads the members' records in the
// script's round trip when the room's members are those of its last post,
// and routes by the true members when someone joined or left meanwhile.
func TestPrefetchFollowsMembership(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob", "carol")
	e.room(t, "design", Group, "alice", "bob")
	rt := &roundTrips{}
	e.redis.Client.AddHook(rt)

	routed := func(text string) (string, int64) {
		t.Helper()
		before := rt.n.Load()
		p, err := e.Chat.Post(e.ctx, NewLine{Room: "design", Author: "alice", AuthorName: "Alice", Text: text, Origin: FromAPI})
		if err != nil {
			t.Fatal(err)
		}
		var who []string
		for m := range p.Routes {
			who = append(who, m)
		}
		sort.Strings(who)
		return strings.Join(who, ","), rt.n.Load() - before
	}

	// The first post loads the scripts and has no guess: not counted.
	if who, _ := routed("first: no guess yet"); who != "bob" {
		t.Errorf("first post routed to %q, want bob", who)
	}
	if who, trips := routed("second: the guess is right"); who != "bob" || trips != 2 {
		t.Errorf("second post routed to %q in %d round trips, want bob in 2", who, trips)
	}
	if err := e.Chat.AddMember(e.ctx, "design", "carol"); err != nil {
		t.Fatal(err)
	}
	if who, trips := routed("carol joined"); who != "bob,carol" || trips != 3 {
		t.Errorf("after a join, routed to %q in %d round trips, want bob,carol in 3", who, trips)
	}
	if err := e.Chat.RemoveMember(e.ctx, "design", "bob"); err != nil {
		t.Fatal(err)
	}
	if who, _ := routed("bob left"); who != "carol" {
		t.Errorf("after a leave, routed to %q, want carol", who)
	}
	if who, trips := routed("settled again"); who != "carol" || trips != 2 {
		t.Errorf("routed to %q in %d round trips, want carol in 2", who, trips)
	}
}
