package threads

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAutoReplyText covers the rules that need no memory, with the clock
// injected.
func TestAutoReplyText(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	away := &Status{Availability: Away, Text: "at the clinic"}
	bob := User{ID: "bob", Name: "Bob", TimeZone: "Europe/Lisbon"}
	base := AutoReplyInput{Line: Line{Author: "alice", Origin: FromWeb}, Author: User{ID: "alice"}, Member: bob,
		Presence: Presence{User: "bob", State: StateAway, Status: away}, Personal: true, Now: now}
	with := func(f func(*AutoReplyInput)) AutoReplyInput { in := base; f(&in); return in }
	cases := []struct {
		rule string
		in   AutoReplyInput
		want string
	}{
		{"away with a text: answers", base, "at the clinic"},
		{"until is shown in the member's zone", with(func(in *AutoReplyInput) {
			in.Presence.Status = &Status{Availability: Busy, Text: "in a workshop", Until: now.Add(6 * time.Hour)}
		}), "in a workshop (until Wed 25 Nov 15:00 WET)"},
		{"offline with a text: answers", with(func(in *AutoReplyInput) {
			in.Presence.Status = &Status{Availability: Offline, Text: "on the road"}
		}), "on the road"},
		{"email and sms lines are answered too", with(func(in *AutoReplyInput) { in.Line.Origin = FromSMS }), "at the clinic"},
		{"never to an auto-reply", with(func(in *AutoReplyInput) { in.Line.Origin = FromAutoReply }), ""},
		{"never to a system notice", with(func(in *AutoReplyInput) { in.Line.Origin = FromSystem }), ""},
		{"never to a bot", with(func(in *AutoReplyInput) { in.Author.Bot = true }), ""},
		{"never to the member's own line", with(func(in *AutoReplyInput) { in.Line.Author = "bob" }), ""},
		{"never for a room-wide line", with(func(in *AutoReplyInput) { in.Personal = false }), ""},
		{"not for a disabled member", with(func(in *AutoReplyInput) { in.Member.Disabled = true }), ""},
		{"not when turned off", with(func(in *AutoReplyInput) { in.Member.Prefs.AutoReply = AutoReplyOff }), ""},
		{"on when asked", with(func(in *AutoReplyInput) { in.Member.Prefs.AutoReply = AutoReplyOn }), "at the clinic"},
		{"not without a status (idle away)", with(func(in *AutoReplyInput) { in.Presence.Status = nil }), ""},
		{"not once back", with(func(in *AutoReplyInput) { in.Presence.Status = &Status{Availability: Available, Text: "hi"} }), ""},
		{"not without a text", with(func(in *AutoReplyInput) { in.Presence.Status = &Status{Availability: Away} }), ""},
		{"not once the status ended", with(func(in *AutoReplyInput) {
			in.Presence.Status = &Status{Availability: Away, Text: "x", Until: now}
		}), ""},
	}
	for _, c := range cases {
		got, why := AutoReplyText(c.in)
		if got != c.want || (got == "") == (why == "") {
			t.Errorf("%s: AutoReplyText = %q (%q), want %q", c.rule, got, why, c.want)
		}
	}
}

// autoEnv: alice, bob and carol in a group room; alice and bob, and carol
// and bob, in direct rooms; bob away with an auto-reply.
func autoEnv(t *testing.T) *env {
	e := newEnv(t)
	e.seed(t, "alice", "bob", "carol")
	if _, err := e.Directory.AddUser(e.ctx, User{ID: "ci", Name: "CI", Bot: true}); err != nil {
		t.Fatal(err)
	}
	e.room(t, "design", Group, "alice", "bob", "carol", "ci")
	e.room(t, "ab", Direct, "alice", "bob")
	e.room(t, "cb", Direct, "bob", "carol")
	e.room(t, "cib", Direct, "bob", "ci")
	e.status(t, "bob", Status{Availability: Away, Text: "at the clinic"})
	return e
}

func (e *env) status(t *testing.T, user string, st Status) {
	t.Helper()
	if _, err := e.Chat.SetStatus(e.ctx, user, st); err != nil {
		t.Fatal(err)
	}
}

