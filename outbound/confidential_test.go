package outbound

import (
	"strings"
	"testing"

	"parley/threads"
)

// secretWords are in every line posted in these tests: none may leave
// parley readable.
const secretWords = "merger with Initech"

// noSecret fails when data holds the secret, plain or quoted-printable.
func noSecret(t *testing.T, what string, data []byte) {
	t.Helper()
	s := strings.ReplaceAll(string(data), "=\r\n", "")
	if strings.Contains(s, secretWords) || strings.Contains(s, "merger") {
		t.Errorf("%s holds the line text:\n%s", what, data)
	}
}

func TestConfidentialRoomByEmail(t *testing.T) {
	e := newPGPEnv(t)
	if err := e.store.Chat.SetConfidential(e.ctx, "design", true); err != nil {
		t.Fatal(err)
	}
	if r, _ := e.store.Chat.Room(e.ctx, "design"); !r.Confidential {
		t.Fatal("room not confidential")
	}

	// Bob has no key: a notice with the link, never the line.
	e.post(t, "The "+secretWords+" closes Friday")
	step(t, e.worker)
	msgs := e.sink.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d emails", len(msgs))
	}
	noSecret(t, "the email to a keyless member", msgs[0].Data)
	body := strings.ReplaceAll(string(msgs[0].Data), "=\r\n", "")
	if !strings.Contains(body, "1 new line in Design, a confidential room") || !strings.Contains(body, "https://chat.example.org/rooms/design") {
		t.Errorf("notice:\n%s", body)
	}

	// A transcript asked for by email: the notice again, not the file.
	if err := e.email.SendTranscript(e.ctx, threads.TranscriptRequest{Room: "design", Member: "bob", To: "bob@example.org"}); err != nil {
		t.Fatal(err)
	}
	msgs = e.sink.Messages()
	noSecret(t, "the transcript to a keyless member", msgs[1].Data)
	if !strings.Contains(string(msgs[1].Data), "Your transcript of Design") {
		t.Errorf("transcript notice:\n%s", msgs[1].Data)
	}

	// The digest shows counts only, whoever reads it.
	room, _ := e.store.Chat.Room(e.ctx, "design")
	bob, _ := e.store.Directory.User(e.ctx, "bob")
	lines, _ := e.store.Chat.Lines(e.ctx, "design", threads.Range{})
	d := NewDigests(DigestOptions{Digests: e.store.Digests, Directory: e.store.Directory, Chat: e.store.Chat, Auth: e.store.Auth,
		Composer: e.composer, Transport: e.pgp, Domain: "parley.test", PublicURL: "https://chat.example.org"})
	msg, err := d.compose(e.ctx, bob, "2026-11-25", threads.DigestContent{Member: bob,
		Rooms: []threads.DigestRoom{{Room: room, Count: len(lines), First: lines, People: []string{"Alice"}, Newest: lines[0].Time, Upto: lines[0].ID}}})
	if err != nil {
		t.Fatal(err)
	}
	noSecret(t, "the digest", msg.Bytes)
	if !strings.Contains(string(msg.Bytes), "1 more line") {
		t.Errorf("digest does not count the line:\n%s", msg.Bytes)
	}

	// Bob's key set: the line goes, encrypted.
	e.setBobKey(t)
	e.post(t, "Second: the "+secretWords+" is signed")
	step(t, e.worker)
	msgs = e.sink.Messages()
	last := msgs[len(msgs)-1].Data
	noSecret(t, "the encrypted relay on the wire", last)
	if inner := e.open(t, last); !strings.Contains(inner, "the "+secretWords+" is signed") {
		t.Errorf("the member with a key does not get the line:\n%s", inner)
	}

	// Confidential lines never go plain, even if the key vanished between
	// the check and the send.
	err = e.pgp.Send(withMustEncrypt(e.ctx), "parley@parley.test", []string{"dave@example.org"}, []byte("Subject: x\r\n\r\n"+secretWords))
	if !IsPermanent(err) {
		t.Errorf("plain send of a confidential line: %v", err)
	}
}

func TestConfidentialRoomByText(t *testing.T) {
	e := newWenv(t)
	if err := e.store.Chat.SetConfidential(e.ctx, "design", true); err != nil {
		t.Fatal(err)
	}
	w, fake := smsWorker(t, e)
	e.post(t, "Text about the "+secretWords)
	step(t, w)
	msgs := fake.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d texts", len(msgs))
	}
	noSecret(t, "the text message", []byte(msgs[0].Body))
	if msgs[0].Body != "New line in Design — read it on the page: https://chat.example.org/rooms/design" {
		t.Errorf("text %q", msgs[0].Body)
	}
}
