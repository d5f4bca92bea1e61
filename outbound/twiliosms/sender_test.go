package twiliosms

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"parley/internal/testpeers/twiliopeer"
)

const (
	phone    = "+15550001111"
	numberA  = "+15550002222"
	numberB  = "+15550003333"
	service  = "MG0123456789abcdef0123456789abcdef"
	callback = "https://parley.example/sms/twilio/status"
)

// newSender returns a fake Twilio and a Sender pointed at it without
// pacing, with opts filled in.
func newSender(t *testing.T, opts Options) (*twiliopeer.Server, *Sender) {
	t.Helper()
	tw := twiliopeer.New(t)
	if opts.AccountSID == "" {
		opts.AccountSID, opts.AuthToken = tw.AccountSID, tw.AuthToken
	}
	opts.APIBaseURL = tw.URL
	if opts.Rate == 0 {
		opts.Rate = -1
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return tw, s
}

func TestSend(t *testing.T) {
	tests := []struct {
		name     string
		opts     Options
		from     string
		wantFrom string
		wantMSS  string
	}{
		{name: "one number", opts: Options{From: numberA}, wantFrom: numberA},
		{name: "pool, chosen number", opts: Options{Numbers: []string{numberA, numberB}}, from: numberB, wantFrom: numberB},
		{name: "pool, default is the first", opts: Options{Numbers: []string{numberA, numberB}}, wantFrom: numberA},
		{name: "From and pool", opts: Options{From: numberA, Numbers: []string{numberB}}, from: numberB, wantFrom: numberB},
		{name: "messaging service", opts: Options{MessagingServiceSID: service}, wantMSS: service},
		{name: "messaging service with a number of its own", opts: Options{MessagingServiceSID: service}, from: numberB,
			wantFrom: numberB, wantMSS: service},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.StatusCallback = callback
			tt.opts.ValidityPeriod = 15 * time.Minute
			tw, s := newSender(t, tt.opts)
			body := "[Design] Alice: ship friday? {yes}"
			sid, err := s.Send(context.Background(), phone, tt.from, body)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			msgs := tw.Messages()
			if len(msgs) != 1 {
				t.Fatalf("%d messages, want 1", len(msgs))
			}
			m := msgs[0]
			if sid != m.SID || !strings.HasPrefix(sid, "SM") {
				t.Errorf("sid = %q, server gave %q", sid, m.SID)
			}
			if m.To != phone || m.Body != body || m.From != tt.wantFrom || m.MessagingServiceSID != tt.wantMSS ||
				m.StatusCallback != callback || m.ValidityPeriod != "900" || m.AccountSID != tw.AccountSID {
				t.Errorf("posted %+v", m)
			}
			if !strings.HasPrefix(m.UserAgent, "twilio-go/") {
				t.Errorf("User-Agent = %q, want twilio-go's", m.UserAgent)
			}
		})
	}
}

func TestSendOmitsUnsetOptions(t *testing.T) {
	tw, s := newSender(t, Options{From: numberA})
	if _, err := s.Send(context.Background(), phone, "", "hi"); err != nil {
		t.Fatal(err)
	}
	f := tw.Messages()[0].Form
	for _, k := range []string{"StatusCallback", "ValidityPeriod", "MessagingServiceSid"} {
		if f.Has(k) {
			t.Errorf("form has %s = %q", k, f.Get(k))
		}
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name      string
		fail      twiliopeer.Failure
		code      int
		status    int
		kind      Kind
		temporary bool
	}{
		{"opted out", twiliopeer.Failure{HTTPStatus: 400, Code: 21610, Message: "Attempt to send to unsubscribed recipient"}, 21610, 400, KindOptedOut, false},
		{"invalid number", twiliopeer.Failure{HTTPStatus: 400, Code: 21211, Message: "Invalid 'To' Phone Number"}, 21211, 400, KindBadNumber, false},
		{"not a mobile", twiliopeer.Failure{HTTPStatus: 400, Code: 21614, Message: "'To' number is not a valid mobile number"}, 21614, 400, KindBadNumber, false},
		{"unreachable handset", twiliopeer.Failure{HTTPStatus: 400, Code: 30003, Message: "Unreachable destination handset"}, 30003, 400, KindUnreachable, false},
		{"carrier filter", twiliopeer.Failure{HTTPStatus: 400, Code: 30007, Message: "Message filtered"}, 30007, 400, KindUnreachable, false},
		{"too many requests", twiliopeer.Failure{HTTPStatus: 429, Code: 20429, Message: "Too Many Requests"}, 20429, 429, KindRate, true},
		{"HTTP 429 without a code", twiliopeer.Failure{HTTPStatus: 429}, 0, 429, KindRate, true},
		{"queue overflow", twiliopeer.Failure{HTTPStatus: 400, Code: 30001, Message: "Queue overflow"}, 30001, 400, KindRate, true},
		{"server error", twiliopeer.Failure{HTTPStatus: 500, Code: 20500, Message: "Internal Server Error"}, 20500, 500, KindTransient, true},
		{"proxy page", twiliopeer.Failure{HTTPStatus: 502, Raw: "<html>Bad Gateway</html>"}, 0, 502, KindTransient, true},
		{"proxy refusal", twiliopeer.Failure{HTTPStatus: 403, Raw: "<html>Forbidden</html>"}, 0, 403, KindAccount, false},
		{"bad From", twiliopeer.Failure{HTTPStatus: 400, Code: 21606, Message: "The From phone number is not a valid, SMS-capable inbound phone number"}, 21606, 400, KindAccount, false},
		{"other 4xx", twiliopeer.Failure{HTTPStatus: 400, Code: 21617, Message: "too long"}, 21617, 400, KindOther, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tw, s := newSender(t, Options{From: numberA})
			tw.FailNext(tt.fail)
			sid, err := s.Send(context.Background(), phone, "", "hello")
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Send() = %q, %v; want an *Error", sid, err)
			}
			if e.Code != tt.code || e.HTTPStatus != tt.status || e.Kind != tt.kind || e.Temporary != tt.temporary {
				t.Errorf("error = %+v; want code %d, status %d, kind %v, temporary %v", e, tt.code, tt.status, tt.kind, tt.temporary)
			}
			if tt.fail.Raw == "" && (e.Message != tt.fail.Message || tt.code != 0 && e.MoreInfo == "") {
				t.Errorf("error = %+v, want Twilio's message and link", e)
			}
			if !strings.Contains(err.Error(), "twiliosms: send from "+numberA) {
				t.Errorf("error %q lacks context", err)
			}
			// The same connection pool serves the next call.
			tw.Recover()
			if _, err := s.Send(context.Background(), phone, "", "again"); err != nil {
				t.Errorf("Send after failure: %v", err)
			}
		})
	}
}

