package threads

import (
	"testing"
	"time"
)

func TestCutUrgent(t *testing.T) {
	cases := []struct {
		in, rest string
		urgent   bool
	}{
		{"!urgent server down", "server down", true},
		{"  !URGENT: server down", "server down", true},
		{"!Urgent\nthe printer is on fire", "the printer is on fire", true},
		{"!urgent", "", true},
		{"!urgently needed", "!urgently needed", false},
		{"not !urgent", "not !urgent", false},
		{"!urg", "!urg", false},
		{"", "", false},
	}
	for _, c := range cases {
		rest, urgent := CutUrgent(c.in)
		if rest != c.rest || urgent != c.urgent {
			t.Errorf("CutUrgent(%q) = %q, %v; want %q, %v", c.in, rest, urgent, c.rest, c.urgent)
		}
	}
}

// TestUrgentLines: an !urgent line goes through carol's quiet hours by
// SMS, at most three an hour per sender; the fourth is ordinary and its
// author is told once.
func TestUrgentLines(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice")
	// 09:00 UTC is 04:00 in New York: carol's quiet hours.
	if _, err := e.Directory.AddUser(e.ctx, User{ID: "carol", Name: "Carol", Emails: []string{"carol@example.org"},
		Phone: "+15550001111", PhoneVerified: true, TimeZone: "America/New_York",
		Prefs: Prefs{Quiet: &QuietHours{From: "22:00", To: "07:00"}}}); err != nil {
		t.Fatal(err)
	}
	e.room(t, "design", Group, "alice", "carol")
	e.status(t, "carol", Status{Availability: Offline})

	p := e.post(t, "design", "alice", "@carol are you up?")
	if p.Routes["carol"].Channel != Hold || p.Line.Urgent {
		t.Fatalf("ordinary mention in quiet hours: %+v", p)
	}
	p = e.post(t, "design", "alice", "room-wide, not urgent")
	if p.Routes["carol"].Channel != Email {
		t.Fatalf("room-wide line in quiet hours: %+v, want email as usual", p.Routes["carol"])
	}
	for i := 1; i <= 3; i++ {
		e.clock.Add(time.Minute)
		p = e.post(t, "design", "alice", "!urgent the server is down")
		if !p.Line.Urgent || p.Line.Text != "the server is down" || p.Note != "" {
			t.Fatalf("urgent line %d: %+v", i, p)
		}
		if d := p.Routes["carol"]; d.Channel != SMS {
			t.Fatalf("urgent line %d to carol: %+v, want sms through quiet hours", i, d)
		}
		stored, err := e.Chat.Line(e.ctx, "design", p.Line.ID)
		if err != nil || !stored.Urgent || stored.Text != "the server is down" {
			t.Fatalf("stored %+v, %v", stored, err)
		}
	}
	p = e.post(t, "design", "alice", "!urgent still down")
	if p.Line.Urgent || p.Line.Text != "still down" || p.Note == "" || p.Routes["carol"].Channel != Email {
		t.Fatalf("fourth urgent line in the hour: %+v", p)
	}
	p = e.post(t, "design", "alice", "!urgent STILL down")
	if p.Line.Urgent || p.Note != "" {
		t.Fatalf("fifth urgent line: told again or urgent: %+v", p)
	}
	e.clock.Add(58 * time.Minute) // the first urgent line leaves the window
	if p = e.post(t, "design", "alice", "!urgent up again"); !p.Line.Urgent {
		t.Fatalf("an hour later: %+v", p)
	}
	if _, err := e.Chat.Post(e.ctx, NewLine{Room: "design", Author: "alice", Text: "!urgent ", Origin: FromWeb}); err == nil {
		t.Error("an empty urgent line was posted")
	}
}

// TestUrgentNoticeByEmail: an author who wrote by email is told by email,
// once.
func TestUrgentNoticeByEmail(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob")
	e.room(t, "design", Group, "alice", "bob")
	for i := 0; i < 6; i++ {
		if _, err := e.Chat.Post(e.ctx, NewLine{Room: "design", Author: "alice", Text: "!urgent x", Origin: FromEmail}); err != nil {
			t.Fatal(err)
		}
	}
	ns, err := e.Queue.ClaimNotices(e.ctx, "t", 10, time.Minute)
	if err != nil || len(ns) != 1 || ns[0].To != "alice@example.org" || ns[0].Kind != "urgent-limit" {
		t.Fatalf("notices %+v, %v", ns, err)
	}
}
