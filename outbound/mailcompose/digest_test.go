package mailcompose

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"parley/internal/golden"
	"parley/threads"
)

const (
	digestReply = "digest+m5zq4pd2vgl3xm7ta6wbyc0hfr9ne8js@chat.example.org"
	digestUnsub = "https://chat.example.org/unsubscribe-digest/n5zq4pd2vgl3xm7ta6wbyc0hfr9ne8js"
	opsReply    = "reply+p5zq4pd2vgl3xm7ta6wbyc0hfr9ne8js@chat.example.org"
)

// digestFixture is bob's digest: ops (newest, short) and design (long,
// summarised, with a file and a system line).
func digestFixture() Digest {
	opsRoom := threads.Room{ID: "ops", Name: "Ops", Kind: threads.Group}
	opsLine := line("carol", "Carol", "The backup finished; all green.", 600)
	opsLine.Room = "ops"
	var des []threads.Line
	for i := 0; i < 14; i++ {
		author, name := "alice", "Alice"
		if i%2 == 1 {
			author, name = "carol", "Carol"
		}
		des = append(des, line(author, name, fmt.Sprintf("design line %d", i+1), i*10))
	}
	des[1].Attachments = []threads.Attachment{{ID: "f1", Name: "mockups-v2.pdf", Type: "application/pdf", Size: 204800}}
	des[1].Text = "Here are the mock-ups.\nTwo pages."
	des[13].Origin = threads.FromSystem
	des[13].Text = "Carol added Dave to the room."
	return Digest{
		To:     bob,
		Period: "daily-2026-11-25",
		Rooms: []DigestRoom{
			{DigestRoom: threads.DigestRoom{Room: opsRoom, Count: 1, First: []threads.Line{opsLine}, People: []string{"Carol"}, Newest: opsLine.Time},
				ReplyTo: opsReply, URL: "https://chat.example.org/r/ops"},
			{DigestRoom: threads.DigestRoom{Room: design, Count: 14, First: des[:3], Last: des[11:], People: []string{"Alice", "Carol"}, Newest: des[13].Time},
				ReplyTo: replyTo, URL: roomURL},
		},
		ReplyTo:        digestReply,
		UnsubscribeURL: digestUnsub,
		Links:          map[string]RelayFile{FileKey(des[1].ID, 0): {Link: digestFileLink}},
	}
}

// digestFileLink is bob's link to the file of the digest fixture.
const digestFileLink = "https://chat.example.org/f/design~x-0~0~bob~t5x2hc~aaaaaaaaaaaaaaaaaaaaaaaa/mockups-v2.pdf"

func TestDigestGolden(t *testing.T) {
	c := newComposer(t, nil)
	d := digestFixture()
	m, err := c.Digest(d)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "digest.eml", m.Bytes)
	p := parse(t, m.Bytes)
	golden.Check(t, "digest.txt", []byte(strings.ReplaceAll(p.text, "\r\n", "\n")))
	golden.Check(t, "digest.html", []byte(strings.ReplaceAll(p.html, "\r\n", "\n")))
	h := p.h
	want := map[string]string{
		"List-Unsubscribe":         "<" + digestUnsub + ">",
		"List-Unsubscribe-Post":    "List-Unsubscribe=One-Click",
		"Auto-Submitted":           "auto-generated",
		"Precedence":               "bulk",
		"X-Auto-Response-Suppress": "All",
		"X-Loop":                   "parley@" + domain,
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if rt, err := h.AddressList("Reply-To"); err != nil || len(rt) != 1 || rt[0].Address != digestReply {
		t.Errorf("Reply-To = %v, %v", rt, err)
	}
	if s := text(t, h, "Subject"); s != "[parley] 15 new lines in Ops and 1 more room" {
		t.Errorf("Subject = %q", s)
	}
	if id, _ := h.MessageID(); id != c.DigestID("bob", "daily-2026-11-25") {
		t.Errorf("Message-ID = %q", id)
	}
	// Newest room first; the long room summarised; each room's address.
	ops, des := strings.Index(p.text, "== Ops"), strings.Index(p.text, "== Design")
	if ops < 0 || des < ops {
		t.Errorf("rooms out of order:\n%s", p.text)
	}
	for _, s := range []string{
		"== Design (the new site): 14 new lines from Alice, Carol ==\r\n",
		"Alice (Wed 10:14): design line 1\r\n",
		"Carol (Wed 10:24): Here are the mock-ups.\r\n    Two pages.\r\n    [file: mockups-v2.pdf, application/pdf, 200 KB]\r\n    " + digestFileLink + "\r\n",
		"    [... 8 more lines ...]\r\n",
		"* Carol added Dave to the room. (Wed 12:24)\r\n",
		"To post in Design, write to:\r\n    " + replyTo + "\r\n",
		"To post in Ops, write to:\r\n    " + opsReply + "\r\n",
		"Stop these digests:",
	} {
		if !strings.Contains(p.text, s) {
			t.Errorf("text lacks %q:\n%s", s, p.text)
		}
	}
	if strings.Contains(p.text, "design line 5") {
		t.Error("a summarised room shows its middle lines")
	}
	checkDigestHTML(t, p.html, d)
	if n := len(m.Bytes); n > 16<<10 {
		t.Errorf("digest of 15 lines is %d bytes", n)
	}
	// The same member and period: the same Message-ID, whatever the lines.
	d2 := digestFixture()
	d2.Rooms = d2.Rooms[:1]
	m2, err := c.Digest(d2)
	if err != nil || m2.MessageID != m.MessageID {
		t.Errorf("the same period got Message-ID %q, want %q (%v)", m2.MessageID, m.MessageID, err)
	}
}

// checkDigestHTML: checkHTML, with links to each room, its reply address
// and the unsubscribe page, each once.
func checkDigestHTML(t *testing.T, doc string, d Digest) {
	t.Helper()
	allowed := []string{d.UnsubscribeURL}
	for _, f := range d.Links {
		allowed = append(allowed, f.Link)
	}
	for _, r := range d.Rooms {
		allowed = append(allowed, r.URL, "mailto:"+r.ReplyTo)
	}
	links := checkHTML(t, doc, allowed...)
	if links != len(allowed) {
		t.Errorf("HTML has %d links, want %d", links, len(allowed))
	}
}

func TestDigestRejects(t *testing.T) {
	c := newComposer(t, nil)
	cases := map[string]func(d *Digest){
		"empty":               func(d *Digest) { d.Rooms = nil },
		"room without lines":  func(d *Digest) { d.Rooms[0].Count, d.Rooms[0].First = 0, nil },
		"no reply address":    func(d *Digest) { d.ReplyTo = "" },
		"room reply injected": func(d *Digest) { d.Rooms[1].ReplyTo = "r@x.org\r\nBcc: e@example.com" },
		"http unsubscribe":    func(d *Digest) { d.UnsubscribeURL = "http://chat.example.org/u" },
		"member w/o address":  func(d *Digest) { d.To.Emails = nil },
		"period with CRLF":    func(d *Digest) { d.Period = "x\r\nBcc: y" },
		"bad room id":         func(d *Digest) { d.Rooms[0].Room.ID = "Ops Room" },
	}
	for name, change := range cases {
		d := digestFixture()
		change(&d)
		if _, err := c.Digest(d); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}