// autoReplies returns "room:author:text" of every auto-reply line stored.
func (e *env) autoReplyLines(t *testing.T, rooms ...string) []string {
	t.Helper()
	var out []string
	for _, r := range rooms {
		ls, err := e.Chat.Lines(e.ctx, r, Range{Limit: MaxPage})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			if l.Origin == FromAutoReply {
				out = append(out, r+":"+l.Author+":"+l.Text)
			}
		}
	}
	return out
}

// TestAutoReplyRules plays the rules through Post, in order, with the
// clock injected: each step says which auto-replies the line draws.
func TestAutoReplyRules(t *testing.T) {
	e := autoEnv(t)
	steps := []struct {
		rule         string
		before       func()
		room, author string
		text         string
		origin       Origin
		want         string // "member: text" of the one auto-reply, or ""
	}{
		{rule: "a direct line is answered", room: "ab", author: "alice", text: "are you there?",
			want: "bob: at the clinic"},
		{rule: "once per sender per period", room: "ab", author: "alice", text: "hello?"},
		{rule: "also in another room (per sender, not per room)", room: "design", author: "alice", text: "@bob see above"},
		{rule: "another sender is answered", room: "design", author: "carol", text: "@bob can you check?",
			want: "bob: at the clinic"},
		{rule: "never for a room-wide line", room: "design", author: "alice", text: "news for everyone"},
		{rule: "never to a bot", room: "cib", author: "ci", text: "build failed"},
		{rule: "never to a system line", room: "cb", author: "carol", text: "carol joined", origin: FromSystem},
		{rule: "a changed text is sent again",
			before: func() { e.status(t, "bob", Status{Availability: Away, Text: "back on Monday"}) },
			room:   "ab", author: "alice", text: "and now?", want: "bob: back on Monday"},
		{rule: "within the period, the new text once", before: func() { e.clock.Add(23 * time.Hour) },
			room: "ab", author: "alice", text: "still there?"},
		{rule: "after the period, again", before: func() { e.clock.Add(2 * time.Hour) },
			room: "ab", author: "alice", text: "a day later", want: "bob: back on Monday"},
		{rule: "busy with an until: the until is shown",
			before: func() {
				e.status(t, "bob", Status{Availability: Busy, Text: "in a workshop", Until: e.clock.Now().Add(time.Hour)})
			},
			room: "cb", author: "carol", text: "a question", want: "bob: in a workshop (until Thu 26 Nov 11:00 UTC)"},
		{rule: "stops when the status expires", before: func() { e.clock.Add(time.Hour) },
			room: "ab", author: "alice", text: "after the workshop"},
		{rule: "stops when the member comes back",
			before: func() {
				e.status(t, "bob", Status{Availability: Away, Text: "lunch"})
				e.status(t, "bob", Status{Availability: Available})
			},
			room: "ab", author: "alice", text: "lunch over?"},
		{rule: "not when turned off",
			before: func() {
				e.status(t, "bob", Status{Availability: Away, Text: "gone fishing"})
				if _, err := e.Directory.UpdateUser(e.ctx, "bob", func(u *User) error { u.Prefs.AutoReply = AutoReplyOff; return nil }); err != nil {
					t.Fatal(err)
				}
			},
			room: "ab", author: "alice", text: "fish?"},
		{rule: "never to the member's own line (alice is away too, but with no text)",
			before: func() {
				e.status(t, "alice", Status{Availability: Away})
			},
			room: "ab", author: "bob", text: "my own line"},
	}
	answered := 0
	for _, s := range steps {
		if s.want != "" {
			answered++
		}
		if s.before != nil {
			s.before()
		}
		origin := s.origin
		if origin == "" {
			origin = FromAPI
		}
		e.clock.Add(time.Second)
		p, err := e.Chat.Post(e.ctx, NewLine{Room: s.room, Author: s.author, Text: s.text, Origin: origin})
		if err != nil {
			t.Fatalf("%s: %v", s.rule, err)
		}
		var got []string
		for _, l := range p.AutoReplies {
			got = append(got, l.Author+": "+l.Text)
		}
		if strings.Join(got, "|") != s.want {
			t.Errorf("%s: auto-replies %q, want %q", s.rule, got, s.want)
		}
	}
	// Exactly what Post reported is in the log.
	if got := e.autoReplyLines(t, "ab", "cb", "design", "cib"); len(got) != answered {
		t.Errorf("auto-reply lines in the log: %q, want %d", got, answered)
	}
}

