package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"parley/threads"
)

func TestPresence(t *testing.T) {
	t.Parallel()
	e := redisEnv(t)
	ok(t, e, "user", "add", "--id", "bob", "--name", "Bob")

	out := ok(t, e, "presence", "show", "bob")
	if out != "user:       bob\nstate:      offline\nlast seen:  never\n" {
		t.Errorf("presence show of a new user:\n%s", out)
	}

	before := time.Now()
	var p threads.Presence
	if err := json.Unmarshal([]byte(ok(t, e, "presence", "set", "bob", "away", "--message", "at the clinic", "--until", "2h", "--json")), &p); err != nil {
		t.Fatal(err)
	}
	if p.State != threads.StateAway || p.Text() != "at the clinic" {
		t.Fatalf("presence set --json: %+v", p)
	}
	if until := p.Status.Until; until.Before(before.Add(2*time.Hour-time.Second)) || until.After(time.Now().Add(2*time.Hour)) {
		t.Errorf("until %s is not two hours from now", until)
	}

	out = ok(t, e, "presence", "show", "bob")
	for _, want := range []string{"state:        away\n", "set by hand:  away at ", "message:      at the clinic\n",
		"until:        " + p.Status.Until.UTC().Format(timeLayout) + "\n", "last seen:    never\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("presence show printed\n%s\nwant %q", out, want)
		}
	}

	at := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	out = ok(t, e, "presence", "set", "bob", "Busy", "--until", at.Format(time.RFC3339))
	if !strings.Contains(out, "state:        busy\n") || !strings.Contains(out, "until:        "+at.Format(timeLayout)+"\n") {
		t.Errorf("presence set busy --until RFC 3339 printed\n%s", out)
	}
	if err := json.Unmarshal([]byte(ok(t, e, "presence", "show", "bob", "--json")), &p); err != nil {
		t.Fatal(err)
	}
	if !p.Status.Until.Equal(at) {
		t.Errorf("until %s, want %s", p.Status.Until, at)
	}

	ok(t, e, "presence", "set", "bob", "available")
	if got := ok(t, e, "presence", "heartbeat", "bob"); got != "bob: heartbeat recorded; now online\n" {
		t.Errorf("heartbeat printed %q", got)
	}
}

func TestParseUntil(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{in: "90m", want: now.Add(90 * time.Minute)},
		{in: "2025-01-02T15:04:05+01:00", want: time.Date(2025, 1, 2, 14, 4, 5, 0, time.UTC)},
		{in: "-1h", bad: true},
		{in: "0s", bad: true},
		{in: "tomorrow", bad: true},
		{in: "2025-01-02", bad: true},
	} {
		u, err := parseUntil(tc.in)
		if (err != nil) != tc.bad {
			t.Errorf("parseUntil(%q) error %v", tc.in, err)
			continue
		}
		if !tc.bad && !u.at(now).Equal(tc.want) {
			t.Errorf("parseUntil(%q) = %s, want %s", tc.in, u.at(now), tc.want)
		}
	}
}
