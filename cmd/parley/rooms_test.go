package main

import (
	"encoding/json"
	"strings"
	"testing"

	"parley/threads"
)

func TestRooms(t *testing.T) {
	t.Parallel()
	e := redisEnv(t)
	for _, id := range []string{"alice", "bob", "carol", "dave"} {
		ok(t, e, "user", "add", "--id", id, "--name", strings.ToUpper(id[:1])+id[1:])
	}

	out := ok(t, e, "room", "create", "--id", "design", "--name", "Design", "--members", "alice,bob", "--members", "carol",
		"--topic", "the new site")
	for _, want := range []string{"id:       design\n", "name:     Design\n", "kind:     group\n",
		"topic:    the new site\n", "members:  alice, bob, carol\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("room create printed\n%s\nwant %q", out, want)
		}
	}
	var direct threads.Room
	if err := json.Unmarshal([]byte(ok(t, e, "room", "create", "--id", "ac", "--name", "Alice & Carol",
		"--members", "carol,alice", "--direct", "--json")), &direct); err != nil {
		t.Fatal(err)
	}
	if direct.Kind != threads.Direct || strings.Join(direct.Members, ",") != "alice,carol" {
		t.Errorf("direct room: %+v", direct)
	}

	if got := ok(t, e, "room", "add-member", "design", "dave"); got != "dave is a member of design\n" {
		t.Errorf("add-member printed %q", got)
	}
	if got := ok(t, e, "room", "remove-member", "design", "bob"); got != "bob removed from design\n" {
		t.Errorf("remove-member printed %q", got)
	}
	if got := ok(t, e, "room", "rename", "design", "Design team"); got != "design is now called \"Design team\"\n" {
		t.Errorf("rename printed %q", got)
	}

	var r threads.Room
	if err := json.Unmarshal([]byte(ok(t, e, "room", "show", "design", "--json")), &r); err != nil {
		t.Fatal(err)
	}
	if r.Name != "Design team" || strings.Join(r.Members, ",") != "alice,carol,dave" {
		t.Errorf("room show --json: %+v", r)
	}

	out = ok(t, e, "room", "list")
	want := "ID      KIND    MEMBERS  NAME\n" +
		"ac      direct  2        Alice & Carol\n" +
		"design  group   3        Design team\n"
	if out != want {
		t.Errorf("room list printed\n%s\nwant\n%s", out, want)
	}
	out = ok(t, e, "room", "list", "--user", "bob")
	if out != "ID  KIND  MEMBERS  NAME\n" {
		t.Errorf("room list --user bob printed\n%s", out)
	}
	var rooms []threads.Room
	if err := json.Unmarshal([]byte(ok(t, e, "room", "list", "--user", "carol", "--json")), &rooms); err != nil {
		t.Fatal(err)
	}
	if len(rooms) != 2 || rooms[0].ID != "ac" || rooms[1].ID != "design" {
		t.Errorf("room list --user carol --json: %+v", rooms)
	}
	if out := ok(t, e, "room", "list", "--user", "bob", "--json"); out != "[]\n" {
		t.Errorf("room list --user bob --json printed %q", out)
	}
}
