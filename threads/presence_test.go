package threads

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestEffectivePresence(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	idle, offline := 5*time.Minute, 8*time.Hour
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	status := func(a Availability, until time.Time) *Status { return &Status{Availability: a, Until: until} }
	cases := []struct {
		name string
		st   *Status
		seen time.Time
		want State
	}{
		{"never seen", nil, time.Time{}, StateOffline},
		{"heartbeat now", nil, ago(time.Second), StateOnline},
		{"idle", nil, ago(6 * time.Minute), StateAway},
		{"gone for the day", nil, ago(9 * time.Hour), StateOffline},
		{"away by hand, heartbeat now: still away", status(Away, time.Time{}), ago(time.Second), StateAway},
		{"busy by hand", status(Busy, time.Time{}), ago(time.Second), StateBusy},
		{"offline by hand while live", status(Offline, time.Time{}), ago(time.Second), StateOffline},
		{"away until later", status(Away, now.Add(time.Hour)), ago(time.Second), StateAway},
		{"away expired: activity counts again", status(Away, now), ago(time.Second), StateOnline},
		{"available by hand follows activity", status(Available, time.Time{}), ago(time.Hour), StateAway},
	}
	for _, c := range cases {
		p := EffectivePresence("bob", c.st, Activities{Last: c.seen}, now, idle, offline)
		if p.State != c.want {
			t.Errorf("%s: state %s, want %s", c.name, p.State, c.want)
		}
	}
	if p := EffectivePresence("bob", &Status{Availability: Away, Text: "lunch", Until: now}, Activities{}, now, idle, offline); p.Text() != "" {
		t.Errorf("expired status text still shown: %q", p.Text())
	}
}

// TestPresenceFromActivity: an open page is not a person. What counts is
// activity, withdrawn by the idle report of the client that made it.
func TestPresenceFromActivity(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	idle, offline := 5*time.Minute, 8*time.Hour
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	cases := []struct {
		name            string
		act             Activities
		state           State
		idle, connected bool
	}{
		{"active now, page open", Activities{Last: ago(time.Second), Connected: ago(time.Second)}, StateOnline, false, true},
		{"page open, untouched past the idle time", Activities{Last: ago(6 * time.Minute), Connected: ago(time.Second)}, StateAway, true, true},
		{"tab hidden just now", Activities{Last: ago(time.Second), Withdrawn: true, Connected: ago(time.Second)}, StateAway, true, true},
		{"page open overnight", Activities{Last: ago(9 * time.Hour), Connected: ago(time.Second)}, StateOffline, true, true},
		{"page open, never used", Activities{Connected: ago(time.Second)}, StateOffline, true, true},
		{"page closed long ago", Activities{Last: ago(time.Hour), Connected: ago(time.Hour)}, StateAway, true, false},
	}
	for _, c := range cases {
		p := EffectivePresence("bob", nil, c.act, now, idle, offline)
		if p.State != c.state || p.Idle != c.idle || p.Connected != c.connected {
			t.Errorf("%s: %+v, want %s idle=%v connected=%v", c.name, p, c.state, c.idle, c.connected)
		}
	}
}

// TestHeartbeatActivity: connected beats keep a page reachable but not
// online; an idle beat withdraws only its own client's activity.
func TestHeartbeatActivity(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "bob")
	steps := []struct {
		name      string
		beat      Beat
		advance   time.Duration
		state     State
		connected bool
	}{
		{"a live page opens", Beat{Activity: Connected, Client: "tab"}, 0, StateOffline, true},
		{"a key press", Beat{Activity: Active, Client: "tab"}, 0, StateOnline, true},
		{"the page beats, untouched", Beat{Activity: Connected, Client: "tab"}, 4 * time.Minute, StateOnline, true},
		{"still untouched past the idle time", Beat{Activity: Connected, Client: "tab"}, 2 * time.Minute, StateAway, true},
		{"the pointer moves", Beat{Activity: Active, Client: "tab"}, 0, StateOnline, true},
		{"another tab goes idle: no effect", Beat{Activity: Idle, Client: "other"}, 0, StateOnline, true},
		{"the tab is hidden: idle at once", Beat{Activity: Idle, Client: "tab"}, 0, StateAway, true},
		{"a script says active", Beat{}, 0, StateOnline, true},
	}
	for _, s := range steps {
		e.clock.Add(s.advance)
		if err := e.Chat.Heartbeat(e.ctx, "bob", s.beat); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		p, err := e.Chat.Presence(e.ctx, "bob")
		if err != nil {
			t.Fatal(err)
		}
		if p.State != s.state || p.Connected != s.connected {
			t.Fatalf("%s: %+v, want %s connected=%v", s.name, p, s.state, s.connected)
		}
	}
	for _, bad := range []Beat{{Activity: "asleep"}, {Client: strings.Repeat("x", 65)}} {
		if err := e.Chat.Heartbeat(e.ctx, "bob", bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Heartbeat(%+v) = %v, want invalid", bad, err)
		}
	}
}

