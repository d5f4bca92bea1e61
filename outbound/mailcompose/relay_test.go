package mailcompose

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"parley/internal/golden"
	"parley/templates"
	"parley/threads"
)

// relayCase is one golden relay and what a member must see in it.
type relayCase struct {
	name     string
	relay    Relay
	from     string   // decoded From display name
	text     []string // in the plain-text part
	html     []string // in the HTML part
	auto     bool     // Auto-Submitted: auto-generated
	maxWidth int      // widest plain-text line, in columns (0: 72)
	subject  string   // decoded Subject
}

func relayCases() []relayCase {
	unicode := relay(
		line("zoe", "Zoë 🎉", "Café at 15:00? 日本語も大丈夫です 👍", 0),
		line("alice", "Ålice", "Oui, très bien — à tout à l'heure!", 3),
	)
	unicode.Room.Name, unicode.Room.Topic = "Café 日本", "où, quand"
	unicode.To = threads.User{ID: "jose", Name: "José Müller", Emails: []string{"jose@example.org"}, TimeZone: "Asia/Tokyo"}

	system := line("carol", "Carol", "Carol added Dave to the room.", 2)
	system.Origin = threads.FromSystem

	withFile := line("carol", "Carol", "Here are the mock-ups.", 5)
	withFile.Attachments = []threads.Attachment{{ID: "f1", Name: "mockups-v2.pdf", Type: "application/pdf", Size: 204800}}

	nextDay := line("alice", "Alice", "Good morning: I moved the logo.", 24*60)

	long := strings.Repeat("The header is far too tall and the logo should move to the left. ", 6)
	link := "https://docs.example.org/" + strings.Repeat("very-long-path-segment/", 60) + "end"

	return []relayCase{
		{
			name:    "relay-one-line.eml",
			subject: "[Design] Alice: Has anyone looked at the new mock-ups?",
			relay:   relay(line("alice", "Alice", "Has anyone looked at the new mock-ups?", 0)),
			from:    "Alice (parley)",
			text:    []string{"Alice (Wed 10:14 CET): Has anyone looked at the new mock-ups?\n", "-- \nReply to this email to post in Design.", roomURL, unsubURL},
			html:    []string{"<b>Alice</b>", "10:14", "Has anyone looked at the new mock-ups?"},
		},
		{
			name:    "relay-batch.eml",
			subject: "[Design] Alice: Has anyone looked at the new mock-ups?",
			relay: relay(
				line("alice", "Alice", "Has anyone looked at the new mock-ups?", 0),
				line("carol", "Carol", "Yes.\nThe header is too tall.\n\nAnd the logo <b>should</b> move.", 1),
				line("alice", "Alice", "Agreed, I'll fix it & send a new version.", 4),
				withFile,
				nextDay,
			),
			from: "Alice, Carol (parley)",
			text: []string{
				"[Wednesday 25 November 2026]\nAlice (Wed 10:14 CET): Has anyone looked at the new mock-ups?\n",
				"Carol (Wed 10:15 CET): Yes.\n    The header is too tall.\n\n    And the logo <b>should</b> move.\n",
				"Alice (Wed 10:18 CET): Agreed, I'll fix it & send a new version.\n",
				"Carol (Wed 10:19 CET): Here are the mock-ups.\n    [file: mockups-v2.pdf, application/pdf, 200 KB]\n",
				"\n[Thursday 26 November 2026]\nAlice (Thu 10:14 CET): Good morning: I moved the logo.\n",
			},
			html: []string{"And the logo &lt;b&gt;should&lt;/b&gt; move.", "fix it &amp; send", "file: mockups-v2.pdf, application/pdf, 200 KB", "Thursday 26 November 2026"},
		},
		{
			name:    "relay-unicode.eml",
			subject: "[Café 日本] Zoë 🎉: Café at 15:00? 日本語も大丈夫です 👍",
			relay:   unicode,
			from:    "Zoë 🎉, Ålice (parley)",
			text:    []string{"Zoë 🎉 (Wed 18:14 JST): Café at 15:00? 日本語も大丈夫です 👍\n", "Ålice (Wed 18:17 JST): Oui, très bien — à tout à l'heure!\n", "post in Café 日本."},
			html:    []string{"Café 日本 &middot; où, quand", "日本語も大丈夫です 👍"},
		},
		{
			name:    "relay-system.eml",
			subject: "[Design] Carol added Dave to the room.",
			relay:   relay(system),
			from:    "parley",
			text:    []string{"* Carol added Dave to the room. (Wed 10:16 CET)\n"},
			html:    []string{"Carol added Dave to the room."},
			auto:    true,
		},
		{
			name:     "relay-long.eml",
			subject:  "[Design] Alice: The header is far too tall and the logo should…",
			relay:    relay(line("alice", "Alice", long+"\nSee "+link+" for the details.", 0)),
			from:     "Alice (parley)",
			text:     []string{"Alice (Wed 10:14 CET): The header is far too tall and the logo should\n    move to the left. The header", "\n    See\n    " + link + "\n    for the details.\n"},
			html:     []string{link},
			maxWidth: len(link) + 4,
		},
	}
}

