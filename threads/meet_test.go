package threads

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCutMeet(t *testing.T) {
	cases := []struct {
		in, topic string
		ok        bool
	}{
		{"/meet", "", true},
		{"  /MEET  design   review ", "design review", true},
		{"/meet\tnow", "now", true},
		{"/meeting", "", false},
		{"let's /meet", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		if topic, ok := CutMeet(c.in); ok != c.ok || topic != c.topic {
			t.Errorf("CutMeet(%q) = %q, %v", c.in, topic, ok)
		}
	}
}

// TestMeet: a meeting line carries an unguessable link (or the room's
// fixed one), and its jobs go at once, past the batching window, pulling
// the member's waiting batch forward with them.
func TestMeet(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob", "carol")
	e.room(t, "design", Group, "alice", "bob", "carol")
	for _, m := range []string{"bob", "carol"} {
		if _, err := e.Chat.SetStatus(e.ctx, m, Status{Availability: Away}); err != nil {
			t.Fatal(err)
		}
	}
	// An ordinary line waits in bob's batch for the window.
	e.post(t, "design", "alice", "before the meeting")
	p, err := e.Chat.Meet(e.ctx, "design", "alice", "design review", FromWeb, "")
	if err != nil {
		t.Fatal(err)
	}
	link := p.Line.Meeting()
	if !strings.HasPrefix(link, DefaultMeetURL+"parley-") || len(link) < len(DefaultMeetURL)+30 ||
		!strings.Contains(p.Line.Text, "started a meeting: design review") || !strings.Contains(p.Line.Text, link) {
		t.Fatalf("meeting line %+v", p.Line)
	}
	if p.Routes["bob"].Channel != Email || p.Routes["carol"].Channel != Email {
		t.Fatalf("routes %v", p.Routes)
	}
	again, _ := e.Chat.Meet(e.ctx, "design", "alice", "", FromWeb, "")
	if again.Line.Meeting() == link || again.Duplicate {
		t.Fatalf("second meeting reused %s", link)
	}
	// Both of bob's lines go now, in one batch, with no window to wait.
	jobs, err := e.Queue.Claim(e.ctx, ClaimOptions{Consumer: "w", PerShard: 100})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Queue.Gather(e.ctx, jobs, func(Channel) time.Duration { return time.Hour }); err != nil {
		t.Fatal(err)
	}
	bs, err := e.Queue.Lease(e.ctx, LeaseOptions{Lease: time.Minute, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, b := range bs {
		got[b.Member] += len(b.Jobs)
	}
	if got["bob"] != 3 || got["carol"] != 3 {
		t.Fatalf("leased at once: %v (%d batches); want every line of bob and carol", got, len(bs))
	}

	// A fixed link for the room.
	if err := e.Chat.SetMeetingURL(e.ctx, "admin", "design", "https://video.example.org/design"); err != nil {
		t.Fatal(err)
	}
	fixed, _ := e.Chat.Meet(e.ctx, "design", "bob", "", FromSMS, "")
	fixed2, _ := e.Chat.Meet(e.ctx, "design", "bob", "", FromSMS, "")
	if fixed.Line.Meeting() != "https://video.example.org/design" || fixed2.Duplicate || fixed2.Line.ID == fixed.Line.ID {
		t.Fatalf("fixed meeting %+v / %+v", fixed, fixed2)
	}
	for _, bad := range []string{"javascript:alert(1)", "ftp://x", "https://"} {
		if err := e.Chat.SetMeetingURL(e.ctx, "admin", "design", bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("SetMeetingURL(%q) = %v", bad, err)
		}
	}
	if _, err := e.Chat.Meet(e.ctx, "design", "dave", "", FromWeb, ""); err == nil {
		t.Error("a stranger started a meeting")
	}
	// An ordinary line is no meeting, even with a source id like one.
	if (Line{Origin: FromEmail, SourceID: "meet:x https://a"}).Meeting() != "" {
		t.Error("an email line counted as a meeting")
	}
}
