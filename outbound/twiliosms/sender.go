// Package twiliosms sends text messages through Twilio's Messages API with
// the official twilio-go client. It paces each sender with a token bucket
// counted in SMS segments and turns every failure into an *Error that says
// whether a retry may help and what the failure means for the member.
package twiliosms

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"parley/outbound/smsfmt"
)

// Defaults for Options fields left zero.
const (
	// DefaultRate is one segment a second, what a long code sends.
	DefaultRate = 1.0
	// DefaultBurst is the segments a sender may send at once.
	DefaultBurst = 1
	// DefaultTimeout bounds one API request.
	DefaultTimeout = 10 * time.Second
)

// maxValidity is the longest validity period Twilio accepts.
const maxValidity = 36000 * time.Second

// maxBodyChars is Twilio's limit on a message body, in characters.
const maxBodyChars = 1600

// Options configure a Sender. AccountSID, AuthToken and at least one of
// MessagingServiceSID, From and Numbers are required.
type Options struct {
	// AccountSID and AuthToken are the account's credentials
	// (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN). twilio-go refuses
	// credentials that are not plain letters and digits, and so does New.
	AccountSID, AuthToken string
	// MessagingServiceSID sends through a messaging service
	// (TWILIO_MESSAGING_SERVICE_SID); Twilio picks the number. When set, it
	// is what Send uses when given no from.
	MessagingServiceSID string
	// From is the one number texts come from (PARLEY_SMS_FROM), in E.164.
	From string
	// Numbers is a pool of numbers (PARLEY_SMS_NUMBERS), in E.164; the
	// caller picks one for each text. Without From or a messaging service,
	// Send uses the first when given no from.
	Numbers []string
	// APIBaseURL replaces https://api.twilio.com (PARLEY_TWILIO_API_URL),
	// for a local test server or a proxy: scheme, host and an optional path
	// prefix. The account's credentials are sent to it.
	APIBaseURL string
	// StatusCallback is the URL Twilio posts delivery status to, or empty.
	StatusCallback string
	// ValidityPeriod is how long a text may wait in Twilio's queue before
	// it is dropped as stale: whole seconds, at most 10 hours; zero leaves
	// Twilio's default (10 hours).
	ValidityPeriod time.Duration
	// Rate is how many segments a second each sender (a number, or the
	// messaging service) may send; zero means DefaultRate, a negative rate
	// turns pacing off.
	Rate float64
	// Burst is how many segments a sender may send at once after a pause;
	// zero means DefaultBurst.
	Burst int
	// Timeout bounds each API request; zero means DefaultTimeout.
	Timeout time.Duration
}

// Sender sends text messages. It is safe for concurrent use.
type Sender struct {
	accountSID, authToken string
	service               string
	defaultFrom           string
	allowed               map[string]bool
	base                  *url.URL
	statusCallback        string
	validity              int // seconds, 0: Twilio's default
	timeout               time.Duration
	transport             http.RoundTripper
	limiter               *limiter // nil: no pacing
}

