package mailcompose

import (
	"slices"
	"strings"
	"testing"

	"parley/threads"
)

// FuzzCompose feeds arbitrary names and text to Relay and Notice: they must
// never fail or panic on such input, the result must parse, and no input
// may add a header field. Run it with
//
//	go test ./outbound/mailcompose -run '^$' -fuzz FuzzCompose -fuzztime 1m
func FuzzCompose(f *testing.F) {
	f.Add("Alice", "hello", "Design", "topic", "Bob", false)
	f.Add("Eve\r\nBcc: victim@example.com", "text\r\n.\r\nQUIT", "Room\nX-Evil: 1", "\x00", "Bob\r\n\r\n", true)
	f.Add("Zoë 🎉", "日本語 "+strings.Repeat("x", 2000), "Café 日本", "où", "José", false)
	f.Add("=?utf-8?q?Mallory=0D=0ABcc:_x@y?=", "--=_0000\r\nContent-Type: text/html\r\n\r\n<img src=x>", "\"quoted\" <a@b>", "", "", false)
	f.Add("\xff\xfe", "\u202e\u2028\u0085\t\x1b[2J", "(comment)", strings.Repeat("长", 600), strings.Repeat("a", 300), true)
	c := newComposer(f, nil)
	f.Fuzz(func(t *testing.T, name, text, roomName, topic, member string, system bool) {
		l := line("eve", name, text, 0)
		l.Attachments = []threads.Attachment{{ID: "f1", Name: name}}
		if system {
			l.Origin = threads.FromSystem
		}
		r := relay(l)
		r.Room.Name, r.Room.Topic, r.To.Name = roomName, topic, member
		m, err := c.Relay(r)
		if err != nil {
			t.Fatalf("Relay: %v", err)
		}
		p := parse(t, m.Bytes)
		want := []string{"Date", "From", "Reply-To", "To", "Subject", "Message-ID", "In-Reply-To", "References",
			"List-Id", "List-Archive", "List-Unsubscribe", "List-Unsubscribe-Post", "Precedence",
			"X-Auto-Response-Suppress", "X-Loop", "MIME-Version", "Content-Type"}
		if system {
			want = slices.Insert(want, 13, "Auto-Submitted")
		}
		if got := fieldNames(m.Bytes); !slices.Equal(got, want) {
			t.Fatalf("header fields %v, want %v", got, want)
		}
		for _, k := range []string{"From", "Reply-To", "To"} {
			if a, err := p.h.AddressList(k); err != nil || len(a) != 1 {
				t.Fatalf("%s = %q: %v, %v", k, p.h.Get(k), a, err)
			}
		}
		if _, err := p.h.Subject(); err != nil {
			t.Fatalf("Subject %q: %v", p.h.Get("Subject"), err)
		}
		if p.html == "" || !strings.Contains(p.text, "\r\n-- \r\nReply to this email") {
			t.Fatalf("parts:\n%s", m.Bytes)
		}

		n, err := c.Notice(Notice{To: addr(member, "zoe@example.org"), Subject: "email-notice-subject.txt", Body: "email-notice.txt",
			Data: NoticeText{Title: roomName, Text: text, Link: topic}})
		if err != nil {
			t.Fatalf("Notice: %v", err)
		}
		parse(t, n.Bytes)
		if got := fieldNames(n.Bytes); !slices.Equal(got, []string{"Date", "From", "To", "Subject", "Message-ID",
			"Auto-Submitted", "X-Auto-Response-Suppress", "X-Loop", "MIME-Version", "Content-Type", "Content-Transfer-Encoding"}) {
			t.Fatalf("notice header fields %v", got)
		}
	})
}
