package web

import (
	"encoding/json"
	"strings"
	"testing"

	"parley/threads"
)

// TestComposerCommands: /meet posts a meeting line with a link; /away,
// /status and /back set the status; other text is posted as typed.
func TestComposerCommands(t *testing.T) {
	e := newWebEnv(t, nil)
	st, body := e.do("alice", "POST", "/api/rooms/design/lines", map[string]string{"text": "/meet  design review"})
	var res composerResult
	if st != 200 || json.Unmarshal([]byte(body), &res) != nil || res.Posted == nil {
		t.Fatalf("/meet: %d %s", st, body)
	}
	if l := res.Posted.Line; l.Meeting() == "" || !strings.Contains(l.Text, "Alice started a meeting: design review") {
		t.Fatalf("meeting line %+v", l)
	}
	page, html := e.browser("bob").fetch(t, "GET", e.srv.URL+"/rooms/design", nil)
	if page.StatusCode != 200 || !strings.Contains(html, `class="join" href="`+res.Posted.Line.Meeting()+`"`) {
		t.Errorf("the page shows no Join button: %d", page.StatusCode)
	}
	// The API gives the page the link as "meeting" and never a line's
	// outside id (a member's Message-ID, a MessageSid).
	if _, err := e.store.Chat.Post(e.ctx, threads.NewLine{Room: "design", Author: "bob", Text: "by mail",
		Origin: threads.FromEmail, SourceID: "email:bob:<x1@example.org>"}); err != nil {
		t.Fatal(err)
	}
	st, body = e.do("bob", "GET", "/api/rooms/design/lines", nil)
	if st != 200 || !strings.Contains(body, `"meeting":"`+res.Posted.Line.Meeting()+`"`) ||
		strings.Contains(body, "source_id") || strings.Contains(body, "x1@example.org") {
		t.Errorf("GET lines: %d %s", st, body)
	}
	for _, c := range []struct {
		text  string
		avail threads.Availability
		words string
	}{
		{"/away at the clinic", threads.Away, "at the clinic"},
		{"/status back at 3", threads.Away, "back at 3"},
		{"/back", threads.Available, ""},
		{"/STATUS on the train", threads.Available, "on the train"},
	} {
		st, body := e.do("alice", "POST", "/api/rooms/design/lines", map[string]string{"text": c.text})
		var r composerResult
		if st != 200 || json.Unmarshal([]byte(body), &r) != nil || r.Presence == nil ||
			r.Presence.Status.Availability != c.avail || r.Presence.Status.Text != c.words {
			t.Errorf("%s: %d %s", c.text, st, body)
		}
	}
	// A member who never set a status: /status keeps them available.
	if p, err := e.store.Chat.Presence(e.ctx, "bob"); err != nil || p.Status != nil {
		t.Fatalf("bob's presence before: %+v, %v; want no status set", p, err)
	}
	st, body = e.do("bob", "POST", "/api/rooms/design/lines", map[string]string{"text": "/status in the lab"})
	var r composerResult
	if st != 200 || json.Unmarshal([]byte(body), &r) != nil || r.Presence == nil || r.Presence.Status == nil ||
		r.Presence.Status.Availability != threads.Available || r.Presence.Status.Text != "in the lab" {
		t.Errorf("/status with no status set: %d %s", st, body)
	}
	st, body = e.do("alice", "POST", "/api/rooms/design/lines", map[string]string{"text": "/meeting at 3"})
	if st != 201 || !strings.Contains(body, `"text":"/meeting at 3"`) {
		t.Errorf("an ordinary line: %d %s", st, body)
	}
	st, body = e.do("carol", "POST", "/api/rooms/design/lines", map[string]string{"text": "/meet"})
	e.want(404, "not_found", st, body, "/meet in a room one is not in")
}
