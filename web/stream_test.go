package web

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"parley/threads"
)

// sseEvent is one event read from the stream; a comment has Comment set.
type sseEvent struct {
	ID, Name, Data, Comment string
}

// sseClient reads a live stream.
type sseClient struct {
	t      *testing.T
	events chan sseEvent
	cancel context.CancelFunc
	status int
}

// openStream connects to the stream as user with a Last-Event-ID.
func (e *webEnv) openStream(user, last string) *sseClient {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/stream", nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens[user])
	if last != "" {
		req.Header.Set("Last-Event-ID", last)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		e.t.Fatal(err)
	}
	c := &sseClient{t: e.t, events: make(chan sseEvent, 100), cancel: cancel, status: res.StatusCode}
	e.t.Cleanup(cancel)
	go func() {
		defer res.Body.Close()
		defer close(c.events)
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev != (sseEvent{}) {
					c.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ": "):
				ev.Comment = line[2:]
			case strings.HasPrefix(line, "id: "):
				ev.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.Name = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.Data = line[6:]
			}
		}
	}()
	if first := c.next(); first.Comment != "parley live stream" {
		e.t.Fatalf("first event %+v", first)
	}
	return c
}

// next returns the next event, not a heartbeat comment.
func (c *sseClient) next() sseEvent {
	c.t.Helper()
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				return sseEvent{Name: "closed"}
			}
			if ev.Comment == "heartbeat" {
				continue
			}
			return ev
		case <-time.After(5 * time.Second):
			c.t.Fatal("no event within 5 s")
		}
	}
}

// line returns the next line event, skipping presence events (a stream
// announces its own member coming online).
func (c *sseClient) line() threads.Line {
	c.t.Helper()
	ev := c.next()
	for ev.Name == "presence" {
		ev = c.next()
	}
	var l threads.Line
	if ev.Name != "line" || json.Unmarshal([]byte(ev.Data), &l) != nil || l.ID != ev.ID {
		c.t.Fatalf("want a line, got %+v", ev)
	}
	return l
}

func (e *webEnv) post(room, author, text string) threads.Line {
	e.t.Helper()
	p, err := e.store.Chat.Post(e.ctx, threads.NewLine{Room: room, Author: author, Text: text, Origin: threads.FromWeb})
	if err != nil {
		e.t.Fatal(err)
	}
	return p.Line
}