// TestRelayGolden composes each case, compares it with its golden file and
// reads it back as a mail client would.
func TestRelayGolden(t *testing.T) {
	c := newComposer(t, nil)
	for _, tc := range relayCases() {
		t.Run(tc.name, func(t *testing.T) {
			m, err := c.Relay(tc.relay)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, tc.name, m.Bytes)
			p := parse(t, m.Bytes)
			checkRelayHeader(t, tc, m, p)
			for _, s := range tc.text {
				if !strings.Contains(p.text, strings.ReplaceAll(s, "\n", "\r\n")) {
					t.Errorf("text part lacks %q:\n%s", s, p.text)
				}
			}
			limit := tc.maxWidth
			if limit == 0 {
				limit = wrapWidth
			}
			for _, l := range strings.Split(p.text, "\r\n") {
				if w := displayWidth(l); w > limit {
					t.Errorf("text line of %d columns: %q", w, l)
				}
			}
			checkHTML(t, p.html, roomURL, unsubURL)
			for _, s := range tc.html {
				if !strings.Contains(p.html, s) {
					t.Errorf("HTML part lacks %q:\n%s", s, p.html)
				}
			}
		})
	}
}

func checkRelayHeader(t *testing.T, tc relayCase, m Message, p parsed) {
	t.Helper()
	h := p.h
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Address != "parley@"+domain || from[0].Name != tc.from {
		t.Errorf("From = %v, %v; want %q <parley@%s>", from, err, tc.from, domain)
	}
	if m.From != "parley@"+domain || !slices.Equal(m.To, []string{tc.relay.To.Email()}) {
		t.Errorf("envelope %s -> %v", m.From, m.To)
	}
	rt, err := h.AddressList("Reply-To")
	if err != nil || len(rt) != 1 || rt[0].Address != replyTo {
		t.Errorf("Reply-To = %v, %v", rt, err)
	}
	to, err := h.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != tc.relay.To.Email() || to[0].Name != tc.relay.To.Name {
		t.Errorf("To = %v, %v", to, err)
	}
	room := tc.relay.Room
	if s := text(t, h, "Subject"); s != tc.subject {
		t.Errorf("Subject = %q", s)
	}
	id, err := h.MessageID()
	if err != nil || id != m.MessageID || !strings.HasPrefix(id, "line.design."+tc.relay.Lines[0].ID+".") || !strings.HasSuffix(id, "@"+domain) {
		t.Errorf("Message-ID = %q, %v (Message says %q)", id, err, m.MessageID)
	}
	root := threads.RootMessageID(room, domain)
	for _, k := range []string{"In-Reply-To", "References"} {
		if ids, err := h.MsgIDList(k); err != nil || !slices.Equal(ids, []string{root}) {
			t.Errorf("%s = %v, %v; want %s", k, ids, err, root)
		}
	}
	if got := decodeWords(h.Get("List-Id")); got != `"`+room.Name+`" <design.rooms.chat.example.org>` && got != room.Name+" <design.rooms.chat.example.org>" {
		t.Errorf("List-Id = %q", got)
	}
	if got, want := h.Get("List-Unsubscribe"), "<"+unsubURL+">, <mailto:"+unsubMail+">"; got != want {
		t.Errorf("List-Unsubscribe = %q, want %q", got, want)
	}
	want := map[string]string{
		"List-Unsubscribe-Post":    "List-Unsubscribe=One-Click",
		"List-Archive":             "<" + roomURL + ">",
		"Precedence":               "list",
		"X-Auto-Response-Suppress": "All",
		"X-Loop":                   "parley@chat.example.org",
		"MIME-Version":             "1.0",
		"Auto-Submitted":           "",
	}
	if tc.auto {
		want["Auto-Submitted"] = "auto-generated"
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	d, err := h.Date()
	if err != nil || !d.Equal(clock) {
		t.Errorf("Date = %v, %v", d, err)
	}
	if _, off := d.Zone(); off != offsetOf(tc.relay.To) {
		t.Errorf("Date is not in the member's time zone: %s", h.Get("Date"))
	}
	if ct, _, _ := h.ContentType(); ct != "multipart/alternative" {
		t.Errorf("Content-Type = %s", ct)
	}
}

func offsetOf(u threads.User) int {
	_, off := clock.In(u.Location()).Zone()
	return off
}

// allowedTags are the only elements a relay's HTML may use.
var allowedTags = map[string]bool{"html": true, "head": true, "meta": true, "title": true, "body": true,
	"div": true, "p": true, "b": true, "i": true, "span": true, "br": true, "a": true}

// checkHTML checks that an HTML part stands alone: known elements only,
// inline styles without url() or outside addresses, and links only to
// allowed. It returns how many links there are.
func checkHTML(t *testing.T, doc string, allowed ...string) (links int) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(doc))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return links
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if !allowedTags[tok.Data] {
			t.Errorf("HTML uses <%s>", tok.Data)
		}
		for _, a := range tok.Attr {
			v := strings.ToLower(a.Val)
			switch {
			case a.Key == "href":
				links++
				if !slices.Contains(allowed, a.Val) {
					t.Errorf("HTML links to %q", a.Val)
				}
			case a.Key == "src" || strings.Contains(v, "url(") || strings.Contains(v, "http") || strings.Contains(v, "@import"):
				t.Errorf("HTML refers to a resource: <%s %s=%q>", tok.Data, a.Key, a.Val)
			}
		}
	}
}

