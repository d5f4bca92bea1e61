package threads

import (
	"testing"
	"time"
)

// TestAutoReplyBackQueued: a line by email or SMS to an away member queues
// one notice back on the sender's channel (In-Reply-To the message for
// email); a second line within the period, a line from the web, and a
// fan-out run again queue none.
func TestAutoReplyBackQueued(t *testing.T) {
	e := autoEnv(t)
	if _, err := e.Directory.UpdateUser(e.ctx, "carol", func(u *User) error {
		u.Phone, u.PhoneVerified = "+15550001111", true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	post := func(room, author, text string, origin Origin, source string) Posted {
		t.Helper()
		p, err := e.Chat.Post(e.ctx, NewLine{Room: room, Author: author, Text: text, Origin: origin, SourceID: source})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	claim := func() []Notice {
		t.Helper()
		ns, err := e.Queue.ClaimNotices(e.ctx, "w", 100, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			if err := e.Queue.AckNotice(e.ctx, n); err != nil {
				t.Fatal(err)
			}
		}
		return ns
	}

	first := post("ab", "alice", "are you there?", FromEmail, "email:alice:m1@mail.example.org")
	got := claim()
	if len(got) != 1 {
		t.Fatalf("notices %+v, want one auto-reply back", got)
	}
	n := got[0]
	if n.Kind != NoticeAutoReply || n.Channel != Email || n.To != "alice@example.org" || n.InReplyTo != "m1@mail.example.org" ||
		n.AutoReply == nil || n.AutoReply.Text != "at the clinic" || n.AutoReply.Member != "User bob" ||
		n.AutoReply.Sender != "alice" || n.AutoReply.Room != "ab" {
		t.Errorf("notice %+v (%+v)", n, n.AutoReply)
	}
	// Recovery runs the fan-out again: nothing more.
	if _, _, err := e.Chat.fanout(e.ctx, first.Line, Direct, []string{"alice", "bob"}, nil); err != nil {
		t.Fatal(err)
	}
	post("ab", "alice", "hello?", FromEmail, "email:m2@mail.example.org")
	if got := claim(); len(got) != 0 {
		t.Errorf("within the period: notices %+v, want none", got)
	}

	// By SMS: back to the phone.
	post("cb", "carol", "call me", FromSMS, "sms:SM0001")
	got = claim()
	if len(got) != 1 || got[0].Channel != SMS || got[0].To != "+15550001111" || got[0].InReplyTo != "" {
		t.Fatalf("notices %+v, want one text back to carol", got)
	}

	// From the web: the live line is enough.
	e.clock.Add(25 * time.Hour)
	p := post("ab", "alice", "from the page", FromWeb, "")
	if len(p.AutoReplies) != 1 {
		t.Fatalf("auto-replies %+v, want the live line", p.AutoReplies)
	}
	if got := claim(); len(got) != 0 {
		t.Errorf("web sender: notices %+v, want none", got)
	}
}

// TestAutoReplyBackChannels: who can be answered where.
func TestAutoReplyBackChannels(t *testing.T) {
	bob := User{ID: "bob", Name: "Bob"}
	alice := User{ID: "alice", Name: "Alice", Emails: []string{"alice@example.org"}, Phone: "+15550002222"}
	cases := []struct {
		name   string
		origin Origin
		author func(u *User)
		want   Channel
	}{
		{"email", FromEmail, nil, Email},
		{"email bouncing", FromEmail, func(u *User) { u.EmailFailing = true }, ""},
		{"sms", FromSMS, nil, SMS},
		{"sms opted out", FromSMS, func(u *User) { u.SMSOptOut = true }, ""},
		{"sms without phone", FromSMS, func(u *User) { u.Phone = "" }, ""},
		{"web", FromWeb, nil, ""},
		{"api", FromAPI, nil, ""},
	}
	for _, c := range cases {
		a := alice
		if c.author != nil {
			c.author(&a)
		}
		n, ok := autoReplyBack(AutoReplyInput{Line: Line{Room: "ab", Origin: c.origin, SourceID: "email:" + a.ID + ":x@y"}, Author: a, Member: bob},
			"away", "AB")
		if ok != (c.want != "") || n.Channel != c.want {
			t.Errorf("%s: %v %+v, want channel %q", c.name, ok, n, c.want)
		}
		if c.want == Email && n.InReplyTo != "x@y" {
			t.Errorf("%s: In-Reply-To %q, want the sender's Message-ID x@y (source id email:AUTHOR:ID)", c.name, n.InReplyTo)
		}
	}
}
