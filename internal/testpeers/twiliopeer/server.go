// Package twiliopeer fakes the part of Twilio that parley talks to, for
// tests: a REST server on the loopback interface that accepts
// Messages.json posts the way Twilio does (Basic auth, form values, a 201
// with a message SID, Twilio's error JSON when told to fail), and the
// signing side of Twilio's webhooks (Sign, NewSignedRequest) to drive
// parley's webhook handlers.
package twiliopeer

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// maxBody bounds what the fake server reads of a request.
const maxBody = 64 << 10

// maxBodyChars is Twilio's limit on a message body, in characters.
const maxBodyChars = 1600

// Message is one Messages.json post the server accepted.
type Message struct {
	// SID is the message SID the server answered with.
	SID string
	// AccountSID is the account in the request's path.
	AccountSID string
	// To, From, Body, MessagingServiceSID, StatusCallback and
	// ValidityPeriod are the form values of the same names ("" when absent).
	To, From, Body, MessagingServiceSID, StatusCallback, ValidityPeriod string
	// MediaURL are the MediaUrl form values, in order: a picture message
	// (MMS) when not empty.
	MediaURL []string
	// Form holds every form value as posted.
	Form url.Values
	// UserAgent is the client's User-Agent header.
	UserAgent string
}

// Failure is an error the server answers with instead of accepting a
// message.
type Failure struct {
	// HTTPStatus is the response's status code, for example 400 or 429;
	// 0 means 400.
	HTTPStatus int
	// Code is Twilio's error code, for example 21610; with Message and
	// MoreInfo it makes the JSON body Twilio sends.
	Code int
	// Message is the error's text.
	Message string
	// MoreInfo is the documentation link; by default Twilio's page for Code.
	MoreInfo string
	// Raw, when not empty, is sent as the body instead of Twilio's JSON, as
	// a proxy in front of Twilio might answer.
	Raw string
}

// Server is a fake Twilio REST API listening on 127.0.0.1.
type Server struct {
	// URL is the server's base URL, such as http://127.0.0.1:38417; give it
	// to the client as its API base URL.
	URL string
	// AccountSID and AuthToken are the credentials the server accepts.
	AccountSID, AuthToken string

	srv *httptest.Server

	mu       sync.Mutex
	messages []Message
	attempts int
	next     []Failure
	always   *Failure
	delay    time.Duration
}

// New starts a server with fresh credentials made of letters and digits (as
// twilio-go demands) and stops it when t ends.
func New(t testing.TB) *Server {
	t.Helper()
	return NewWithCredentials(t, "AC"+randomHex(16), randomHex(16))
}

// NewWithCredentials starts a server that accepts the given credentials and
// stops it when t ends.
func NewWithCredentials(t testing.TB, accountSID, authToken string) *Server {
	t.Helper()
	s := &Server{AccountSID: accountSID, AuthToken: authToken}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2010-04-01/Accounts/{account}/Messages.json", s.createMessage)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, Failure{HTTPStatus: http.StatusNotFound, Code: 20404,
			Message: "The requested resource " + r.URL.Path + " was not found"})
	})
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// Messages returns the messages accepted so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Attempts returns how many authenticated Messages.json posts arrived,
// accepted or failed.
func (s *Server) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// FailNext makes the next authenticated post fail with f; calls queue up,
// one failure per post.
func (s *Server) FailNext(f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next = append(s.next, f)
}

// FailAlways makes every authenticated post fail with f until Recover.
func (s *Server) FailAlways(f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.always = &f
}

// Recover forgets queued and permanent failures and any delay.
func (s *Server) Recover() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next, s.always, s.delay = nil, nil, 0
}

// SetDelay makes the server wait d before answering, or until the client
// gives up.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// StatusParams returns the form a status callback for m carries, as Twilio
// posts it to m.StatusCallback; errorCode 0 leaves ErrorCode out. Sign it
// with Sign or NewSignedRequest.
func (s *Server) StatusParams(m Message, status string, errorCode int) url.Values {
	v := url.Values{
		"AccountSid":    {m.AccountSID},
		"ApiVersion":    {"2010-04-01"},
		"From":          {m.From},
		"MessageSid":    {m.SID},
		"MessageStatus": {status},
		"SmsSid":        {m.SID},
		"SmsStatus":     {status},
		"To":            {m.To},
	}
	if m.MessagingServiceSID != "" {
		v.Set("MessagingServiceSid", m.MessagingServiceSID)
	}
	if errorCode != 0 {
		v.Set("ErrorCode", strconv.Itoa(errorCode))
	}
	return v
}

