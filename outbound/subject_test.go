package outbound

import (
	"context"
	"mime"
	"strconv"
	"sync"
	"testing"
	"time"

	"parley/threads"
)

// recorder is a Transport that keeps what it is given.
type recorder struct {
	mu   sync.Mutex
	msgs [][]byte
}

func (r *recorder) Send(_ context.Context, _ string, _ []string, msg []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, msg)
	return nil
}

// TestRelaySubjectKeptPerMember: a member's first relay email from a room
// sets the subject ("[Design] NAME: first words"); the next one keeps it,
// although its first line differs and another process (a fresh Email with
// an empty cache) sends it; a second member's first email gets its own.
// Threading headers stay the room's root.
func TestRelaySubjectKeptPerMember(t *testing.T) {
	e := newMailEnv(t, time.Minute)
	if _, err := e.store.Directory.AddUser(e.ctx, threads.User{ID: "carol", Name: "Carol Cho", Emails: []string{"carol@example.org"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Chat.AddMember(e.ctx, "design", "carol"); err != nil {
		t.Fatal(err)
	}
	room, err := e.store.Chat.Room(e.ctx, "design")
	if err != nil {
		t.Fatal(err)
	}
	user := func(id string) threads.User {
		u, err := e.store.Directory.User(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	at := e.clock.Now()
	line := func(n int, author, name, text string) threads.Line {
		return threads.Line{Room: "design", ID: strconv.FormatInt(at.UnixMilli()+int64(n), 10) + "-0",
			Author: author, Name: name, Text: text, Time: at, Origin: threads.FromWeb}
	}
	long := "The new header is on staging, please have a look before the review\nsecond line"
	rec := &recorder{}
	newEmail := func() *Email {
		return NewEmail(EmailOptions{Auth: e.store.Auth, Chat: e.store.Chat, Directory: e.store.Directory, Composer: e.composer,
			Transport: rec, Domain: "parley.test"})
	}
	first, other := newEmail(), newEmail()
	sends := []struct {
		via   *Email
		to    string
		lines []threads.Line
		want  string
	}{
		{first, "bob", []threads.Line{line(1, "alice", "Alice Archer", long)}, "[Design] Alice Archer: The new header is on staging, please have a look…"},
		{other, "bob", []threads.Line{line(2, "carol", "Carol Cho", "Something else entirely")}, "[Design] Alice Archer: The new header is on staging, please have a look…"},
		{first, "bob", []threads.Line{line(3, "alice", "Alice Archer", "And a third")}, "[Design] Alice Archer: The new header is on staging, please have a look…"},
		{other, "carol", []threads.Line{line(4, "alice", "Alice Archer", "Lunch?\nat noon")}, "[Design] Alice Archer: Lunch?"},
	}
	root := "<" + threads.RootMessageID(room, "parley.test") + ">"
	for i, s := range sends {
		if err := s.via.Deliver(e.ctx, Parcel{Member: user(s.to), Room: room, Lines: s.lines}); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		m := parse(t, rec.msgs[i])
		subj, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		if err != nil || subj != s.want {
			t.Errorf("send %d to %s: Subject %q, %v; want %q", i, s.to, subj, err, s.want)
		}
		if m.Header.Get("In-Reply-To") != root || m.Header.Get("References") != root {
			t.Errorf("send %d threading: %q / %q", i, m.Header.Get("In-Reply-To"), m.Header.Get("References"))
		}
	}
}