// TestAutoReplyLine checks how an auto-reply line looks, that it is live
// and in the log, and that routing never relays it or answers it.
func TestAutoReplyLine(t *testing.T) {
	e := autoEnv(t)
	if err := e.Chat.Heartbeat(e.ctx, "carol", Beat{}); err != nil { // carol reads live
		t.Fatal(err)
	}
	sub, err := e.Chat.SubscribeRoom(e.ctx, "design")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	p := e.post(t, "design", "alice", "@bob the header?")
	if len(p.AutoReplies) != 1 {
		t.Fatalf("auto-replies %+v", p.AutoReplies)
	}
	ar := p.AutoReplies[0]
	if ar.Name != "User bob (auto-reply)" || ar.String() != "User bob (auto-reply): at the clinic" || ar.Origin != FromAutoReply {
		t.Errorf("auto-reply line %+v", ar)
	}
	stored, err := e.Chat.Line(e.ctx, "design", ar.ID)
	if err != nil || stored.Name != ar.Name || stored.Origin != FromAutoReply {
		t.Errorf("stored auto-reply %+v, %v", stored, err)
	}
	// Live: both lines reach a subscriber, in order.
	var live []string
	for len(live) < 2 {
		select {
		case ev := <-sub.C:
			if ev.Kind == LineEvent && ev.Line != nil {
				live = append(live, ev.Line.Name)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("live events: %q", live)
		}
	}
	if live[1] != "User bob (auto-reply)" {
		t.Errorf("live events %q", live)
	}
	// Routing the auto-reply again: nobody gets it by email or sms, no one answers it.
	r, _ := e.Chat.Room(e.ctx, "design")
	routes, replies, err := e.Chat.fanout(e.ctx, ar, r.Kind, r.Members, nil)
	if err != nil {
		t.Fatal(err)
	}
	for m, d := range routes {
		if d.Channel.Queued() {
			t.Errorf("auto-reply routed to %s by %s", m, d.Channel)
		}
	}
	if routes["carol"].Channel != Live || routes["alice"].Channel != Hold || len(replies) != 0 {
		t.Errorf("auto-reply routes %+v, replies %+v", routes, replies)
	}
	// Only alice's line made a delivery job: bob's email (carol is online,
	// the bot has no address).
	st, err := e.Queue.Stats(e.ctx)
	if err != nil || st.Waiting != 1 {
		t.Errorf("queue %+v, %v; want 1 job", st, err)
	}
	if _, err := e.Chat.Post(e.ctx, NewLine{Room: "design", Author: "bob", Text: "forged", Origin: FromAutoReply}); err == nil {
		t.Error("a door posted an auto-reply line")
	}
}

// TestTwoAwayMembersNoLoop: alice and bob are both away with auto-replies
// and write to each other: each answers exactly once, and the auto-replies
// never answer each other.
func TestTwoAwayMembersNoLoop(t *testing.T) {
	e := autoEnv(t)
	e.status(t, "alice", Status{Availability: Away, Text: "on a train"})
	for i := 0; i < 4; i++ {
		e.clock.Add(time.Minute)
		e.post(t, "ab", "alice", "from alice")
		e.clock.Add(time.Minute)
		e.post(t, "ab", "bob", "from bob")
	}
	got := e.autoReplyLines(t, "ab")
	want := []string{"ab:bob:at the clinic", "ab:alice:on a train"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("auto-replies %q, want %q", got, want)
	}
	ls, _ := e.Chat.Lines(e.ctx, "ab", Range{Limit: MaxPage})
	if len(ls) != 10 {
		t.Errorf("%d lines in the room, want 8 written and 2 auto-replies", len(ls))
	}
}

// TestAutoReplyOnceAcrossProcesses: two stores (two parley processes) post
// the same sender's lines at once; exactly one auto-reply is sent.
func TestAutoReplyOnceAcrossProcesses(t *testing.T) {
	e := autoEnv(t)
	other := New(e.redis.Client, e.Store.Options())
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		s := e.Store
		if i%2 == 1 {
			s = other
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Chat.Post(context.Background(), NewLine{Room: "ab", Author: "alice", Text: "ping", Origin: FromWeb}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := e.autoReplyLines(t, "ab"); len(got) != 1 {
		t.Errorf("auto-replies %q, want exactly one", got)
	}
}

// TestRecoverFanoutDoesNotDoubleAutoReply: fan-out run twice for a line,
// or after a process died between claiming and posting the auto-reply,
// gives exactly one auto-reply.
func TestRecoverFanoutDoesNotDoubleAutoReply(t *testing.T) {
	e := autoEnv(t)
	// Died after the store: recovery answers.
	line, _, _, _, _, err := e.Chat.store(e.ctx, NewLine{Room: "ab", Author: "alice", Text: "lost?", Origin: FromAPI}, "Alice", false)
	if err != nil {
		t.Fatal(err)
	}
	// ... and after claiming the auto-reply, before posting it.
	if ok, err := e.Chat.claimAutoReply(e.ctx, "bob", "alice", "at the clinic", "ab/"+line.ID); !ok || err != nil {
		t.Fatalf("claim %v %v", ok, err)
	}
	e.clock.Add(time.Minute)
	if n, err := e.Chat.RecoverFanout(e.ctx, 30*time.Second); n != 1 || err != nil {
		t.Fatalf("recovered %d, %v", n, err)
	}
	// Died after posting the auto-reply, before clearing the fan-out record.
	if _, _, err := e.Chat.fanout(e.ctx, line, Direct, []string{"alice", "bob"}, nil); err != nil {
		t.Fatal(err)
	}
	if got := e.autoReplyLines(t, "ab"); len(got) != 1 {
		t.Errorf("auto-replies %q, want exactly one", got)
	}
	// A later line from alice within the period: none.
	if p := e.post(t, "ab", "alice", "again"); len(p.AutoReplies) != 0 {
		t.Errorf("second auto-reply %+v", p.AutoReplies)
	}
}

func TestAutoReplyPeriodOption(t *testing.T) {
	e := autoEnv(t)
	o := e.Store.Options()
	o.AutoReplyPeriod = time.Hour
	e.Store = New(e.redis.Client, o)
	n := 0
	for i := 0; i < 5; i++ { // one line every 40 minutes: answers at 0, 80 and 160 minutes
		n += len(e.post(t, "ab", "alice", "hi").AutoReplies)
		e.clock.Add(40 * time.Minute)
	}
	if n != 3 {
		t.Errorf("%d auto-replies in 160 minutes with a period of 1h, want 3", n)
	}
}

func TestAwayPrefsChecked(t *testing.T) {
	e := autoEnv(t)
	for _, change := range []func(*User){
		func(u *User) { u.Prefs.AutoReply = "maybe" },
		func(u *User) { u.Prefs.Quiet = &QuietHours{From: "22:00", To: "07:00", Mode: "sometimes"} },
	} {
		if _, err := e.Directory.UpdateUser(e.ctx, "bob", func(u *User) error { change(u); return nil }); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad preference stored: %v", err)
		}
	}
	u, err := e.Directory.UpdateUser(e.ctx, "bob", func(u *User) error {
		u.Prefs.AutoReply = AutoReplyOff
		u.Prefs.Quiet = &QuietHours{From: "22:00", To: "07:00", Mode: QuietSMSToEmail}
		return nil
	})
	if err != nil || u.Prefs.AutoReply != AutoReplyOff || u.Prefs.Quiet.Mode != QuietSMSToEmail {
		t.Errorf("good preferences: %+v, %v", u.Prefs, err)
	}
}
