package sms

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"parley/internal/testpeers/twiliopeer"
	"parley/threads"
)

func TestRefusedRequests(t *testing.T) {
	e := newHenv(t)
	params := e.fake.InboundParams(carolPh, num1, "#design forged")
	sign := func(token, signedURL string) *http.Request {
		req, err := twiliopeer.NewSignedRequest(e.ctx, token, signedURL, "http://127.0.0.1"+InboundPath, params)
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	unsigned := sign(e.fake.AuthToken, publicURL+InboundPath)
	unsigned.Header.Del("X-Twilio-Signature")
	get := httptest.NewRequest(http.MethodGet, InboundPath, nil)
	big := e.fake.InboundParams(carolPh, num1, strings.Repeat("x", 70<<10))
	tooLarge, _ := twiliopeer.NewSignedRequest(e.ctx, e.fake.AuthToken, publicURL+InboundPath, "http://127.0.0.1"+InboundPath, big)
	statusForged, _ := twiliopeer.NewSignedRequest(e.ctx, "0123456789abcdef", publicURL+StatusPath, "http://127.0.0.1"+StatusPath,
		url.Values{"MessageSid": {"SM123"}, "MessageStatus": {"failed"}, "ErrorCode": {"21610"}, "To": {carolPh}})
	for _, c := range []struct {
		name string
		req  *http.Request
		code int
		err  string
	}{
		{"no signature", unsigned, http.StatusForbidden, "bad_signature"},
		{"wrong token", sign("0123456789abcdef0123456789abcdef", publicURL+InboundPath), http.StatusForbidden, "bad_signature"},
		{"signed for another URL", sign(e.fake.AuthToken, "http://127.0.0.1"+InboundPath), http.StatusForbidden, "bad_signature"},
		{"signed for another path", sign(e.fake.AuthToken, publicURL+StatusPath), http.StatusForbidden, "bad_signature"},
		{"forged status callback", statusForged, http.StatusForbidden, "bad_signature"},
		{"GET", get, http.StatusMethodNotAllowed, "method_not_allowed"},
		{"body too large", tooLarge, http.StatusRequestEntityTooLarge, "too_large"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, c.req)
			var body apiError
			if w.Code != c.code || json.Unmarshal(w.Body.Bytes(), &body) != nil || body.Code != c.err || body.Error == "" {
				t.Fatalf("answered %d %s, want %d with code %s", w.Code, w.Body, c.code, c.err)
			}
		})
	}
	if ls := e.lines(t, "design"); len(ls) != 0 {
		t.Fatalf("a refused request posted: %q", ls)
	}
	if u, _ := e.store.Directory.User(e.ctx, "carol"); u.SMSOptOut {
		t.Fatal("a forged status callback turned texts off")
	}
	if n := len(e.fake.Messages()); n != 0 {
		t.Fatalf("%d replies to refused requests", n)
	}
}