func TestSendWrongCredentials(t *testing.T) {
	tw := twiliopeer.New(t)
	s, err := New(Options{AccountSID: tw.AccountSID, AuthToken: "0123456789abcdef", From: numberA, APIBaseURL: tw.URL, Rate: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Send(context.Background(), phone, "", "hi")
	var e *Error
	if !errors.As(err, &e) || e.Code != 20003 || e.HTTPStatus != 401 || e.Kind != KindAccount || e.Temporary {
		t.Errorf("Send() error = %#v, want 20003/401 permanent account error", err)
	}
}

func TestSendRefusedLocally(t *testing.T) {
	tests := []struct {
		name, to, from, body string
		kind                 Kind
	}{
		{"recipient not E.164", "5550001111", "", "hi", KindBadNumber},
		{"recipient with letters", "+1555CALLME", "", "hi", KindBadNumber},
		{"sender not configured", phone, numberB, "hi", KindAccount},
		{"empty body", phone, "", "", KindOther},
		{"invalid UTF-8", phone, "", "a\xff", KindOther},
		{"body too long", phone, "", strings.Repeat("x", 1601), KindOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tw, s := newSender(t, Options{From: numberA})
			_, err := s.Send(context.Background(), tt.to, tt.from, tt.body)
			var e *Error
			if !errors.As(err, &e) || e.Kind != tt.kind || e.Temporary || e.HTTPStatus != 0 {
				t.Errorf("Send() error = %v (%+v), want permanent %v", err, e, tt.kind)
			}
			if n := tw.Attempts(); n != 0 {
				t.Errorf("%d requests reached Twilio, want none", n)
			}
		})
	}
}

func TestSendNetworkError(t *testing.T) {
	// Nothing listens on the discard port of the loopback interface.
	s, err := New(Options{AccountSID: "AC0123456789abcdef0123456789abcdef", AuthToken: "0123456789abcdef",
		From: numberA, APIBaseURL: "http://127.0.0.1:9", Rate: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Send(context.Background(), phone, "", "hi")
	var e *Error
	if !errors.As(err, &e) || !e.Temporary || e.Kind != KindTransient || e.HTTPStatus != 0 || e.Err == nil {
		t.Errorf("Send() error = %v (%+v), want a temporary network error", err, e)
	}
}

func TestSendCancelled(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration // Options.Timeout
		ctx     time.Duration // deadline of the caller's context
	}{
		{"caller's deadline", 0, 100 * time.Millisecond},
		{"request timeout", 100 * time.Millisecond, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tw, s := newSender(t, Options{From: numberA, Timeout: tt.timeout})
			tw.SetDelay(10 * time.Second)
			ctx := context.Background()
			if tt.ctx != 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctx)
				defer cancel()
			}
			start := time.Now()
			_, err := s.Send(ctx, phone, "", "hi")
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Send took %v, want about 100ms", d)
			}
			var e *Error
			if !errors.As(err, &e) || !e.Temporary || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Send() error = %v, want a temporary deadline error", err)
			}
		})
	}
}

