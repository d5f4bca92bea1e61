package mailcompose

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"parley/threads"
)

// Fixtures shared by the tests: a fixed clock, one room, its members.
var (
	clock   = time.Date(2026, 11, 25, 9, 20, 0, 0, time.UTC)
	t0      = time.Date(2026, 11, 25, 9, 14, 0, 0, time.UTC) // 10:14 in Berlin
	design  = threads.Room{ID: "design", Name: "Design", Topic: "the new site", Kind: threads.Group, Members: []string{"alice", "bob", "carol"}, Created: time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)}
	bob     = threads.User{ID: "bob", Name: "Bob", Emails: []string{"bob@example.org"}, TimeZone: "Europe/Berlin"}
	replyTo = threads.ReplyAddress("k5zq4pd2vgl3xm7ta6wbyc0hfr9ne8js", "chat.example.org")
)

const (
	domain    = "chat.example.org"
	roomURL   = "https://chat.example.org/r/design"
	unsubURL  = "https://chat.example.org/unsubscribe?t=k5zq4pd2vgl3xm7t&room=design"
	unsubMail = "unsubscribe+k5zq4pd2vgl3xm7t@chat.example.org"
)

func newComposer(t testing.TB, dkim *DKIMOptions) *Composer {
	t.Helper()
	c, err := New(Options{Domain: domain, Now: func() time.Time { return clock }, DKIM: dkim})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// line makes a line of design posted min minutes after t0, with the
// stream id Redis would give it.
func line(author, name, text string, min int) threads.Line {
	tm := t0.Add(time.Duration(min) * time.Minute)
	return threads.Line{ID: fmt.Sprintf("%d-0", tm.UnixMilli()), Room: "design",
		Author: author, Name: name, Text: text, Origin: threads.FromWeb, Time: tm}
}

// relay is a relay of lines in design to bob, with every link set.
func relay(lines ...threads.Line) Relay {
	return Relay{Room: design, Lines: lines, To: bob, ReplyTo: replyTo,
		RoomURL: roomURL, UnsubscribeURL: unsubURL, UnsubscribeMailto: unsubMail}
}

// parsed is a composed message read back with go-message.
type parsed struct {
	h    mail.Header
	text string // the decoded text/plain part
	html string // the decoded text/html part ("" when absent)
}

// parse reads a message back the way a mail client would, after checking
// the transport rules: CRLF line ends only, lines of at most 998 octets,
// nothing but ASCII.
func parse(t testing.TB, b []byte) parsed {
	t.Helper()
	checkWire(t, b)
	r, err := mail.CreateReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("message does not parse: %v\n%s", err, b)
	}
	p := parsed{h: r.Header}
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("part does not parse: %v", err)
		}
		ct, params, err := part.Header.(*mail.InlineHeader).ContentType()
		if err != nil || strings.ToLower(params["charset"]) != "utf-8" {
			t.Fatalf("part content type %q %v: %v", ct, params, err)
		}
		body, err := io.ReadAll(part.Body)
		if err != nil {
			t.Fatalf("part body: %v", err)
		}
		switch ct {
		case "text/plain":
			p.text = string(body)
		case "text/html":
			p.html = string(body)
		default:
			t.Fatalf("unexpected part %s", ct)
		}
	}
	if p.text == "" {
		t.Fatalf("no text part:\n%s", b)
	}
	return p
}

// checkWire checks the rules of RFC 5322 and 5321 for what goes on the wire.
func checkWire(t testing.TB, b []byte) {
	t.Helper()
	if !bytes.HasSuffix(b, []byte("\r\n")) {
		t.Errorf("message does not end with CRLF")
	}
	for i, l := range bytes.SplitAfter(b, []byte("\r\n")) {
		body := bytes.TrimSuffix(l, []byte("\r\n"))
		if bytes.ContainsAny(body, "\r\n") {
			t.Fatalf("line %d holds a bare CR or LF: %q", i+1, l)
		}
		if len(body) > 998 {
			t.Fatalf("line %d is %d octets long", i+1, len(body))
		}
		for _, c := range body {
			if c >= 0x80 || c == 0 {
				t.Fatalf("line %d holds byte %#x: %q", i+1, c, body)
			}
		}
	}
}

// fieldNames lists the names of a message's header fields, in order.
func fieldNames(b []byte) []string {
	var names []string
	s := bufio.NewScanner(bytes.NewReader(b))
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		l := s.Text()
		if l == "" {
			break
		}
		if l[0] == ' ' || l[0] == '\t' {
			continue
		}
		k, _, _ := strings.Cut(l, ":")
		names = append(names, k)
	}
	return names
}

// text decodes a header field's RFC 2047 words.
func text(t testing.TB, h mail.Header, key string) string {
	t.Helper()
	v, err := h.Text(key)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return v
}

func decodeWords(s string) string {
	out, err := new(mime.WordDecoder).DecodeHeader(s)
	if err != nil {
		return s
	}
	return out
}