func TestCommands(t *testing.T) {
	e := newHenv(t)
	status := func() threads.Presence {
		p, err := e.store.Chat.Presence(e.ctx, "carol")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	muted := func() bool {
		m, err := e.store.Chat.Muted(e.ctx, "ops", "carol")
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	optOut := func() bool {
		u, _ := e.store.Directory.User(e.ctx, "carol")
		return u.SMSOptOut
	}
	for _, c := range []struct {
		text  string
		reply string // "" means: no reply
		check func() bool
	}{
		{"HELP", "start with #room", nil},
		{"rooms", "#design, #ops (Ops Team)", nil},
		{"away at the dentist", "you are away (at the dentist)", func() bool {
			p := status()
			return p.State == threads.StateAway && p.Text() == "at the dentist"
		}},
		{"BACK", "welcome back", func() bool { return status().Status.Availability == threads.Available }},
		{"AWAY", "you are away. Text BACK", func() bool { return status().State == threads.StateAway }},
		{"mute #Ops Team", "", nil}, // not a command: a name with a space after MUTE is text...
		{"MUTE #ops", "#ops muted", muted},
		{"unmute #OPS", "#ops unmuted", func() bool { return !muted() }},
		{"MUTE #kitchen", "you have no room #kitchen", nil},
		{"STOP", "", optOut},
		{"start", "", func() bool { return !optOut() }},
		{"QUIT", "", optOut},
		{"UNSTOP", "", func() bool { return !optOut() }},
	} {
		before := len(e.replies(carolPh))
		if c.text == "mute #Ops Team" {
			// ...which goes to a room: carol has two and no history, so
			// parley asks which.
			e.text(t, carolPh, num1, c.text)
			if r := e.replies(carolPh); len(r) != before+1 || !strings.Contains(r[before], "which room?") {
				t.Fatalf("%q: replies %q", c.text, r[before:])
			}
			continue
		}
		e.text(t, carolPh, num1, c.text)
		got := e.replies(carolPh)[before:]
		switch {
		case c.reply == "" && len(got) != 0:
			t.Errorf("%q answered %q, want no answer", c.text, got)
		case c.reply != "" && (len(got) != 1 || !strings.Contains(got[0], c.reply)):
			t.Errorf("%q answered %q, want %q", c.text, got, c.reply)
		}
		if c.check != nil && !c.check() {
			t.Errorf("%q did not do its work", c.text)
		}
	}
	for _, m := range e.fake.Messages() {
		if m.From != num1 {
			t.Errorf("reply from %s, want from %s, the number texted", m.From, num1)
		}
	}
	if ls := append(e.lines(t, "design"), e.lines(t, "ops")...); len(ls) != 0 {
		t.Errorf("commands were posted: %q", ls)
	}
}

func TestRoomChoice(t *testing.T) {
	e := newHenv(t)
	// Texts before any history, by prefix.
	e.text(t, carolPh, num1, "#ops deploy is green")
	e.text(t, carolPh, num1, "#Ops Team: and the dashboard too")
	e.text(t, carolPh, num1, "#nowhere hello")
	e.text(t, carolPh, num1, "no room given")
	e.text(t, carolPh, num1, "#design")
	// erin has one room: no doubt.
	e.text(t, erinPh, num1, "on my way")
	// The room carol last got a text from on num1; a binding on num2.
	if err := e.store.SMS.NoteSMSSent(e.ctx, carolPh, num1, "design"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.SMS.BindSMSNumber(e.ctx, carolPh, "ops", []string{num2}); err != nil {
		t.Fatal(err)
	}
	e.text(t, carolPh, num1, "reply to the last text")
	e.text(t, carolPh, num2, "reply on the bound number")
	// The binding wins over the last room on that number.
	if err := e.store.SMS.NoteSMSSent(e.ctx, carolPh, num2, "design"); err != nil {
		t.Fatal(err)
	}
	e.text(t, carolPh, num2, "still the bound room")

	wantDesign := []string{"erin: on my way", "carol: reply to the last text"}
	wantOps := []string{"carol: deploy is green", "carol: and the dashboard too", "carol: reply on the bound number", "carol: still the bound room"}
	if got := e.lines(t, "design"); !slices.Equal(got, wantDesign) {
		t.Errorf("design: %q, want %q", got, wantDesign)
	}
	if got := e.lines(t, "ops"); !slices.Equal(got, wantOps) {
		t.Errorf("ops: %q, want %q", got, wantOps)
	}
	replies := e.replies(carolPh)
	if len(replies) != 3 || !strings.Contains(replies[0], "no room #nowhere") || !strings.Contains(replies[1], "which room?") ||
		!strings.Contains(replies[2], "#design on my way") {
		t.Fatalf("replies: %q", replies)
	}
	for _, r := range replies[:2] {
		if !strings.Contains(r, "#design, #ops (Ops Team)") || !strings.Contains(r, "Text #design your text") {
			t.Errorf("reply does not list the rooms and how to address one: %q", r)
		}
	}
	ls, _ := e.store.Chat.Lines(e.ctx, "ops", threads.Range{})
	if ls[0].Origin != threads.FromSMS || !strings.HasPrefix(ls[0].SourceID, "sms:SM") {
		t.Errorf("line origin %s, source %q", ls[0].Origin, ls[0].SourceID)
	}
}

func TestLeftRoomIsNotChosen(t *testing.T) {
	e := newHenv(t)
	if _, err := e.store.Chat.CreateRoom(e.ctx, threads.Room{ID: "trip", Name: "Trip", Members: []string{"alice", "bob", "carol"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.SMS.NoteSMSSent(e.ctx, carolPh, num1, "trip"); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Chat.RemoveMember(e.ctx, "trip", "carol"); err != nil {
		t.Fatal(err)
	}
	e.text(t, carolPh, num1, "am I still here?")
	if got := e.lines(t, "trip"); len(got) != 0 {
		t.Fatalf("posted in a room carol left: %q", got)
	}
	if r := e.replies(carolPh); len(r) != 1 || !strings.Contains(r[0], "which room?") {
		t.Fatalf("replies %q", r)
	}
}

func TestDuplicateText(t *testing.T) {
	e := newHenv(t)
	p := e.text(t, carolPh, num1, "#ops only once")
	e.mustTake(t, p) // Twilio's retry
	// A retry that finds the line but not the "handled" mark (a crash in
	// between) folds into the same line by the MessageSid.
	if got := e.lines(t, "ops"); len(got) != 1 {
		t.Fatalf("ops: %q", got)
	}
	p2 := e.fake.InboundParams(carolPh, num1, "#ops twice?")
	if _, err := e.store.Chat.Post(e.ctx, threads.NewLine{Room: "ops", Author: "carol", Text: "twice?", Origin: threads.FromSMS,
		SourceID: "sms:" + p2.Get("MessageSid")}); err != nil {
		t.Fatal(err)
	}
	e.mustTake(t, p2)
	if got := e.lines(t, "ops"); len(got) != 2 {
		t.Fatalf("ops after a half-handled retry: %q", got)
	}
}

func TestUnknownNumbers(t *testing.T) {
	e := newHenv(t)
	for i := 0; i < 3; i++ {
		e.text(t, "+15550007777", num1, "hello, who is this?")
		e.text(t, davePh, num2, "#design I am disabled")
		e.text(t, frankPh, num2, "#design my number is not verified")
	}
	for _, ph := range []string{"+15550007777", davePh, frankPh} {
		r := e.replies(ph)
		if len(r) != 1 || !strings.Contains(r[0], "this number is not known") {
			t.Errorf("replies to %s: %q", ph, r)
		}
	}
	if got := e.lines(t, "design"); len(got) != 0 {
		t.Fatalf("a disabled member or an unverified number posted: %q", got)
	}
}

func TestReplyLimit(t *testing.T) {
	e := newHenv(t)
	for i := 0; i < threads.SMSReplyLimit+5; i++ {
		e.text(t, carolPh, num1, "HELP")
	}
	if n := len(e.replies(carolPh)); n != threads.SMSReplyLimit {
		t.Fatalf("%d replies to a HELP loop, want %d", n, threads.SMSReplyLimit)
	}
}

func TestMMS(t *testing.T) {
	e := newHenv(t)
	var elsewhere int
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere++
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write([]byte("not from Twilio"))
	}))
	defer other.Close()
	p := e.fake.InboundParams(carolPh, num1, "#ops look at this")
	p.Set("NumMedia", "5")
	for i, m := range [][2]string{
		{e.media.URL + "/photo", "image/jpeg"},
		{other.URL + "/photo", "image/jpeg"},
		{e.media.URL + "/big", "image/jpeg"},
		{e.media.URL + "/photo", "application/x-msdownload"},
		{e.media.URL + "/gone", "image/png"},
	} {
		p.Set("MediaUrl"+string(rune('0'+i)), m[0])
		p.Set("MediaContentType"+string(rune('0'+i)), m[1])
	}
	e.mustTake(t, p)
	if elsewhere != 0 {
		t.Fatal("a file outside Twilio's media host was fetched")
	}
	ls, _ := e.store.Chat.Lines(e.ctx, "ops", threads.Range{})
	if len(ls) != 1 {
		t.Fatalf("%d lines", len(ls))
	}
	l := ls[0]
	if len(l.Attachments) != 1 || l.Attachments[0].Name != "mms-1.jpg" || l.Attachments[0].Type != "image/jpeg" {
		t.Fatalf("attachments %+v", l.Attachments)
	}
	if _, err := os.Stat(filepath.Join(e.blobs, l.Attachments[0].ID[:2], l.Attachments[0].ID)); err != nil {
		t.Fatalf("the photo is not kept: %v", err)
	}
	for _, want := range []string{"look at this\n[not kept: ", "mms-2.jpg from 127.0.0.1:", "(not Twilio's media host)",
		"mms-3.jpg (too large)", "(type application/x-msdownload is not allowed)", "mms-5.png (could not be fetched: HTTP 404)"} {
		if !strings.Contains(l.Text, want) {
			t.Errorf("line %q lacks %q", l.Text, want)
		}
	}

	// A photo alone, and a media host that is down: Twilio is to retry.
	p = e.fake.InboundParams(carolPh, num1, "#ops")
	p.Set("NumMedia", "1")
	p.Set("MediaUrl0", e.media.URL+"/photo")
	p.Set("MediaContentType0", "image/jpeg")
	e.mustTake(t, p)
	if got := e.lines(t, "ops"); len(got) != 2 || !strings.HasPrefix(got[1], "carol: sent mms-1.jpg (") {
		t.Fatalf("ops: %q", got)
	}
	p = e.fake.InboundParams(carolPh, num1, "#ops down")
	p.Set("NumMedia", "1")
	p.Set("MediaUrl0", e.media.URL+"/down")
	p.Set("MediaContentType0", "image/jpeg")
	if w := e.do(t, InboundPath, p); w.Code != http.StatusInternalServerError {
		t.Fatalf("media host down: answered %d", w.Code)
	}
}

func TestRedisDown(t *testing.T) {
	e := newHenv(t)
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer dead.Close()
	st := threads.New(dead, threads.Options{})
	h, err := New(Options{SMS: st.SMS, Directory: st.Directory, Chat: st.Chat, PublicURL: publicURL, AuthToken: e.fake.AuthToken, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{InboundPath, StatusPath} {
		params := e.fake.InboundParams(carolPh, num1, "#ops hi")
		params.Set("MessageStatus", "delivered")
		req, _ := twiliopeer.NewSignedRequest(context.Background(), e.fake.AuthToken, publicURL+path, "http://127.0.0.1"+path, params)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusInternalServerError {
			t.Errorf("%s with Redis down: %d %s, want 500 so that Twilio retries", path, w.Code, w.Body)
		}
	}
}
