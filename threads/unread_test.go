package threads

import (
	"fmt"
	"testing"
)

// TestUnread: lines by others after the read marker count, the reader's
// own lines do not, mentions of the reader are counted apart (an address
// like bob@example.org is no mention), and the count is capped.
func TestUnread(t *testing.T) {
	e := queueEnv(t)
	e.room(t, "ops", Group, "alice", "bob")
	e.room(t, "quiet", Group, "alice", "bob")
	first := e.post(t, "design", "alice", "one").Line.ID
	if err := e.Chat.MarkRead(e.ctx, "design", "bob", first); err != nil {
		t.Fatal(err)
	}
	e.post(t, "design", "alice", "two, @Bob look")
	e.post(t, "design", "bob", "my own line")
	last := e.post(t, "design", "carol", "mail bob@example.org").Line.ID
	for i := 0; i < UnreadCap+2; i++ {
		e.post(t, "ops", "alice", fmt.Sprintf("ops %d", i))
	}
	got, err := e.Chat.Unread(e.ctx, "bob", []string{"design", "ops", "quiet"})
	if err != nil {
		t.Fatal(err)
	}
	if u := got["design"]; u != (Unread{Lines: 2, Mentions: 1, Upto: last}) {
		t.Errorf("design: %+v, want 2 lines, 1 mention", u)
	}
	if u := got["ops"]; u.Lines != UnreadCap || !u.More || u.Mentions != 0 {
		t.Errorf("ops: %+v, want the cap and more", u)
	}
	if u := got["quiet"]; u != (Unread{}) {
		t.Errorf("quiet: %+v", u)
	}
	if _, err := e.Chat.Unread(e.ctx, "no such!", nil); err == nil {
		t.Error("a bad member id was accepted")
	}
}
