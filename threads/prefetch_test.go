package threads

import (
	"errors"
	"sort"
	"strings"
	"testing"
	"time"
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
		who := aliceRoutes(t, e, text)
		return who, rt.n.Load() - before
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

// TestPostMembershipVersion: the post script answers the room's members
// only when the poster does not hold them already (the room's membership
// version), and a room made again after Redis lost it (a restart without
// persistence) with other members is never taken for the old one.
func TestPostMembershipVersion(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob", "carol")
	e.room(t, "design", Group, "alice", "bob")
	routed := func(text string) string { t.Helper(); return aliceRoutes(t, e, text) }
	held := func() membership {
		v, _ := e.Chat.roomMembers.Load("design")
		return v.(membership)
	}

	routed("first")
	first := held()
	if first.version == "" || strings.Join(first.members, ",") == "" {
		t.Fatalf("held after the first post: %+v", first)
	}
	if who := routed("second"); who != "bob" || held().version != first.version {
		t.Errorf("second post routed to %q holding %+v, want bob and %+v", who, held(), first)
	}
	if err := e.Chat.AddMember(e.ctx, "design", "carol"); err != nil {
		t.Fatal(err)
	}
	if who := routed("carol joined"); who != "bob,carol" || held().version == first.version {
		t.Errorf("after a join routed to %q holding %+v", who, held())
	}

	// Holding the current version proves only the members held: carol,
	// who is not one, is refused, and so is bob once he has left, though
	// this process held a list with him in it.
	if err := e.Chat.RemoveMember(e.ctx, "design", "carol"); err != nil {
		t.Fatal(err)
	}
	routed("carol left")
	if _, err := e.Chat.Post(e.ctx, NewLine{Room: "design", Author: "carol", Text: "still here?", Origin: FromAPI}); !errors.Is(err, ErrNotMember) {
		t.Errorf("carol, not a member, posted holding %+v: %v", held(), err)
	}
	if err := e.Chat.AddMember(e.ctx, "design", "carol"); err != nil {
		t.Fatal(err)
	}
	routed("carol back")
	if err := e.Chat.RemoveMember(e.ctx, "design", "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Chat.Post(e.ctx, NewLine{Room: "design", Author: "bob", Text: "am I in?", Origin: FromAPI}); !errors.Is(err, ErrNotMember) {
		t.Errorf("bob, gone, posted: %v", err)
	}
	if err := e.Chat.AddMember(e.ctx, "design", "bob"); err != nil {
		t.Fatal(err)
	}

	// Redis loses the room; it is made again, with other members, while
	// this process holds the list of before (a version of the same count
	// of membership changes, had it not the creation time in it).
	e.seed(t, "dave")
	if err := e.redis.Client.Del(e.ctx, e.Chat.k.room("design"), e.Chat.k.members("design")).Err(); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Second) // a creation time of its own
	e.room(t, "design", Group, "alice", "bob")
	if err := e.Chat.AddMember(e.ctx, "design", "dave"); err != nil { // one change, as before
		t.Fatal(err)
	}
	if who := routed("made again"); who != "bob,dave" {
		t.Errorf("in the room made again routed to %q, want bob,dave", who)
	}
}

// aliceRoutes posts text as alice in design and returns the members it
// was routed to, sorted and comma-separated.
func aliceRoutes(t *testing.T, e *env, text string) string {
	t.Helper()
	p, err := e.Chat.Post(e.ctx, NewLine{Room: "design", Author: "alice", AuthorName: "Alice", Text: text, Origin: FromAPI})
	if err != nil {
		t.Fatal(err)
	}
	var who []string
	for m := range p.Routes {
		who = append(who, m)
	}
	sort.Strings(who)
	return strings.Join(who, ",")
}