func TestPresenceWithClock(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "bob")
	state := func() State {
		t.Helper()
		p, err := e.Chat.Presence(e.ctx, "bob")
		if err != nil {
			t.Fatal(err)
		}
		return p.State
	}
	if s := state(); s != StateOffline {
		t.Fatalf("new user is %s", s)
	}
	if err := e.Chat.Heartbeat(e.ctx, "bob", Beat{}); err != nil {
		t.Fatal(err)
	}
	if s := state(); s != StateOnline {
		t.Fatalf("after heartbeat: %s", s)
	}
	e.clock.Add(4 * time.Minute)
	if s := state(); s != StateOnline {
		t.Fatalf("4 minutes later: %s", s)
	}
	e.clock.Add(2 * time.Minute)
	if s := state(); s != StateAway {
		t.Fatalf("6 minutes without heartbeat: %s, want away", s)
	}
	// A status by hand, with an until-time, beats activity and then expires.
	p, err := e.Chat.SetStatus(e.ctx, "bob", Status{Availability: Busy, Text: "in a workshop", Until: e.clock.Now().Add(2 * time.Hour)})
	if err != nil || p.State != StateBusy || p.Text() != "in a workshop" {
		t.Fatalf("SetStatus = %+v, %v", p, err)
	}
	_ = e.Chat.Heartbeat(e.ctx, "bob", Beat{})
	if s := state(); s != StateBusy {
		t.Fatalf("heartbeat overrode busy: %s", s)
	}
	e.clock.Add(2 * time.Hour)
	_ = e.Chat.Heartbeat(e.ctx, "bob", Beat{})
	if s := state(); s != StateOnline {
		t.Fatalf("after the until-time: %s, want online", s)
	}

	for _, bad := range []Status{
		{Availability: "gone"},
		{Availability: Away, Until: e.clock.Now().Add(-time.Minute)},
		{Availability: Away, Text: string(make([]byte, 300))},
	} {
		if _, err := e.Chat.SetStatus(e.ctx, "bob", bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("SetStatus(%+v) = %v", bad, err)
		}
	}
	if _, err := e.Chat.SetStatus(e.ctx, "zed", Status{Availability: Away}); !errors.Is(err, ErrNotFound) {
		t.Errorf("status of unknown user: %v", err)
	}
	if err := e.Chat.Heartbeat(e.ctx, "zed", Beat{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("heartbeat of unknown user: %v", err)
	}
}

// TestRoutingFollowsPresence posts into rooms and checks the decisions
// fan-out makes from stored users and presence.
func TestRoutingFollowsPresence(t *testing.T) {
	e := newEnv(t)
	add := func(u User) {
		if _, err := e.Directory.AddUser(e.ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	add(User{ID: "alice", Name: "Alice", Emails: []string{"alice@example.org"}})
	add(User{ID: "bob", Name: "Bob", Emails: []string{"bob@example.org"}})
	add(User{ID: "carol", Name: "Carol", Emails: []string{"carol@example.org"}, Phone: "+15550001111", PhoneVerified: true})
	add(User{ID: "dave", Name: "Dave", Emails: []string{"dave@example.org"}})
	add(User{ID: "erin", Name: "Erin", Emails: []string{"erin@example.org"}, TimeZone: "Asia/Tokyo",
		Prefs: Prefs{Quiet: &QuietHours{From: "17:00", To: "08:00", Mode: QuietHoldAll}}}) // 18:00 in Tokyo when the clock says 09:00 UTC
	e.room(t, "design", Group, "alice", "bob", "carol", "dave", "erin")
	e.room(t, "ac", Direct, "alice", "carol")
	_ = e.Chat.Heartbeat(e.ctx, "alice", Beat{})
	_ = e.Chat.Heartbeat(e.ctx, "bob", Beat{})
	e.clock.Add(10 * time.Minute) // bob idles into away
	_ = e.Chat.Heartbeat(e.ctx, "alice", Beat{})
	if _, err := e.Chat.SetStatus(e.ctx, "dave", Status{Availability: Busy}); err != nil {
		t.Fatal(err)
	}

	p := e.post(t, "design", "alice", "room-wide news")
	want := map[string]Channel{"bob": Email, "carol": Email, "dave": Hold, "erin": Hold}
	for m, c := range want {
		if p.Routes[m].Channel != c {
			t.Errorf("room-wide line to %s: %+v, want %s", m, p.Routes[m], c)
		}
	}
	if _, ok := p.Routes["alice"]; ok {
		t.Error("the author was routed her own line")
	}
	if p := e.post(t, "design", "alice", "@carol can you check?"); p.Routes["carol"].Channel != SMS {
		t.Errorf("mention of offline carol: %+v, want sms", p.Routes["carol"])
	}
	if p := e.post(t, "ac", "alice", "call me"); p.Routes["carol"].Channel != SMS {
		t.Errorf("direct line to offline carol: %+v, want sms", p.Routes["carol"])
	}
	if p := e.post(t, "design", "bob", "@alice here"); p.Routes["alice"].Channel != Live {
		t.Errorf("line to online alice: %+v", p.Routes["alice"])
	}
}

func TestMutedRoomIsHeld(t *testing.T) {
	e := queueEnv(t)
	if err := e.Chat.SetMuted(e.ctx, "design", "bob", true); err != nil {
		t.Fatal(err)
	}
	if m, _ := e.Chat.Muted(e.ctx, "design", "bob"); !m {
		t.Fatal("not muted")
	}
	p := e.post(t, "design", "alice", "news")
	if p.Routes["bob"].Channel != Hold || p.Routes["carol"].Channel != SMS {
		t.Fatalf("routes = %+v", p.Routes)
	}
	_ = e.Chat.SetMuted(e.ctx, "design", "bob", false)
	if p := e.post(t, "design", "alice", "more"); p.Routes["bob"].Channel != Email {
		t.Fatalf("after unmute: %+v", p.Routes["bob"])
	}
	if err := e.Chat.SetMuted(e.ctx, "design", "zed", true); err == nil {
		t.Fatal("muted for a non-member")
	}
}
