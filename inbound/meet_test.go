package inbound

import (
	"strings"
	"testing"
	"time"

	"parley/threads"
)

// TestMeetByEmail: a reply that is only "/meet topic" posts one meeting
// line (also when delivered twice), and its sender gets the link.
func TestMeetByEmail(t *testing.T) {
	e := newRenv(t, Options{})
	body := "/meet site visit\n\nOn Tue, 24 Nov 2026 at 09:14, Alice (parley) <parley@parley.test> wrote:\n> shall we talk?\n"
	for range 2 {
		if _, err := e.receive(t, reply("bob@example.org", e.bob, "m1@example.org", body), e.bob); err != nil {
			t.Fatal(err)
		}
	}
	ls := e.lines(t)
	if len(ls) != 1 || ls[0].Meeting() == "" || ls[0].Author != "bob" || !strings.Contains(ls[0].Text, "Bob started a meeting: site visit") {
		t.Fatalf("lines = %+v", ls)
	}
	ns, err := e.store.Queue.ClaimNotices(e.ctx, "t", 10, time.Minute)
	if err != nil || len(ns) != 1 || ns[0].Kind != threads.NoticeMeeting || ns[0].Link != ls[0].Meeting() || ns[0].To != "bob@example.org" {
		t.Fatalf("notices %+v, %v", ns, err)
	}
	// "/meeting" or text around it is an ordinary reply.
	if _, err := e.receive(t, reply("bob@example.org", e.bob, "m2@example.org", "/meeting is at 3"), e.bob); err != nil {
		t.Fatal(err)
	}
	if ls = e.lines(t); len(ls) != 2 || ls[1].Meeting() != "" {
		t.Fatalf("lines = %+v", ls)
	}
}