// InboundParams returns the form of an incoming text from a phone to one of
// the account's numbers, as Twilio posts it to the number's webhook, with a
// fresh MessageSid.
func (s *Server) InboundParams(from, to, body string) url.Values {
	sid := "SM" + randomHex(16)
	return url.Values{
		"AccountSid":    {s.AccountSID},
		"ApiVersion":    {"2010-04-01"},
		"Body":          {body},
		"From":          {from},
		"MessageSid":    {sid},
		"NumMedia":      {"0"},
		"NumSegments":   {"1"},
		"SmsMessageSid": {sid},
		"SmsSid":        {sid},
		"SmsStatus":     {"received"},
		"To":            {to},
	}
}

// createMessage answers POST /2010-04-01/Accounts/{account}/Messages.json.
func (s *Server) createMessage(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != s.AccountSID || pass != s.AuthToken {
		writeError(w, Failure{HTTPStatus: http.StatusUnauthorized, Code: 20003, Message: "Authenticate"})
		return
	}
	account := r.PathValue("account")
	if account != s.AccountSID {
		writeError(w, Failure{HTTPStatus: http.StatusNotFound, Code: 20404,
			Message: "The requested resource " + r.URL.Path + " was not found"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		writeError(w, Failure{HTTPStatus: http.StatusBadRequest, Code: 20001, Message: "Invalid form: " + err.Error()})
		return
	}

	s.mu.Lock()
	s.attempts++
	delay := s.delay
	var fail *Failure
	switch {
	case len(s.next) > 0:
		f := s.next[0]
		s.next, fail = s.next[1:], &f
	case s.always != nil:
		f := *s.always
		fail = &f
	}
	s.mu.Unlock()

	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if fail != nil {
		writeError(w, *fail)
		return
	}

	f := r.PostForm
	switch {
	case f.Get("To") == "":
		writeError(w, Failure{HTTPStatus: http.StatusBadRequest, Code: 21604, Message: "A 'To' phone number is required."})
		return
	case f.Get("From") == "" && f.Get("MessagingServiceSid") == "":
		writeError(w, Failure{HTTPStatus: http.StatusBadRequest, Code: 21603, Message: "A 'From' phone number is required."})
		return
	case f.Get("Body") == "" && f.Get("MediaUrl") == "":
		writeError(w, Failure{HTTPStatus: http.StatusBadRequest, Code: 21602, Message: "Message body is required."})
		return
	case utf8.RuneCountInString(f.Get("Body")) > maxBodyChars:
		writeError(w, Failure{HTTPStatus: http.StatusBadRequest, Code: 21617,
			Message: "The concatenated message body exceeds the 1600 character limit."})
		return
	}

	m := Message{
		SID:                 "SM" + randomHex(16),
		AccountSID:          account,
		To:                  f.Get("To"),
		From:                f.Get("From"),
		Body:                f.Get("Body"),
		MessagingServiceSID: f.Get("MessagingServiceSid"),
		StatusCallback:      f.Get("StatusCallback"),
		ValidityPeriod:      f.Get("ValidityPeriod"),
		MediaURL:            f["MediaUrl"],
		Form:                f,
		UserAgent:           r.UserAgent(),
	}
	s.mu.Lock()
	s.messages = append(s.messages, m)
	s.mu.Unlock()

	segments := "0" // Twilio says 0 until a service has picked a sender.
	if m.MessagingServiceSID == "" {
		segments = strconv.Itoa(Segments(m.Body))
	}
	now := time.Now().UTC().Format(time.RFC1123Z)
	uri := "/2010-04-01/Accounts/" + account + "/Messages/" + m.SID
	writeJSON(w, http.StatusCreated, map[string]any{
		"account_sid":           account,
		"api_version":           "2010-04-01",
		"body":                  m.Body,
		"date_created":          now,
		"date_sent":             nil,
		"date_updated":          now,
		"direction":             "outbound-api",
		"error_code":            nil,
		"error_message":         nil,
		"from":                  nullable(m.From),
		"messaging_service_sid": nullable(m.MessagingServiceSID),
		"num_media":             "0",
		"num_segments":          segments,
		"price":                 nil,
		"price_unit":            "USD",
		"sid":                   m.SID,
		"status":                "queued",
		"subresource_uris":      map[string]string{"media": uri + "/Media.json"},
		"to":                    m.To,
		"uri":                   uri + ".json",
	})
}

// writeError answers with f as Twilio does: its JSON error body, or f.Raw.
func writeError(w http.ResponseWriter, f Failure) {
	if f.HTTPStatus == 0 {
		f.HTTPStatus = http.StatusBadRequest
	}
	if f.Raw != "" {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(f.HTTPStatus)
		fmt.Fprint(w, f.Raw)
		return
	}
	if f.MoreInfo == "" && f.Code != 0 {
		f.MoreInfo = "https://www.twilio.com/docs/errors/" + strconv.Itoa(f.Code)
	}
	writeJSON(w, f.HTTPStatus, map[string]any{
		"code":      f.Code,
		"message":   f.Message,
		"more_info": f.MoreInfo,
		"status":    f.HTTPStatus,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// nullable is s, or JSON null when s is empty, as Twilio shows absent values.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// randomHex returns 2n random hexadecimal digits.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
