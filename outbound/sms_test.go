package outbound

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"parley/internal/testpeers/twiliopeer"
	"parley/outbound/twiliosms"
	"parley/threads"
)

// smsWorker sends carol's texts through the real twilio-go client to a
// fake Twilio on loopback.
func smsWorker(t *testing.T, e *wenv) (*Worker, *twiliopeer.Server) {
	return smsWorkerWith(t, e, SMSOptions{})
}

// smsWorkerWith is smsWorker with more options; e.email is the fallback.
func smsWorkerWith(t *testing.T, e *wenv, o SMSOptions) (*Worker, *twiliopeer.Server) {
	fake := twiliopeer.New(t)
	sender, err := twiliosms.New(twiliosms.Options{AccountSID: fake.AccountSID, AuthToken: fake.AuthToken,
		From: "+15550009999", Numbers: o.Pool, APIBaseURL: fake.URL, Rate: -1,
		StatusCallback: "https://chat.example.org/sms/twilio/status", ValidityPeriod: 4 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	o.SMS, o.Sender, o.PublicURL, o.Fallback, o.Log = e.store.SMS, sender, "https://chat.example.org", e.email, quiet
	ch := NewSMS(o)
	return NewWorker(e.store.Queue, e.store.Directory, map[threads.Channel]Carrier{threads.SMS: ch, threads.Email: &fakeChannel{}},
		Options{Consumer: "w", Log: quiet, Window: map[threads.Channel]time.Duration{threads.SMS: 0}}), fake
}

func TestSMSRelayedThroughTwilio(t *testing.T) {
	e := newWenv(t)
	w, fake := smsWorker(t, e)
	e.post(t, "Can you call the printer? “Urgent” — before noon")
	step(t, w)
	msgs := fake.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d texts, want 1", len(msgs))
	}
	m := msgs[0]
	if m.To != "+15550001111" || m.From != "+15550009999" || m.Body != `[Design] Alice: Can you call the printer? "Urgent" - before noon` {
		t.Fatalf("text = to %s from %s body %q", m.To, m.From, m.Body)
	}
}

func TestSMSLongLineCutWithLink(t *testing.T) {
	e := newWenv(t)
	w, fake := smsWorker(t, e)
	e.post(t, strings.Repeat("very long status report ", 40))
	step(t, w)
	msgs := fake.Messages()
	if len(msgs) != 1 || !strings.HasSuffix(msgs[0].Body, "https://chat.example.org/rooms/design") || len(msgs[0].Body) > 306 {
		t.Fatalf("texts = %+v", msgs)
	}
}

func TestSMSPermanentFailure(t *testing.T) {
	e := newWenv(t)
	w, fake := smsWorker(t, e)
	fake.FailNext(twiliopeer.Failure{HTTPStatus: 400, Code: 21211, Message: "Invalid 'To' Phone Number"})
	e.post(t, "hello")
	step(t, w)
	dead, _ := e.store.Queue.DeadLetters(e.ctx, 10)
	if len(dead) != 1 || !strings.Contains(dead[0].Reason, "21211") {
		t.Fatalf("dead letters = %+v", dead)
	}
	if u, _ := e.store.Directory.User(e.ctx, "carol"); !u.PhoneFailing {
		t.Fatal("carol's phone not marked failing")
	}
}

func TestSMSTemporaryFailure(t *testing.T) {
	e := newWenv(t)
	w, fake := smsWorker(t, e)
	fake.FailNext(twiliopeer.Failure{HTTPStatus: 429, Code: 20429, Message: "Too Many Requests"})
	e.post(t, "hello")
	step(t, w)
	e.clock.Add(time.Minute)
	step(t, w)
	if msgs := fake.Messages(); len(msgs) != 1 {
		t.Fatalf("%d texts after a 429 and a retry, want 1", len(msgs))
	}
}

// withEmail gives carol an address too; lines must then mention her to be
// texted (she is offline).
func (e *wenv) withEmail(t *testing.T) {
	t.Helper()
	if _, err := e.store.Directory.UpdateUser(e.ctx, "carol", func(u *threads.User) error {
		u.Emails = []string{"carol@example.org"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestSMSRecordsWhatItSent(t *testing.T) {
	e := newWenv(t)
	w, fake := smsWorker(t, e)
	l := e.post(t, "the printer is fixed")
	step(t, w)
	msgs := fake.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d texts", len(msgs))
	}
	m := msgs[0]
	if m.StatusCallback != "https://chat.example.org/sms/twilio/status" || m.ValidityPeriod != "14400" {
		t.Errorf("status callback %q, validity %q", m.StatusCallback, m.ValidityPeriod)
	}
	rec, err := e.store.SMS.SMSMessageBySID(e.ctx, m.SID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Member != "carol" || rec.Room != "design" || len(rec.Lines) != 1 || rec.Lines[0] != l.ID || rec.To != "+15550001111" || rec.Segments != 1 {
		t.Errorf("record %+v", rec)
	}
	if room, _ := e.store.SMS.SMSLastRoom(e.ctx, "+15550001111", "+15550009999"); room != "design" {
		t.Errorf("last room texted = %q", room)
	}
}

func TestSMSNumberPool(t *testing.T) {
	e := newWenv(t)
	for _, id := range []string{"ops", "sales"} {
		if _, err := e.store.Chat.CreateRoom(e.ctx, threads.Room{ID: id, Name: strings.ToUpper(id[:1]) + id[1:], Members: []string{"alice", "carol"}}); err != nil {
			t.Fatal(err)
		}
	}
	w, fake := smsWorkerWith(t, e, SMSOptions{Pool: []string{"+15550009001", "+15550009002"}})
	for _, room := range []string{"design", "ops", "sales", "design"} {
		if _, err := e.store.Chat.Post(e.ctx, threads.NewLine{Room: room, Author: "alice", Text: "hi " + room, Origin: threads.FromWeb}); err != nil {
			t.Fatal(err)
		}
		step(t, w)
	}
	want := []struct{ from, body string }{
		{"+15550009001", "[Design] Alice: hi design"},
		{"+15550009002", "[Ops] Alice: hi ops"},
		{"+15550009999", "[#sales] Alice: hi sales"}, // pool used up: the default number and a hint
		{"+15550009001", "[Design] Alice: hi design"},
	}
	msgs := fake.Messages()
	if len(msgs) != len(want) {
		t.Fatalf("%d texts, want %d", len(msgs), len(want))
	}
	for i, m := range msgs {
		if m.From != want[i].from || m.Body != want[i].body {
			t.Errorf("text %d: from %s %q, want from %s %q", i, m.From, m.Body, want[i].from, want[i].body)
		}
	}
	if room, _ := e.store.SMS.SMSBoundRoom(e.ctx, "+15550001111", "+15550009002"); room != "ops" {
		t.Errorf("room bound to the second number = %q", room)
	}
	if room, _ := e.store.SMS.SMSLastRoom(e.ctx, "+15550001111", "+15550009999"); room != "sales" {
		t.Errorf("last room on the default number = %q", room)
	}
}

func TestSMSDailyBudget(t *testing.T) {
	for _, withEmail := range []bool{true, false} {
		t.Run(map[bool]string{true: "email", false: "digest"}[withEmail], func(t *testing.T) {
			e := newWenv(t)
			if withEmail {
				e.withEmail(t)
			}
			w, fake := smsWorkerWith(t, e, SMSOptions{DailySegments: 2})
			for _, text := range []string{"@carol one", "@carol two", "@carol three"} {
				e.post(t, text)
				step(t, w)
			}
			if n := len(fake.Messages()); n != 2 {
				t.Fatalf("%d texts within a budget of 2 segments, want 2", n)
			}
			got := e.email.texts()
			if withEmail && (len(got) != 1 || got[0] != "carol:@carol three") {
				t.Fatalf("emails instead of texts: %q", got)
			}
			if !withEmail && len(got) != 0 {
				t.Fatalf("emails to a member without an address: %q", got)
			}
			if dead, _ := e.store.Queue.DeadLetters(e.ctx, 10); len(dead) != 0 {
				t.Fatalf("dead letters: %+v", dead)
			}
			// The next day the budget is full again.
			e.clock.Add(24 * time.Hour)
			e.post(t, "@carol four")
			step(t, w)
			if n := len(fake.Messages()); n != 3 {
				t.Fatalf("%d texts the next day, want 3", n)
			}
		})
	}
}

func TestSMSOptedOutAtTwilio(t *testing.T) {
	e := newWenv(t)
	e.withEmail(t)
	w, fake := smsWorker(t, e)
	fake.FailNext(twiliopeer.Failure{HTTPStatus: 400, Code: 21610, Message: "Attempt to send to unsubscribed recipient"})
	e.post(t, "@carol are you there?")
	step(t, w)
	u, _ := e.store.Directory.User(e.ctx, "carol")
	if !u.SMSOptOut || u.PhoneFailing {
		t.Fatalf("carol after 21610: opted out %v, phone failing %v", u.SMSOptOut, u.PhoneFailing)
	}
	if got := e.email.texts(); len(got) != 1 {
		t.Fatalf("the batch did not go by email: %q", got)
	}
	if dead, _ := e.store.Queue.DeadLetters(e.ctx, 10); len(dead) != 0 {
		t.Fatalf("dead letters: %+v", dead)
	}
	// Routing now emails her.
	p, err := e.store.Chat.Post(context.Background(), threads.NewLine{Room: "design", Author: "alice", Text: "@carol again", Origin: threads.FromWeb})
	if err != nil {
		t.Fatal(err)
	}
	if r := p.Routes["carol"]; r.Channel != threads.Email {
		t.Errorf("carol routed %+v after opting out", r)
	}
}

func TestSMSUnreachableAtTwilio(t *testing.T) {
	e := newWenv(t)
	w, fake := smsWorker(t, e)
	// No email: the batch is retried; the third failure marks the phone.
	fake.FailAlways(twiliopeer.Failure{HTTPStatus: 400, Code: 30003, Message: "Unreachable destination handset"})
	e.post(t, "hello")
	for i := 0; i < 3; i++ {
		step(t, w)
		e.clock.Add(2 * time.Hour)
	}
	u, _ := e.store.Directory.User(e.ctx, "carol")
	if !u.PhoneFailing {
		t.Fatal("three unreachable attempts did not mark the phone failing")
	}
	if dead, _ := e.store.Queue.DeadLetters(e.ctx, 10); len(dead) != 1 {
		t.Fatalf("dead letters: %+v", dead)
	}
}

// TestSMSKeepsOrder: a burst of long and short lines to an offline member
// reaches the fake Twilio in posting order, though the worker sends
// batches side by side, long lines are cut and the first send is refused
// for now and retried.
func TestSMSKeepsOrder(t *testing.T) {
	e := newWenv(t)
	w, fake := smsWorkerWith(t, e, SMSOptions{DailySegments: 1000})
	fake.SetDelay(5 * time.Millisecond)
	fake.FailNext(twiliopeer.Failure{HTTPStatus: 429, Code: 20429, Message: "Too Many Requests"})
	var want []string
	for i := range 20 {
		text := fmt.Sprintf("line %02d", i)
		switch i % 3 {
		case 0:
			text += " " + strings.Repeat("a long report that needs more than one segment ", 8)
		case 1:
			text += " " + strings.Repeat("medium ", 12)
		}
		e.post(t, text)
		want = append(want, fmt.Sprintf("line %02d", i))
	}
	for round := 0; len(fake.Messages()) < 20; round++ {
		if round > 200 {
			t.Fatalf("%d of 20 texts after %d rounds", len(fake.Messages()), round)
		}
		step(t, w)
		e.clock.Add(time.Minute) // past the retry's backoff
	}
	var got []string
	for _, m := range fake.Messages() {
		_, text, _ := strings.Cut(m.Body, ": ")
		got = append(got, text[:len("line 00")])
	}
	if !slices.Equal(got, want) {
		t.Fatalf("texts arrived in the order %v", got)
	}
}