func TestSendPaced(t *testing.T) {
	// 20 segments a second, one at a time: 50ms a segment.
	tw, s := newSender(t, Options{Numbers: []string{numberA, numberB}, Rate: 20, Burst: 1})
	ctx := context.Background()
	start := time.Now()
	for i := 0; i < 3; i++ {
		if _, err := s.Send(ctx, phone, numberA, "one segment"); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 90*time.Millisecond {
		t.Errorf("three one-segment texts took %v, want at least 100ms", d)
	}

	// Another number has its own bucket: its first text finds a token
	// (the bucket did not go below zero, so Send did not wait).
	if _, err := s.Send(ctx, phone, numberB, "one segment"); err != nil {
		t.Fatal(err)
	}
	s.limiter.mu.Lock()
	tokens := s.limiter.buckets[numberB].tokens
	s.limiter.mu.Unlock()
	if tokens < 0 {
		t.Errorf("first text from another number waited for a token (bucket at %.2f)", tokens)
	}

	// A three-segment text takes three tokens: it waits 150ms for them.
	long := strings.Repeat("a", 400)
	start = time.Now()
	if _, err := s.Send(ctx, phone, numberB, long); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 140*time.Millisecond {
		t.Errorf("three-segment text took %v, want at least 150ms", d)
	}
	// With the bucket four segments in debt the next text waits 250ms,
	// longer than its caller allows. (Set here: on a loaded machine the
	// time the long text took may already have refilled a token.)
	s.limiter.mu.Lock()
	s.limiter.buckets[numberB].tokens, s.limiter.buckets[numberB].last = -4, time.Now()
	s.limiter.mu.Unlock()
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err := s.Send(cctx, phone, numberB, "one segment")
	var e *Error
	if !errors.As(err, &e) || !e.Temporary || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send while paced with a short deadline: %v, want a temporary deadline error", err)
	}
	if n := len(tw.Messages()); n != 5 {
		t.Errorf("%d messages sent, want 5", n)
	}
}

func TestNew(t *testing.T) {
	const sid, token = "AC0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"minimal", Options{AccountSID: sid, AuthToken: token, From: numberA}, ""},
		{"everything", Options{AccountSID: sid, AuthToken: token, MessagingServiceSID: service, From: numberA,
			Numbers: []string{numberB}, APIBaseURL: "https://proxy.example/twilio", StatusCallback: callback,
			ValidityPeriod: time.Hour, Rate: 3, Burst: 5, Timeout: time.Second}, ""},
		{"token with a dash", Options{AccountSID: sid, AuthToken: "abc-def", From: numberA}, "letters and digits"},
		{"no account", Options{AuthToken: token, From: numberA}, "letters and digits"},
		{"no sender", Options{AccountSID: sid, AuthToken: token}, "need a messaging service"},
		{"bad From", Options{AccountSID: sid, AuthToken: token, From: "5550002222"}, "E.164"},
		{"bad pool number", Options{AccountSID: sid, AuthToken: token, Numbers: []string{numberA, ""}}, "E.164"},
		{"bad service SID", Options{AccountSID: sid, AuthToken: token, MessagingServiceSID: "MG-1"}, "messaging service"},
		{"API URL without scheme", Options{AccountSID: sid, AuthToken: token, From: numberA, APIBaseURL: "127.0.0.1:8080"}, "API base URL"},
		{"API URL with query", Options{AccountSID: sid, AuthToken: token, From: numberA, APIBaseURL: "http://h/?a=1"}, "API base URL"},
		{"callback with underscore host", Options{AccountSID: sid, AuthToken: token, From: numberA,
			StatusCallback: "https://my_host.example/cb"}, "status callback"},
		{"relative callback", Options{AccountSID: sid, AuthToken: token, From: numberA, StatusCallback: "/cb"}, "status callback"},
		{"validity too long", Options{AccountSID: sid, AuthToken: token, From: numberA, ValidityPeriod: 36001 * time.Second}, "validity"},
		{"validity not whole seconds", Options{AccountSID: sid, AuthToken: token, From: numberA, ValidityPeriod: 1500 * time.Millisecond}, "validity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("New() error = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("New() error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestSendConcurrent(t *testing.T) {
	tw, s := newSender(t, Options{Numbers: []string{numberA, numberB}})
	const n = 20
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		from := numberA
		if i%2 == 1 {
			from = numberB
		}
		go func() {
			_, err := s.Send(context.Background(), phone, from, "hi")
			errs <- err
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := len(tw.Messages()); got != n {
		t.Errorf("%d messages, want %d", got, n)
	}
}

// TestSendEdgeEnvironment checks that the API base URL still wins when
// twilio-go rewrites api.twilio.com for TWILIO_EDGE and TWILIO_REGION.
func TestSendEdgeEnvironment(t *testing.T) {
	t.Setenv("TWILIO_EDGE", "dublin")
	t.Setenv("TWILIO_REGION", "ie1")
	tw, s := newSender(t, Options{From: numberA})
	if _, err := s.Send(context.Background(), phone, "", "hi"); err != nil {
		t.Fatal(err)
	}
	if got := len(tw.Messages()); got != 1 {
		t.Errorf("%d messages, want 1", got)
	}
}
