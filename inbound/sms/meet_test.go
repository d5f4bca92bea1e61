package sms

import (
	"strings"
	"testing"

	"parley/threads"
)

func TestCutMeetSMS(t *testing.T) {
	for _, c := range []struct {
		in, topic string
		ok        bool
	}{
		{"MEET", "", true},
		{"MEET  site visit ", "site visit", true},
		{"/meet now", "now", true},
		{"Meet you at 5", "", false},
		{"MEETING", "", false},
		{"meet", "", false},
	} {
		if topic, ok := cutMeet(c.in); ok != c.ok || topic != c.topic {
			t.Errorf("cutMeet(%q) = %q, %v", c.in, topic, ok)
		}
	}
}

// TestMeetByText: MEET posts one meeting line in the room, and the texter
// gets its link in the answer.
func TestMeetByText(t *testing.T) {
	e := newHenv(t)
	e.text(t, carolPh, num1, "#design MEET site visit")
	r := e.replies(carolPh)
	if len(r) != 1 || !strings.Contains(r[0], "meeting in #design: https://meet.jit.si/parley-") {
		t.Fatalf("replies %q", r)
	}
	lines, err := e.store.Chat.Lines(e.ctx, "design", threads.Range{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range lines {
		if l.Meeting() != "" {
			n++
			if !strings.Contains(r[0], l.Meeting()) || l.Author != "carol" || !strings.Contains(l.Text, "site visit") {
				t.Errorf("meeting line %+v, answer %q", l, r[0])
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d meeting lines, want 1: %+v", n, lines)
	}
}