// New checks opts and returns a Sender.
func New(opts Options) (*Sender, error) {
	if !alphanumeric(opts.AccountSID) || !alphanumeric(opts.AuthToken) {
		return nil, errors.New("twiliosms: account SID and auth token must be non-empty letters and digits")
	}
	s := &Sender{
		accountSID:     opts.AccountSID,
		authToken:      opts.AuthToken,
		service:        opts.MessagingServiceSID,
		allowed:        make(map[string]bool),
		statusCallback: opts.StatusCallback,
		timeout:        opts.Timeout,
	}
	if s.service != "" && !alphanumeric(s.service) {
		return nil, fmt.Errorf("twiliosms: messaging service SID %q: want letters and digits", s.service)
	}
	numbers := opts.Numbers
	if opts.From != "" {
		numbers = append([]string{opts.From}, numbers...)
	}
	for _, n := range numbers {
		if !isE164(n) {
			return nil, fmt.Errorf("twiliosms: sender number %q is not in E.164 form (+ and up to 15 digits)", n)
		}
		s.allowed[n] = true
	}
	switch {
	case s.service != "":
	case opts.From != "":
		s.defaultFrom = opts.From
	case len(opts.Numbers) > 0:
		s.defaultFrom = opts.Numbers[0]
	default:
		return nil, errors.New("twiliosms: need a messaging service SID, a From number or a pool of numbers")
	}
	if opts.APIBaseURL != "" {
		u, err := url.Parse(opts.APIBaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.User != nil {
			return nil, fmt.Errorf("twiliosms: API base URL %q: want http(s)://host[:port][/prefix]", opts.APIBaseURL)
		}
		s.base = u
	}
	if s.statusCallback != "" {
		u, err := url.Parse(s.statusCallback)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Contains(u.Hostname(), "_") {
			return nil, fmt.Errorf("twiliosms: status callback %q: want an absolute http(s) URL whose host has no underscore", s.statusCallback)
		}
	}
	if v := opts.ValidityPeriod; v != 0 {
		if v < time.Second || v > maxValidity || v%time.Second != 0 {
			return nil, fmt.Errorf("twiliosms: validity period %v: want whole seconds from 1s to %v", v, maxValidity)
		}
		s.validity = int(v / time.Second)
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if opts.Rate >= 0 {
		rate, burst := opts.Rate, opts.Burst
		if rate == 0 {
			rate = DefaultRate
		}
		if burst <= 0 {
			burst = DefaultBurst
		}
		s.limiter = newLimiter(rate, burst, time.Now)
	}
	s.transport = http.DefaultTransport.(*http.Transport).Clone()
	return s, nil
}

// Send texts body to the phone number to, from the number from, and
// returns the message SID Twilio assigned. An empty from means the
// messaging service, else Options.From, else the first pooled number; a
// from that is not configured is refused unless a messaging service is set
// (Twilio then checks that the number is in the service).
//
// Send first waits for the sender's token bucket to hold the segments body
// needs, then makes one API request of at most Options.Timeout. Failures
// are an *Error (errors.As), also when ctx ends: that one is temporary and
// wraps ctx's error.
func (s *Sender) Send(ctx context.Context, to, from, body string) (sid string, err error) {
	return s.send(ctx, to, from, body, nil)
}

// MaxMedia is the most media URLs one picture message carries (Twilio's
// limit).
const MaxMedia = 10

// SendMedia is Send for a picture message (MMS): Twilio fetches each of
// media (http or https URLs, at most MaxMedia) and sends it with body.
func (s *Sender) SendMedia(ctx context.Context, to, from, body string, media []string) (sid string, err error) {
	if len(media) > MaxMedia {
		return "", &Error{Message: fmt.Sprintf("%d media URLs, more than %d", len(media), MaxMedia)}
	}
	for _, m := range media {
		if u, err := url.Parse(m); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return "", &Error{Message: "a media URL is not an http(s) address"}
		}
	}
	return s.send(ctx, to, from, body, media)
}

// send is Send with media URLs (none: a plain text).
func (s *Sender) send(ctx context.Context, to, from, body string, media []string) (sid string, err error) {
	key := from
	if key == "" {
		key = s.defaultFrom
		if s.service != "" {
			key = s.service
		}
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("twiliosms: send from %s: %w", key, err)
		}
	}()
	if !isE164(to) {
		return "", &Error{Kind: KindBadNumber, Message: "recipient number is not in E.164 form"}
	}
	if from != "" && !s.allowed[from] && (s.service == "" || !isE164(from)) {
		return "", &Error{Kind: KindAccount, Message: "sender number is not configured"}
	}
	if body == "" || !utf8.ValidString(body) {
		return "", &Error{Message: "empty or invalid UTF-8 body"}
	}
	if utf8.RuneCountInString(body) > maxBodyChars {
		return "", &Error{Message: fmt.Sprintf("body over %d characters", maxBodyChars)}
	}

	if s.limiter != nil {
		segments, _, _ := smsfmt.Segments(body)
		if err := s.limiter.wait(ctx, key, segments); err != nil {
			return "", &Error{Kind: KindTransient, Temporary: true, Message: "waiting for the rate limit", Err: err}
		}
	}

	params := &openapi.CreateMessageParams{}
	params.SetTo(to)
	params.SetBody(body)
	if len(media) > 0 {
		params.SetMediaUrl(media)
	}
	if from != "" || s.service == "" {
		params.SetFrom(key)
	}
	if s.service != "" {
		params.SetMessagingServiceSid(s.service)
	}
	if s.statusCallback != "" {
		params.SetStatusCallback(s.statusCallback)
	}
	if s.validity != 0 {
		params.SetValidityPeriod(s.validity)
	}

	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	tr := &callTransport{ctx: ctx, next: s.transport, base: s.base}
	msg, err := s.api(tr).CreateMessage(params)
	if err != nil {
		return "", s.classify(ctx, tr.status, err)
	}
	if msg.Sid == nil || *msg.Sid == "" {
		return "", &Error{HTTPStatus: tr.status, Message: "Twilio's answer has no message SID; the text may have been queued"}
	}
	return *msg.Sid, nil
}

