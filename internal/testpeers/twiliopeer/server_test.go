package twiliopeer

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func post(t *testing.T, s *Server, user, pass, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		return resp.StatusCode, map[string]any{"raw": string(body)}
	}
	return resp.StatusCode, v
}

func TestServer(t *testing.T) {
	s := New(t)
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("URL = %q, want loopback", s.URL)
	}
	path := "/2010-04-01/Accounts/" + s.AccountSID + "/Messages.json"
	good := url.Values{"To": {"+15550001111"}, "From": {"+15550002222"}, "Body": {"hi"},
		"StatusCallback": {"https://p.example/sms/twilio/status"}, "ValidityPeriod": {"600"}}

	tests := []struct {
		name       string
		setup      func()
		user, pass string
		path       string
		form       url.Values
		status     int
		code       float64
	}{
		{name: "accepted", form: good, status: 201},
		{name: "wrong token", pass: "nope", form: good, status: 401, code: 20003},
		{name: "wrong account in path", path: "/2010-04-01/Accounts/AC0/Messages.json", form: good, status: 404, code: 20404},
		{name: "unknown path", path: "/2010-04-01/Accounts/x/Calls.json", form: good, status: 404, code: 20404},
		{name: "no To", form: url.Values{"From": {"+1"}, "Body": {"x"}}, status: 400, code: 21604},
		{name: "no From", form: url.Values{"To": {"+1"}, "Body": {"x"}}, status: 400, code: 21603},
		{name: "no Body", form: url.Values{"To": {"+1"}, "From": {"+1"}}, status: 400, code: 21602},
		{name: "Body too long", form: url.Values{"To": {"+1"}, "From": {"+1"}, "Body": {strings.Repeat("x", 1601)}}, status: 400, code: 21617},
		{name: "told to fail", form: good, status: 400, code: 21610,
			setup: func() {
				s.FailNext(Failure{HTTPStatus: 400, Code: 21610, Message: "Attempt to send to unsubscribed recipient"})
			}},
		{name: "told to fail always", form: good, status: 429, code: 20429,
			setup: func() { s.FailAlways(Failure{HTTPStatus: 429, Code: 20429, Message: "Too Many Requests"}) }},
		{name: "recovered", form: good, status: 201, setup: s.Recover},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			user, pass, p := s.AccountSID, s.AuthToken, path
			if tt.user != "" {
				user = tt.user
			}
			if tt.pass != "" {
				pass = tt.pass
			}
			if tt.path != "" {
				p = tt.path
			}
			status, body := post(t, s, user, pass, p, tt.form)
			if status != tt.status {
				t.Fatalf("status = %d, want %d (%v)", status, tt.status, body)
			}
			if tt.status == 201 {
				if sid, _ := body["sid"].(string); !strings.HasPrefix(sid, "SM") || len(sid) != 34 {
					t.Errorf("sid = %q", sid)
				}
				if body["status"] != "queued" {
					t.Errorf("status = %v, want queued", body["status"])
				}
				return
			}
			if body["code"] != tt.code || body["status"] != float64(tt.status) || body["more_info"] == "" {
				t.Errorf("error body = %v, want code %v", body, tt.code)
			}
		})
	}

	msgs := s.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages recorded, want 2", len(msgs))
	}
	m := msgs[0]
	if m.To != "+15550001111" || m.From != "+15550002222" || m.Body != "hi" ||
		m.StatusCallback != "https://p.example/sms/twilio/status" || m.ValidityPeriod != "600" || m.AccountSID != s.AccountSID {
		t.Errorf("message = %+v", m)
	}
}

func TestServerRawFailure(t *testing.T) {
	s := New(t)
	s.FailNext(Failure{HTTPStatus: 502, Raw: "<html>Bad Gateway</html>"})
	status, body := post(t, s, s.AccountSID, s.AuthToken, "/2010-04-01/Accounts/"+s.AccountSID+"/Messages.json",
		url.Values{"To": {"+1"}, "From": {"+1"}, "Body": {"x"}})
	if status != 502 || body["raw"] != "<html>Bad Gateway</html>" {
		t.Errorf("got %d %v", status, body)
	}
}

func TestParams(t *testing.T) {
	s := New(t)
	in := s.InboundParams("+15550001111", "+15550002222", "hello")
	if in.Get("AccountSid") != s.AccountSID || in.Get("From") != "+15550001111" || in.Get("Body") != "hello" ||
		!strings.HasPrefix(in.Get("MessageSid"), "SM") {
		t.Errorf("InboundParams = %v", in)
	}
	st := s.StatusParams(Message{SID: "SM1", AccountSID: s.AccountSID, To: "+1", From: "+2"}, "undelivered", 30003)
	if st.Get("MessageSid") != "SM1" || st.Get("MessageStatus") != "undelivered" || st.Get("ErrorCode") != "30003" {
		t.Errorf("StatusParams = %v", st)
	}
	if st := s.StatusParams(Message{SID: "SM1"}, "delivered", 0); st.Has("ErrorCode") {
		t.Errorf("StatusParams without error has ErrorCode: %v", st)
	}
}
