package outbound

import (
	"regexp"
	"testing"

	"parley/internal/testpeers/twiliopeer"
	"parley/outbound/twiliosms"
	"parley/threads"
)

// fakeTwilio starts a fake Twilio and a twilio-go sender to it, from
// +15550009999, without a rate limit.
func fakeTwilio(t *testing.T) (*twiliopeer.Server, *twiliosms.Sender) {
	t.Helper()
	fake := twiliopeer.New(t)
	sender, err := twiliosms.New(twiliosms.Options{AccountSID: fake.AccountSID, AuthToken: fake.AuthToken,
		From: "+15550009999", APIBaseURL: fake.URL, Rate: -1})
	if err != nil {
		t.Fatal(err)
	}
	return fake, sender
}

// TestSMSCodes: a sign-in code and a phone verification code are texted
// through twilio-go and the fake Twilio, each rendered from its template
// (sms-signin-code.txt, sms-phone-code.txt), in one segment, from the
// default number, and do not take from the member's daily budget.
func TestSMSCodes(t *testing.T) {
	for _, c := range []struct {
		kind string
		want *regexp.Regexp
	}{
		{threads.NoticeSignInCode, regexp.MustCompile(`^042917 is your parley sign-in code\. It works once, for 10 minutes\.`)},
		{threads.NoticePhoneCode, regexp.MustCompile(`^042917 is your parley code to verify this phone\. It works once, for 10 minutes\.`)},
	} {
		t.Run(c.kind, func(t *testing.T) {
			e := newWenv(t)
			fake, sender := fakeTwilio(t)
			ch := NewSMS(SMSOptions{SMS: e.store.SMS, Sender: sender, DailySegments: 1, Log: quiet, DefaultFrom: "+15550009999"})
			n := threads.Notice{Kind: c.kind, To: "+15550002222", Channel: threads.SMS, Text: "042917"}
			for i := 0; i < 3; i++ {
				if err := ch.SendNotice(e.ctx, n); err != nil {
					t.Fatal(err)
				}
			}
			got := fake.Messages()
			if len(got) != 3 {
				t.Fatalf("%d texts, want 3 (codes are not held to the daily budget)", len(got))
			}
			m := got[0]
			if m.To != "+15550002222" || m.From != "+15550009999" || !c.want.MatchString(m.Body) {
				t.Fatalf("text %+v", m)
			}
			if twiliopeer.Segments(m.Body) != 1 {
				t.Errorf("code text is %d segments: %q", twiliopeer.Segments(m.Body), m.Body)
			}
		})
	}
}