func TestRelayHTMLIsSmall(t *testing.T) {
	c := newComposer(t, nil)
	m, err := c.Relay(relay(line("alice", "Alice", "Has anyone looked at the new mock-ups?", 0)))
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, m.Bytes)
	if n := len(p.html); n >= 8<<10 {
		t.Errorf("HTML part of a one-line relay is %d bytes; keep it under 8 KB", n)
	}
	if n := len(m.Bytes); n >= 12<<10 {
		t.Errorf("one-line relay is %d bytes", n)
	}
}

func TestRelayIDs(t *testing.T) {
	c := newComposer(t, nil)
	l1 := line("alice", "Alice", "one", 0)
	l2 := line("alice", "Alice", "two", 1)
	compose := func(r Relay) Message {
		t.Helper()
		m, err := c.Relay(r)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	a, again := compose(relay(l1)), compose(relay(l1))
	if !bytes.Equal(a.Bytes, again.Bytes) {
		t.Error("the same relay composed twice differs")
	}
	grown := compose(relay(l1, l2))
	if grown.MessageID == a.MessageID {
		t.Error("a batch that grew kept its Message-ID: a client that drops duplicates would lose the new line")
	}
	carol := relay(l1)
	carol.To = threads.User{ID: "carol", Name: "Carol", Emails: []string{"carol@example.org"}}
	if compose(carol).MessageID == a.MessageID {
		t.Error("two members got the same Message-ID")
	}
	renamed := relay(l2)
	renamed.Room.Name, renamed.Room.Topic = "Design team", "changed"
	if root := threads.RootMessageID(renamed.Room, domain); root != threads.RootMessageID(design, domain) || root != "room.design.1793606400000@chat.example.org" {
		t.Errorf("root Message-ID changed with the room's name: %s", root)
	}
	later := design
	later.Created = later.Created.Add(time.Hour)
	if threads.RootMessageID(later, domain) == threads.RootMessageID(design, domain) {
		t.Error("a room created again under the same id continues the old thread")
	}
}

func TestFromName(t *testing.T) {
	c := newComposer(t, nil)
	cases := []struct {
		authors []string
		want    string
	}{
		{nil, "parley"},
		{[]string{"Alice"}, "Alice (parley)"},
		{[]string{"Alice", "Bob"}, "Alice, Bob (parley)"},
		{[]string{"Alice", "Bob", "Carol"}, "Alice and 2 others (parley)"},
		{[]string{"Alice", "Bob", "Carol", "Dave"}, "Alice and 3 others (parley)"},
	}
	for _, tc := range cases {
		if got := c.fromName(tc.authors); got != tc.want {
			t.Errorf("fromName(%q) = %q, want %q", tc.authors, got, tc.want)
		}
	}
}

func TestRelayRejects(t *testing.T) {
	c := newComposer(t, nil)
	ok := line("alice", "Alice", "hi", 0)
	other := ok
	other.Room = "sales"
	badID := ok
	badID.ID = "1-0>\r\nBcc: x@y"
	cases := map[string]func(r *Relay){
		"no lines":               func(r *Relay) { r.Lines = nil },
		"line of another room":   func(r *Relay) { r.Lines = []threads.Line{other} },
		"line id not a stream":   func(r *Relay) { r.Lines = []threads.Line{badID} },
		"bad room id":            func(r *Relay) { r.Room.ID = "Design Room" },
		"member without address": func(r *Relay) { r.To.Emails = nil },
		"member address w/ name": func(r *Relay) { r.To.Emails = []string{"Bob <bob@example.org>"} },
		"non-ASCII address":      func(r *Relay) { r.To.Emails = []string{"josé@example.org"} },
		"no reply address":       func(r *Relay) { r.ReplyTo = "" },
		"reply address injected": func(r *Relay) { r.ReplyTo = "r@x.org\r\nBcc: evil@example.com" },
		"unsubscribe over http":  func(r *Relay) { r.UnsubscribeURL = "http://chat.example.org/u" },
		"unsubscribe w/ CRLF":    func(r *Relay) { r.UnsubscribeURL = "https://x.org/u\r\nBcc: evil@example.com" },
		"unsubscribe w/ bracket": func(r *Relay) { r.UnsubscribeURL = "https://x.org/u>, <https://evil.example.com/" },
		"room link javascript":   func(r *Relay) { r.RoomURL = "javascript:alert(1)" },
		"unsubscribe too long":   func(r *Relay) { r.UnsubscribeURL = "https://x.org/" + strings.Repeat("a", 1000) },
		"mailto with space":      func(r *Relay) { r.UnsubscribeMailto = "a b@x.org" },
	}
	for name, change := range cases {
		r := relay(ok)
		change(&r)
		if _, err := c.Relay(r); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

// TestNoHeaderInjection puts line breaks and header-looking text in every
// name a relay shows: none may become a header field.
func TestNoHeaderInjection(t *testing.T) {
	c := newComposer(t, nil)
	evil := "Eve\r\nBcc: victim@example.com\r\n\r\nbody"
	l := line("eve", evil, "text\r\nBcc: victim@example.com", 0)
	l.Attachments = []threads.Attachment{{ID: "f", Name: evil}}
	r := relay(l)
	r.Room.Name, r.Room.Topic = evil, evil
	r.To.Name = evil
	m, err := c.Relay(r)
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, m.Bytes)
	want := []string{"Date", "From", "Reply-To", "To", "Subject", "Message-ID", "In-Reply-To", "References",
		"List-Id", "List-Archive", "List-Unsubscribe", "List-Unsubscribe-Post", "Precedence",
		"X-Auto-Response-Suppress", "X-Loop", "MIME-Version", "Content-Type"}
	if got := fieldNames(m.Bytes); !slices.Equal(got, want) {
		t.Errorf("header fields %v, want %v", got, want)
	}
	from, err := p.h.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Eve Bcc: victim@example.com body (parley)" {
		t.Errorf("From = %v, %v", from, err)
	}
}

func TestNew(t *testing.T) {
	for _, o := range []Options{
		{},
		{Domain: "chat example.org"},
		{Domain: "chat.example.org\r\nBcc: x"},
		{Domain: "chat.example.org", FromLocal: "par ley"},
		{Domain: "chat.example.org", FromLocal: "a@b"},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
	c, err := New(Options{Domain: "Chat.Example.ORG", FromLocal: "noreply", Brand: "Team\nChat"})
	if err != nil {
		t.Fatal(err)
	}
	if c.from != "noreply@chat.example.org" || c.brand != "Team Chat" {
		t.Errorf("from %q, brand %q", c.from, c.brand)
	}
}

// BenchmarkRelay composes a five-line relay.
func BenchmarkRelay(b *testing.B) {
	c := newComposer(b, nil)
	r := relayCases()[1].relay
	for b.Loop() {
		if _, err := c.Relay(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRelayFanout composes one line for many members of a room, as the
// worker does when a line reaches a room of away members: the body is
// rendered once and filled in for each (bodycache.go).
func BenchmarkRelayFanout(b *testing.B) {
	c := newComposer(b, nil)
	r := relayCases()[0].relay
	i := 0
	for b.Loop() {
		i++
		r.To.ID = fmt.Sprintf("m%02d", i%49)
		r.UnsubscribeURL = "https://chat.example.org/unsubscribe/ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" + r.To.ID
		if _, err := c.Relay(r); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBodyCacheMatchesFullRender: a body filled in from the cache is the
// body a full rendering gives, for the default templates and for templates
// that use the member's fields in ways the cache must not take a shortcut
// for.
func TestBodyCacheMatchesFullRender(t *testing.T) {
	set := func(files map[string]string) *templates.Set {
		dir := t.TempDir()
		for name, src := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		s, err := templates.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for name, tmpl := range map[string]*templates.Set{
		"default":   nil,
		"verbatim":  set(map[string]string{"email-relay.txt": "Hello {{.Member}} <{{.ReplyTo}}> {{.UnsubscribeURL}}\n"}),
		"upper":     set(map[string]string{"email-relay.txt": "Hello {{upper .Member}} {{upper .UnsubscribeURL}}\n"}),
		"length":    set(map[string]string{"email-relay.txt": "{{truncate 30 .UnsubscribeURL}} {{len .Member}}\n"}),
		"html href": set(map[string]string{"email-relay.html": `<a href="{{.UnsubscribeURL}}">{{.Member}}</a> <a href="/u?n={{.Member}}">x</a>`}),
	} {
		t.Run(name, func(t *testing.T) {
			newC := func() *Composer {
				c, err := New(Options{Domain: domain, Now: func() time.Time { return clock }, Templates: tmpl})
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			c, plain := newC(), newC()
			plain.bodies = nil // always a full rendering
			for i, member := range []string{"Bob", "Bob Baker", "Zoë & Co <z@x>", "Bob"} {
				r := relayCases()[0].relay
				r.To.Name = member
				r.UnsubscribeURL = fmt.Sprintf("https://chat.example.org/unsubscribe/TOKEN%d", i)
				if i == 2 {
					r.UnsubscribeURL = "https://chat.example.org/unsubscribe?t=a&b=%41"
				}
				got, err := c.Relay(r)
				if err != nil {
					t.Fatal(err)
				}
				want, err := plain.Relay(r)
				if err != nil {
					t.Fatal(err)
				}
				if string(got.Bytes) != string(want.Bytes) {
					t.Errorf("member %q: cached body differs from a full rendering:\n%s\n---\n%s", member, got.Bytes, want.Bytes)
				}
			}
		})
	}
}

// TestRelaySubject: the subject names the first person's line of the batch
// and quotes its first words, cut at a word boundary; user input cannot
// break the header (line breaks, control and bidi characters are gone);
// Relay.Subject, when set, is the subject whatever the lines say.
func TestRelaySubject(t *testing.T) {
	c := newComposer(t, nil)
	system := line("carol", "Carol", "Carol joined.", 0)
	system.Origin = threads.FromSystem
	file := line("carol", "Carol", "", 1)
	file.Attachments = []threads.Attachment{{ID: "f1", Name: "plan.pdf"}}
	for _, tc := range []struct {
		name  string
		lines []threads.Line
		want  string
	}{
		{"short", []threads.Line{line("alice", "Alice", "Lunch?", 0)}, "[Design] Alice: Lunch?"},
		{"first line only", []threads.Line{line("alice", "Alice", "\n\nLunch?\nat noon", 0)}, "[Design] Alice: Lunch?"},
		{"word boundary", []threads.Line{line("alice", "Alice", "The header is far too tall and the logo should move to the left", 0)},
			"[Design] Alice: The header is far too tall and the logo should…"},
		{"one long word", []threads.Line{line("alice", "Alice", strings.Repeat("a", 80), 0)}, "[Design] Alice: " + strings.Repeat("a", 49) + "…"},
		{"person after parley", []threads.Line{system, line("bob", "Bob", "Hi all", 1)}, "[Design] Bob: Hi all"},
		{"only parley", []threads.Line{system}, "[Design] Carol joined."},
		{"only a file", []threads.Line{file}, "[Design] Carol: plan.pdf"},
		{"hostile", []threads.Line{line("eve", "Eve\r\nBcc: x@example.org\u202e", "hi\u202e\x07 there\r\nBcc: y@example.org", 0)},
			"[Design] Eve Bcc: x@example.org: hi there"},
		{"no name", []threads.Line{line("eve", " \t", "hi", 0)}, "[Design] eve: hi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := relay(tc.lines...)
			got, err := c.RelaySubject(r)
			if err != nil || got != tc.want {
				t.Fatalf("RelaySubject = %q, %v; want %q", got, err, tc.want)
			}
			m, err := c.Relay(r)
			if err != nil {
				t.Fatal(err)
			}
			p := parse(t, m.Bytes)
			if s := text(t, p.h, "Subject"); s != tc.want {
				t.Errorf("Subject header %q, want %q", s, tc.want)
			}
			if n := bytes.Count(m.Bytes, []byte("\r\nBcc:")); n != 0 {
				t.Errorf("a Bcc header got in:\n%s", m.Bytes)
			}
		})
	}
	r := relay(line("bob", "Bob", "Something else", 0))
	r.Subject = "[Design] Alice: the first words\r\nBcc: z@example.org"
	m, err := c.Relay(r)
	if err != nil {
		t.Fatal(err)
	}
	if s := text(t, parse(t, m.Bytes).h, "Subject"); s != "[Design] Alice: the first words Bcc: z@example.org" {
		t.Errorf("kept subject = %q", s)
	}
	if _, err := c.RelaySubject(Relay{Room: r.Room}); !errors.Is(err, ErrInvalid) {
		t.Errorf("no lines: %v", err)
	}
}

// TestValueKey: the body cache's key tells apart relays that differ in any
// field a template can see, and only those.
func TestValueKey(t *testing.T) {
	key := func(d RelayData) [32]byte {
		t.Helper()
		k, ok := valueKey(d, "")
		if !ok {
			t.Fatalf("valueKey(%+v) not ok", d)
		}
		return k
	}
	at := time.Date(2026, 11, 25, 10, 14, 0, 0, time.UTC)
	base := RelayData{Room: threads.Room{ID: "design", Name: "Design", Members: []string{"alice", "bob"}},
		Lines: []LineData{{Name: "Alice", Time: at, Text: "hi", TextLines: []string{"hi"}}}}
	changes := map[string]func(*RelayData){
		"room topic":     func(d *RelayData) { d.Room.Topic = "x" },
		"room members":   func(d *RelayData) { d.Room.Members = []string{"alice", "carol"} },
		"room members 2": func(d *RelayData) { d.Room.Members = []string{"alicebob"} },
		"confidential":   func(d *RelayData) { d.Room.Confidential = true },
		"subject":        func(d *RelayData) { d.Subject = "s" },
		"line time":      func(d *RelayData) { d.Lines[0].Time = at.Add(time.Second) },
		"line zone":      func(d *RelayData) { d.Lines[0].Time = at.In(time.FixedZone("X", 3600)) },
		"line text":      func(d *RelayData) { d.Lines[0].Text = "ho" },
		"a second line":  func(d *RelayData) { d.Lines = append(d.Lines, LineData{}) },
		"file":           func(d *RelayData) { d.Lines[0].Files = []FileData{{Name: "a.pdf"}} },
		"file attached":  func(d *RelayData) { d.Lines[0].Files = []FileData{{Attached: true}} },
		"many days":      func(d *RelayData) { d.ManyDays = true },
		"authors":        func(d *RelayData) { d.Authors = []string{"Alice"} },
	}
	want := key(base)
	for name, change := range changes {
		d := base
		d.Room.Members = slices.Clone(base.Room.Members)
		d.Lines = slices.Clone(base.Lines)
		change(&d)
		if key(d) == want {
			t.Errorf("%s: same key", name)
		}
	}
	same := base
	same.Lines = []LineData{base.Lines[0]}
	same.Lines[0].Time = time.UnixMilli(at.UnixMilli()).UTC() // the same instant, read another way
	if key(same) != want {
		t.Error("the same relay read again: another key")
	}
	if _, ok := valueKey(map[string]string{}, ""); ok {
		t.Error("a map: ok")
	}
}
