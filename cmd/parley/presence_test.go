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

// TestAwayAutoReplyCLI: an away message set from the CLI is the
// auto-reply; --until reads times in the member's zone; --auto-reply off
// stops it; bots are never answered.
func TestAwayAutoReplyCLI(t *testing.T) {
	t.Parallel()
	e := redisEnv(t)
	ok(t, e, "user", "add", "--id", "alice", "--name", "Alice")
	ok(t, e, "user", "add", "--id", "bob", "--name", "Bob", "--tz", "Asia/Tokyo")
	if out := ok(t, e, "user", "add", "--id", "ci", "--name", "CI", "--bot"); !strings.Contains(out, "notes:") || !strings.Contains(out, "bot") {
		t.Errorf("user add --bot printed\n%s", out)
	}
	ok(t, e, "room", "create", "--id", "ab", "--name", "AB", "--direct", "--members", "alice,bob")
	ok(t, e, "room", "create", "--id", "cib", "--name", "CI", "--direct", "--members", "ci,bob")

	var p threads.Presence
	if err := json.Unmarshal([]byte(ok(t, e, "presence", "set", "bob", "away", "--message", "at the clinic", "--until", "15:00", "--json")), &p); err != nil {
		t.Fatal(err)
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	if u := p.Status.Until.In(tokyo); u.Hour() != 15 || u.Minute() != 0 || u.After(time.Now().Add(24*time.Hour)) {
		t.Errorf("--until 15:00 in Tokyo gave %s", u)
	}
	out := ok(t, e, "presence", "show", "bob")
	if !strings.Contains(out, "auto-reply:   on: sent once") {
		t.Errorf("presence show does not say the auto-reply is on:\n%s", out)
	}
	out = ok(t, e, "post", "--room", "ab", "--as", "alice", "are you there?")
	if !strings.Contains(out, "auto-reply ") || !strings.Contains(out, "  Bob (auto-reply): at the clinic (until ") {
		t.Errorf("post did not show the auto-reply:\n%s", out)
	}
	if out = ok(t, e, "post", "--room", "ab", "--as", "alice", "hello?"); strings.Contains(out, "auto-reply") {
		t.Errorf("a second auto-reply to the same sender:\n%s", out)
	}
	if out = ok(t, e, "post", "--room", "cib", "--as", "ci", "build failed"); strings.Contains(out, "auto-reply") {
		t.Errorf("a bot was answered:\n%s", out)
	}
	out = ok(t, e, "presence", "set", "bob", "busy", "--message", "in a workshop", "--auto-reply", "off")
	if !strings.Contains(out, "auto-reply:   off\n") {
		t.Errorf("--auto-reply off printed\n%s", out)
	}
	if out = ok(t, e, "post", "--room", "ab", "--as", "alice", "and now?"); strings.Contains(out, "auto-reply") {
		t.Errorf("auto-reply although turned off:\n%s", out)
	}
	out = ok(t, e, "post", "--room", "ab", "--as", "alice", "!urgent call me")
	if !strings.Contains(out, "bob: digest (busy)") {
		t.Errorf("urgent line to a busy member:\n%s", out)
	}
	lines := ok(t, e, "lines", "--room", "ab")
	if !strings.Contains(lines, "Alice: call me") || strings.Contains(lines, "!urgent") {
		t.Errorf("the urgent prefix was kept:\n%s", lines)
	}

	for _, bad := range [][]string{
		{"presence", "set", "bob", "away", "--until", "soon"},
		{"presence", "set", "bob", "away", "--until", "-1h"},
		{"presence", "set", "bob", "away", "--until", "2001-01-02T15:04:05Z"},
		{"presence", "set", "bob", "away", "--auto-reply", "maybe"},
	} {
		if r := parley(t, e, bad...); r.code != exitUsage || !strings.Contains(r.err, "--") {
			t.Errorf("%v: exit %d, stderr %q", bad, r.code, r.err)
		}
	}
}
