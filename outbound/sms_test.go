package outbound

import (
	"strings"
	"testing"
	"time"

	"parley/internal/twiliotest"
	"parley/outbound/twiliosms"
	"parley/threads"
)

// smsWorker sends carol's texts through the real twilio-go client to a
// fake Twilio on loopback.
func smsWorker(t *testing.T, e *wenv) (*Worker, *twiliotest.Server) {
	fake := twiliotest.New(t)
	sender, err := twiliosms.New(twiliosms.Options{AccountSID: fake.AccountSID, AuthToken: fake.AuthToken,
		From: "+15550009999", APIBaseURL: fake.URL, Rate: -1})
	if err != nil {
		t.Fatal(err)
	}
	ch := NewSMS(SMSOptions{Sender: sender, PublicURL: "https://chat.example.org"})
	return NewWorker(e.store, map[threads.Channel]Channel{threads.SMS: ch},
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
	fake.FailNext(twiliotest.Failure{HTTPStatus: 400, Code: 21211, Message: "Invalid 'To' Phone Number"})
	e.post(t, "hello")
	step(t, w)
	dead, _ := e.store.DeadLetters(e.ctx, 10)
	if len(dead) != 1 || !strings.Contains(dead[0].Reason, "21211") {
		t.Fatalf("dead letters = %+v", dead)
	}
	if u, _ := e.store.User(e.ctx, "carol"); !u.PhoneFailing {
		t.Fatal("carol's phone not marked failing")
	}
}

func TestSMSTemporaryFailure(t *testing.T) {
	e := newWenv(t)
	w, fake := smsWorker(t, e)
	fake.FailNext(twiliotest.Failure{HTTPStatus: 429, Code: 20429, Message: "Too Many Requests"})
	e.post(t, "hello")
	step(t, w)
	e.clock.Add(time.Minute)
	step(t, w)
	if msgs := fake.Messages(); len(msgs) != 1 {
		t.Fatalf("%d texts after a 429 and a retry, want 1", len(msgs))
	}
}
