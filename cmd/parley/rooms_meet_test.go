package main

import (
	"strings"
	"testing"
)

func TestRoomSetMeeting(t *testing.T) {
	t.Parallel()
	e := redisEnv(t)
	for _, id := range []string{"alice", "bob"} {
		ok(t, e, "user", "add", "--id", id, "--name", id)
	}
	ok(t, e, "room", "create", "--id", "design", "--name", "Design", "--members", "alice,bob")
	if got := ok(t, e, "room", "set-meeting", "design", "https://video.example.org/design"); got != "/meet in design posts https://video.example.org/design\n" {
		t.Errorf("set-meeting printed %q", got)
	}
	if got := ok(t, e, "room", "set-meeting", "design", "-"); !strings.Contains(got, "a fresh link each time") {
		t.Errorf("set-meeting - printed %q", got)
	}
	for _, c := range [][]string{{"design", "javascript:alert(1)"}, {"nowhere", "https://x.example"}, {"design"}} {
		r := parley(t, e, append([]string{"room", "set-meeting"}, c...)...)
		if r.code == 0 || r.err == "" {
			t.Errorf("set-meeting %v: exit %d, stderr %q", c, r.code, r.err)
		}
	}
}
