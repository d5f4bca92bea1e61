package threads

import (
	"context"
	"sync"
	"testing"
	"time"
)

// escEnv: alice and bob in a direct room and with carol in a group room;
// bob is away (by email) with a verified phone.
func escEnv(t *testing.T) *env {
	e := newEnv(t)
	e.seed(t, "alice", "bob", "carol")
	if _, err := e.Directory.UpdateUser(e.ctx, "bob", func(u *User) error {
		u.Phone, u.PhoneVerified = "+15550003333", true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.room(t, "ab", Direct, "alice", "bob")
	e.room(t, "design", Group, "alice", "bob", "carol")
	e.status(t, "bob", Status{Availability: Away})
	return e
}

// escalate runs EscalateDue and returns what went out, "room/member/channel".
func (e *env) escalate(t *testing.T, s *Store) []string {
	t.Helper()
	res, err := s.Chat.EscalateDue(e.ctx, time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range res {
		if r.Channel != "" {
			out = append(out, r.Room+"/"+r.Member+"/"+string(r.Channel))
		}
	}
	return out
}

// smsJobs returns the SMS jobs queued, "room/line/member".
func (e *env) smsJobs(t *testing.T) []string {
	t.Helper()
	jobs, err := e.Queue.Claim(e.ctx, ClaimOptions{Consumer: "test", PerShard: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, j := range jobs {
		if j.Channel == SMS {
			out = append(out, j.Room+"/"+j.Line+"/"+j.Member)
		}
	}
	return out
}

// TestEscalationOnce: an unseen direct line emailed to bob goes out again
// by text once the escalation time passed, once; the sender's view tells
// both ways with their times.
func TestEscalationOnce(t *testing.T) {
	e := escEnv(t)
	p := e.post(t, "ab", "alice", "can you sign the form?")
	if d := p.Routes["bob"]; d.Channel != Email {
		t.Fatalf("bob routed %+v, want email", d)
	}
	posted := e.clock.Now()
	want := Escalation{Channel: SMS, At: posted.Add(DefaultEscalateAfter).UTC().Truncate(time.Second)}
	if got := p.Escalates["bob"]; got != want {
		t.Fatalf("escalates %+v, want %+v", p.Escalates, want)
	}
	_, pending, err := e.Chat.Reached(e.ctx, "ab", p.Line.ID)
	if err != nil || pending["bob"] != want {
		t.Fatalf("pending %+v %v, want bob's %+v", pending, err, want)
	}
	// Nothing before it is due.
	e.clock.Add(29 * time.Minute)
	if got := e.escalate(t, e.Store); len(got) != 0 {
		t.Fatalf("escalated early: %q", got)
	}
	e.clock.Add(2 * time.Minute)
	if got := e.escalate(t, e.Store); len(got) != 1 || got[0] != "ab/bob/sms" {
		t.Fatalf("escalated %q, want bob by sms", got)
	}
	if got := e.smsJobs(t); len(got) != 1 || got[0] != "ab/"+p.Line.ID+"/bob" {
		t.Fatalf("sms jobs %q", got)
	}
	// Recovery routing the line again schedules it again: it does not
	// go out twice.
	if _, _, err := e.Chat.fanout(e.ctx, p.Line, Direct, []string{"alice", "bob"}, nil); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Hour)
	if got := e.escalate(t, e.Store); len(got) != 0 {
		t.Fatalf("escalated again: %q", got)
	}
	reached, pending, err := e.Chat.Reached(e.ctx, "ab", p.Line.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r := reached["bob"]; len(r) != 2 || r[0].Channel != Email || !r[0].At.Equal(posted) || r[1].Channel != SMS ||
		!r[1].At.Equal(posted.Add(31*time.Minute)) {
		t.Errorf("bob reached %+v", r)
	}
	if len(pending) != 0 {
		t.Errorf("still pending: %+v", pending)
	}
}

// TestEscalationNotNeeded: lines seen on the web, answered (by email), not
// needing bob, or for a member who turned escalation off, never escalate.
func TestEscalationNotNeeded(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, e *env, line Line)
		text  string
		room  string
		why   string
	}{
		{name: "seen on the web", room: "ab", text: "sign it?", why: "seen on the web",
			setup: func(t *testing.T, e *env, l Line) {
				if err := e.Chat.MarkRead(e.ctx, "ab", "bob", l.ID); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "answered by email", room: "ab", text: "sign it?", why: "answered",
			setup: func(t *testing.T, e *env, l Line) {
				if _, err := e.Chat.Post(e.ctx, NewLine{Room: "ab", Author: "bob", Text: "done", Origin: FromEmail,
					SourceID: "email:r1@example.org"}); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "back online", room: "ab", text: "sign it?", why: "online now",
			setup: func(t *testing.T, e *env, l Line) {
				e.status(t, "bob", Status{Availability: Available})
				if err := e.Chat.Heartbeat(e.ctx, "bob", Beat{}); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "a room-wide line", room: "design", text: "news for all"},
		{name: "turned off", room: "ab", text: "sign it?",
			setup: func(t *testing.T, e *env, l Line) {}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := escEnv(t)
			if c.name == "turned off" {
				if _, err := e.Directory.UpdateUser(e.ctx, "bob", func(u *User) error { u.Prefs.Escalate = EscalateOff; return nil }); err != nil {
					t.Fatal(err)
				}
			}
			p := e.post(t, c.room, "alice", c.text)
			if c.why == "" && len(p.Escalates) != 0 {
				t.Fatalf("escalation planned: %+v", p.Escalates)
			}
			e.clock.Add(time.Hour)
			if c.setup != nil {
				c.setup(t, e, p.Line)
			}
			all, err := e.Chat.EscalateDue(e.ctx, time.Minute, 100)
			if err != nil {
				t.Fatal(err)
			}
			var res []Escalated
			for _, r := range all {
				if r.Member == "bob" {
					res = append(res, r)
				}
			}
			if c.why == "" {
				if len(res) != 0 {
					t.Fatalf("escalations %+v, want none scheduled", res)
				}
				return
			}
			if len(res) != 1 || res[0].Channel != "" || res[0].Reason != c.why {
				t.Fatalf("escalations %+v, want one dropped: %s", res, c.why)
			}
			if got := e.smsJobs(t); len(got) != 0 {
				t.Fatalf("sms jobs %q", got)
			}
		})
	}
}

// TestEscalationAcrossProcesses: two stores (two processes) scan the due
// escalations at once, many times: each line escalates once. A process
// that leased an escalation and died leaves it to the other after the
// lease.
func TestEscalationAcrossProcesses(t *testing.T) {
	e := escEnv(t)
	other := New(e.redis.Client, e.Store.Options())
	var lines []string
	for _, text := range []string{"one?", "two?", "three?"} {
		lines = append(lines, e.post(t, "ab", "alice", text).Line.ID)
		e.clock.Add(time.Second)
	}
	e.clock.Add(time.Hour)
	var mu sync.Mutex
	var got []string
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		s := e.Store
		if i%2 == 1 {
			s = other
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.Chat.EscalateDue(context.Background(), time.Minute, 1)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, r := range res {
				if r.Channel != "" {
					got = append(got, r.Line)
				}
			}
		}()
	}
	wg.Wait()
	got = append(got, e.escalate(t, other)...) // whatever is left
	if len(got) != 3 {
		t.Fatalf("escalated %q, want each of %q once", got, lines)
	}
	if jobs := e.smsJobs(t); len(jobs) != 3 {
		t.Fatalf("sms jobs %q, want 3", jobs)
	}

	// A lease taken by a process that died: the other takes over after it.
	p := e.post(t, "ab", "alice", "four?")
	e.clock.Add(time.Hour)
	if _, err := scriptClaimEscalations.Run(e.ctx, e.redis.Client, []string{e.Chat.k.escalateDue()},
		e.clock.Now().UnixMilli(), e.clock.Now().Add(time.Minute).UnixMilli(), 10).Result(); err != nil {
		t.Fatal(err)
	}
	if got := e.escalate(t, other); len(got) != 0 {
		t.Fatalf("escalated while leased: %q", got)
	}
	e.clock.Add(2 * time.Minute)
	if got := e.escalate(t, other); len(got) != 1 {
		t.Fatalf("after the lease: %q, want %s", got, p.Line.ID)
	}
}

// TestEscalateTo covers the decision's rules.
func TestEscalateTo(t *testing.T) {
	now := time.Date(2026, 12, 7, 23, 0, 0, 0, time.UTC)
	bob := User{ID: "bob", Emails: []string{"bob@example.org"}, Phone: "+15550003333", PhoneVerified: true}
	base := EscalateInput{Member: bob, Presence: Presence{State: StateAway}, From: Email, Now: now, After: time.Minute}
	with := func(f func(*EscalateInput)) EscalateInput { in := base; f(&in); return in }
	quiet := &QuietHours{From: "22:00", To: "07:00"}
	cases := []struct {
		name string
		in   EscalateInput
		want Channel
	}{
		{"email to sms", base, SMS},
		{"live to email", with(func(in *EscalateInput) { in.From = Live }), Email},
		{"sms is the last rung", with(func(in *EscalateInput) { in.From = SMS }), ""},
		{"seen", with(func(in *EscalateInput) { in.Seen = true }), ""},
		{"answered", with(func(in *EscalateInput) { in.Answered = true }), ""},
		{"gone", with(func(in *EscalateInput) { in.Gone = true }), ""},
		{"busy", with(func(in *EscalateInput) { in.Presence.State = StateBusy }), ""},
		{"muted", with(func(in *EscalateInput) { in.Muted = true }), ""},
		{"phone not verified", with(func(in *EscalateInput) { in.Member.PhoneVerified = false }), ""},
		{"opted out", with(func(in *EscalateInput) { in.Member.SMSOptOut = true }), ""},
		{"quiet hours", with(func(in *EscalateInput) { in.Member.Prefs.Quiet = quiet }), ""},
		{"urgent through quiet hours", with(func(in *EscalateInput) { in.Member.Prefs.Quiet = quiet; in.Line.Urgent = true }), SMS},
		{"off by preference", with(func(in *EscalateInput) { in.Member.Prefs.Escalate = EscalateOff }), ""},
		{"off on the server", with(func(in *EscalateInput) { in.After = -1 }), ""},
		{"on by preference", with(func(in *EscalateInput) { in.After = -1; in.Member.Prefs.Escalate = "10m" }), SMS},
	}
	for _, c := range cases {
		if got, why := EscalateTo(c.in); got != c.want || why == "" {
			t.Errorf("%s: %q (%s), want %q", c.name, got, why, c.want)
		}
	}
	for v, ok := range map[string]bool{"": true, "off": true, "15m": true, "30s": false, "48h": false, "soon": false} {
		if err := checkEscalatePref(v); (err == nil) != ok {
			t.Errorf("escalate preference %q: %v", v, err)
		}
	}
}

// TestAnnounceTimeouts: a member who stops using the page is announced as
// away once the idle time passes, and offline once the offline time
// passes, with nothing else happening.
func TestAnnounceTimeouts(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob")
	e.room(t, "design", Group, "alice", "bob")
	if err := e.Chat.Heartbeat(e.ctx, "alice", Beat{}); err != nil {
		t.Fatal(err)
	}
	sub, err := e.Chat.SubscribeUser(e.ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	th, err := e.Chat.Thresholds(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := e.clock.Now()
	if n, err := e.Chat.AnnounceTimeouts(e.ctx, last); n != 0 || err != nil {
		t.Fatalf("announced %d (%v) while alice is active", n, err)
	}
	e.clock.Add(th.IdleAfter + time.Second)
	if n, err := e.Chat.AnnounceTimeouts(e.ctx, last); n != 1 || err != nil {
		t.Fatalf("announced %d (%v), want alice", n, err)
	}
	if ev := next(t, sub); ev.Kind != PresenceEvent || ev.Presence == nil || ev.Presence.User != "alice" || ev.Presence.State != StateAway {
		t.Fatalf("event %+v, want alice away", ev)
	}
	// The next round (from the last one on) announces nothing new.
	last = e.clock.Now()
	e.clock.Add(time.Minute)
	if n, _ := e.Chat.AnnounceTimeouts(e.ctx, last); n != 0 {
		t.Fatalf("announced %d again", n)
	}
	last = e.clock.Now()
	e.clock.Add(th.OfflineAfter)
	if n, _ := e.Chat.AnnounceTimeouts(e.ctx, last); n != 1 {
		t.Fatalf("announced %d, want alice offline", n)
	}
	if ev := next(t, sub); ev.Presence == nil || ev.Presence.State != StateOffline {
		t.Fatalf("event %+v, want alice offline", ev)
	}
}