// api returns twilio-go's Messages API bound to one call's transport. A
// client per call is how the caller's context reaches the request: twilio-go
// itself sends every request with context.Background().
//
// openapi.NewApiServiceWithClient builds exactly what
// twilio.NewRestClientWithParams(twilio.ClientParams{Client: c}).Api does
// (a RequestHandler around c, which also reads TWILIO_EDGE and
// TWILIO_REGION), without constructing the sixty other API services on each
// call, and without importing twilio-go's root package, whose OAuth code
// needs github.com/golang-jwt/jwt/v5.
func (s *Sender) api(tr *callTransport) *openapi.ApiService {
	c := &client.Client{
		Credentials: client.NewCredentials(s.accountSID, s.authToken),
		HTTPClient: &http.Client{
			Transport: tr,
			// As twilio-go's own client: a redirect is an answer, not a hop.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	c.SetAccountSid(s.accountSID)
	return openapi.NewApiServiceWithClient(c)
}

// classify turns what twilio-go returned into an *Error.
func (s *Sender) classify(ctx context.Context, status int, err error) *Error {
	var rest *client.TwilioRestError
	if errors.As(err, &rest) {
		if rest.Status == 0 {
			rest.Status = status
		}
		return newError(rest.Status, rest.Code, rest.Message, rest.MoreInfo, nil)
	}
	var v1 *client.RestErrorV1
	if errors.As(err, &v1) {
		st := v1.HttpStatusCode
		if st == 0 {
			st = status
		}
		return newError(st, v1.Code, v1.Message, "", nil)
	}
	switch {
	case status == 0:
		// No answer: the network, a timeout or ctx.
		msg := "no answer from Twilio"
		if ctx.Err() != nil {
			msg = "no answer from Twilio in time"
		}
		return &Error{Kind: KindTransient, Temporary: true, Message: msg, Err: err}
	case status >= 300:
		return newError(status, 0, fmt.Sprintf("unreadable answer with HTTP %d", status), "", err)
	default:
		// 2xx but unreadable: Twilio probably queued the text, so a retry
		// could send it twice.
		return &Error{HTTPStatus: status, Message: "Twilio accepted the text but its answer is unreadable", Err: err}
	}
}

// alphanumeric reports whether s is non-empty letters and digits, as
// twilio-go demands of credentials.
func alphanumeric(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// isE164 reports whether n looks like an E.164 number: "+", a non-zero
// digit, and at most 15 digits in all.
func isE164(n string) bool {
	if len(n) < 3 || len(n) > 16 || n[0] != '+' || n[1] == '0' {
		return false
	}
	for _, c := range n[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
