package main

import (
	"strings"
	"testing"
	"time"

	"parley/threads"
)

// TestEscalationShown: parley post says when a line escalates, and
// parley delivery how it went ("by email 10:02, by text 10:32"), in the
// local zone.
func TestEscalationShown(t *testing.T) {
	at := time.Date(2026, 12, 7, 10, 2, 0, 0, time.Local)
	p := threads.Posted{Line: threads.Line{ID: "1-0"},
		Routes:    map[string]threads.Decision{"bob": {Channel: threads.Email, Reason: "away"}, "carol": {Channel: threads.Live, Reason: "online"}},
		Escalates: map[string]threads.Escalation{"bob": {Channel: threads.SMS, At: at.Add(30 * time.Minute)}}}
	var b strings.Builder
	if err := printPosted(&b, p); err != nil {
		t.Fatal(err)
	}
	if want := "bob: email (away); escalates to text at 10:32\ncarol: live (online)\n"; !strings.Contains(b.String(), want) {
		t.Errorf("post printed\n%s\nwant\n%s", b.String(), want)
	}
	got := deliveryText([]threads.Delivery{{Channel: threads.Email, At: at}, {Channel: threads.SMS, At: at.Add(30 * time.Minute)}})
	if got != "by email 10:02, by text 10:32" {
		t.Errorf("delivery text %q", got)
	}
}
