package outbound

import (
	"strings"
	"testing"
	"time"

	"parley/threads"
)

// TestSMSAutoReplyBack: an auto-reply notice goes to the sender's phone
// through twilio-go and the fake Twilio, rendered from sms-autoreply.txt,
// within the sender's daily segment budget; other notices never go by text.
func TestSMSAutoReplyBack(t *testing.T) {
	e := newWenv(t)
	fake, sender := fakeTwilio(t)
	ch := NewSMS(SMSOptions{SMS: e.store.SMS, Sender: sender, DailySegments: 1, Log: quiet})
	n := threads.Notice{Kind: threads.NoticeAutoReply, To: "+15550002222", Channel: threads.SMS, Name: "Carol",
		AutoReply: &threads.AutoReplyBack{Member: "Bob Ray", Text: "at the clinic", Room: "design", RoomName: "Design", Sender: "carol"}}
	for i := 0; i < 2; i++ {
		if err := ch.SendNotice(e.ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	got := fake.Messages()
	if len(got) != 1 || got[0].To != "+15550002222" || got[0].Body != "parley: Bob Ray is away (auto-reply, Design): at the clinic" {
		t.Fatalf("texts %+v, want one auto-reply within a budget of one segment", got)
	}
	// A long status is cut to two segments; the next day has a new budget.
	e.clock.Add(24 * time.Hour)
	ch = NewSMS(SMSOptions{SMS: e.store.SMS, Sender: sender, DailySegments: 5, Log: quiet})
	long := n
	long.AutoReply = &threads.AutoReplyBack{Member: "Bob Ray", Sender: "carol", Room: "design",
		Text: strings.Repeat("on leave until the end of the month, ", 20)}
	if err := ch.SendNotice(e.ctx, long); err != nil {
		t.Fatal(err)
	}
	if got := fake.Messages(); len(got) != 2 || len(got[1].Body) > 2*153 {
		t.Fatalf("long auto-reply: %d texts, last %d bytes", len(got), len(got[len(got)-1].Body))
	}
	if err := ch.SendNotice(e.ctx, threads.Notice{Kind: "refused", To: "+15550002222", Channel: threads.SMS}); !IsPermanent(err) {
		t.Errorf("a refused notice by text: %v, want a permanent error", err)
	}
}