func TestStreamOnlyMyRooms(t *testing.T) {
	e := newWebEnv(t, nil)
	alice := e.openStream("alice", "")
	e.post("other", "bob", "not for alice")
	e.post("design", "bob", "for alice")
	if l := alice.line(); l.Text != "for alice" || l.Name != "Bob" {
		t.Fatalf("alice got %+v", l)
	}
	// Presence of a member of my rooms, with how they are reached.
	if _, err := e.store.Chat.SetStatus(e.ctx, "carol", threads.Status{Availability: threads.Away}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Chat.SetStatus(e.ctx, "bob", threads.Status{Availability: threads.Away, Text: "clinic"}); err != nil {
		t.Fatal(err)
	}
	ev := alice.next()
	var pe presenceEvent
	for ev.Name == "presence" && strings.Contains(ev.Data, `"id":"alice"`) {
		ev = alice.next()
	}
	if ev.Name != "presence" || json.Unmarshal([]byte(ev.Data), &pe) != nil || pe.Room != "design" || pe.Member.ID != "bob" ||
		pe.Member.State != threads.StateAway || pe.Member.Reach.Channel != threads.Email || pe.Member.Status.Text != "clinic" {
		t.Fatalf("presence event %+v (carol shares no room with alice)", ev)
	}
	// Joining a room brings its lines; leaving stops them.
	if err := e.store.Chat.AddMember(e.ctx, "other", "alice"); err != nil {
		t.Fatal(err)
	}
	if ev := alice.next(); ev.Name != "joined" || !strings.Contains(ev.Data, `"other"`) {
		t.Fatalf("join event %+v", ev)
	}
	e.post("other", "carol", "welcome alice")
	if l := alice.line(); l.Text != "welcome alice" {
		t.Fatalf("alice got %+v", l)
	}
	if err := e.store.Chat.RemoveMember(e.ctx, "other", "alice"); err != nil {
		t.Fatal(err)
	}
	if ev := alice.next(); ev.Name != "left" {
		t.Fatalf("leave event %+v", ev)
	}
	e.post("other", "carol", "gone")
	e.post("design", "bob", "still here")
	if l := alice.line(); l.Text != "still here" {
		t.Fatalf("after leaving alice got %+v", l)
	}
}

func TestStreamResume(t *testing.T) {
	e := newWebEnv(t, nil)
	if err := e.store.Chat.AddMember(e.ctx, "other", "alice"); err != nil {
		t.Fatal(err)
	}
	first := e.openStream("alice", "")
	seen := first.line // keep the name short below
	a := e.post("design", "bob", "one")
	if l := seen(); l.ID != a.ID {
		t.Fatalf("got %+v", l)
	}
	first.cancel() // the connection drops
	// Missed while away, in two rooms, and one from before that was seen.
	b := e.post("other", "carol", "two")
	c := e.post("design", "bob", "three")
	again := e.openStream("alice", a.ID)
	// Both missed lines come back once. Two rooms can give the same id to
	// lines of one millisecond (b may have a's id), so the resume starts at
	// a's millisecond and may send a again first; nothing else comes twice.
	got := map[string]bool{}
	for len(got) < 2 {
		l := again.line()
		if l.Room == a.Room && l.ID == a.ID {
			continue
		}
		key := l.Room + " " + l.ID + " " + l.Text
		if got[key] {
			t.Fatalf("resume sent %s twice", key)
		}
		got[key] = true
	}
	for _, want := range []threads.Line{b, c} {
		if !got[want.Room+" "+want.ID+" "+want.Text] {
			t.Fatalf("resume: got %v, want %s %q and %s %q", got, b.ID, b.Text, c.ID, c.Text)
		}
	}
	d := e.post("design", "alice", "four")
	if l := again.line(); l.ID != d.ID {
		t.Fatalf("live after resume: %+v", l)
	}
	// A resume from the start sends everything once, then the live lines.
	all := e.openStream("alice", "0-0")
	for _, want := range []threads.Line{a, b, c, d} {
		if l := all.line(); l.ID != want.ID {
			t.Fatalf("full resume: got %s, want %s", l.ID, want.ID)
		}
	}
	// bob's resume never shows carol's room.
	bob := e.openStream("bob", "0-0")
	for _, want := range []threads.Line{a, b, c, d} {
		if l := bob.line(); l.ID != want.ID {
			t.Fatalf("bob's resume: got %s, want %s", l.ID, want.ID)
		}
	}
	carol := e.openStream("carol", "0-0")
	if l := carol.line(); l.ID != b.ID {
		t.Fatalf("carol's resume: %+v", l)
	}
	e.post("design", "bob", "five")
	e.post("other", "bob", "six")
	if l := carol.line(); l.Text != "six" {
		t.Fatalf("carol got a line of design: %+v", l)
	}
}

// TestStreamResumeAfterCrossedLines: lines of two rooms can reach a
// stream out of id order (rooms on different Redis masters). A client
// that saw the later line and dropped before the earlier one arrived
// still gets the earlier one when it resumes from the later's id.
func TestStreamResumeAfterCrossedLines(t *testing.T) {
	e := newWebEnv(t, nil)
	if err := e.store.Chat.AddMember(e.ctx, "other", "alice"); err != nil {
		t.Fatal(err)
	}
	early := e.post("other", "carol", "posted first, arrived second")
	time.Sleep(20 * time.Millisecond) // a later millisecond for sure
	late := e.post("design", "bob", "posted second, arrived first")
	if !idLess(early.ID, late.ID) {
		t.Fatalf("ids %s and %s are not in posting order", early.ID, late.ID)
	}
	s := e.openStream("alice", late.ID)
	got := map[string]bool{}
	for len(got) < 2 {
		l := s.line()
		got[l.Room+" "+l.ID] = true
	}
	if !got[early.Room+" "+early.ID] {
		t.Fatalf("the resume from %s lost %s of %s: got %v", late.ID, early.ID, early.Room, got)
	}
}

func TestStreamHeartbeatAndRevocation(t *testing.T) {
	e := newWebEnv(t, func(o *Options) { o.Heartbeat = 50 * time.Millisecond })
	s := e.openStream("bob", "")
	waitFor(t, "a heartbeat comment", func() bool {
		select {
		case ev := <-s.events:
			return ev.Comment == "heartbeat"
		default:
			return false
		}
	})
	// An open stream is not a person: reachable live, not online.
	if p, _ := e.store.Chat.Presence(e.ctx, "bob"); p.State == threads.StateOnline || !p.Connected {
		t.Errorf("bob with a stream open and nothing else: %+v", p)
	}
	list, _ := e.store.Auth.APITokens(e.ctx, "bob")
	if err := e.store.Auth.RevokeAPIToken(e.ctx, "bob", list[0].ID); err != nil {
		t.Fatal(err)
	}
	if ev := s.next(); ev.Name != "reset" {
		t.Fatalf("after revoking: %+v", ev)
	}
	if ev := s.next(); ev.Name != "closed" {
		t.Fatalf("the stream went on: %+v", ev)
	}
}

func TestResumeAfter(t *testing.T) {
	for last, want := range map[string]string{
		"0-0":              "",
		"0-5":              "",
		"1764057600000-3":  "1764057594999-18446744073709551615",
		"1764057600000-0":  "1764057594999-18446744073709551615",
		"1-18446744073709": "",
		"5000-0":           "",
		"5001-0":           "0-18446744073709551615",
	} {
		if got := resumeAfter(last); got != want {
			t.Errorf("resumeAfter(%q) = %q, want %q", last, got, want)
		}
	}
}

// TestLineFrames: a line going to many streams is encoded once (every
// stream gets the same bytes), a second line gets its own frame, and the
// frame is the event the stream format documents.
func TestLineFrames(t *testing.T) {
	var c lineFrames
	first := &threads.Line{ID: "1764057600000-0", Room: "design", Author: "alice", Text: "hello\nthere"}
	second := &threads.Line{ID: "1764057600001-0", Room: "design", Author: "bob", Text: "hi"}
	var prev []byte
	for i, tc := range []struct {
		line   *threads.Line
		shared bool // the very bytes of the previous call
	}{{first, false}, {first, true}, {second, false}, {second, true}, {first, false}} {
		want, err := sseFrame(tc.line.ID, "line", tc.line)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.frame(tc.line)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("call %d: frame %q, want %q", i, got, want)
		}
		if shared := prev != nil && &got[0] == &prev[0]; shared != tc.shared {
			t.Errorf("call %d: shared with the previous frame %v, want %v", i, shared, tc.shared)
		}
		prev = got
	}
	frame, _ := c.frame(second)
	var got threads.Line
	id, rest, _ := strings.Cut(string(frame), "\n")
	data, ok := strings.CutPrefix(rest, "event: line\ndata: ")
	if id != "id: "+second.ID || !ok || !strings.HasSuffix(data, "\n\n") || json.Unmarshal([]byte(data), &got) != nil || got.Text != "hi" {
		t.Errorf("frame %q is not id, event and data of the line", frame)
	}
}
