package mailcompose

import (
	"errors"
	"net/mail"
	"strings"
	"testing"

	"parley/internal/golden"
)

func addr(name, a string) mail.Address { return mail.Address{Name: name, Address: a} }

func TestNoticeGolden(t *testing.T) {
	c := newComposer(t, nil)
	m, err := c.Notice(Notice{
		To:      addr("Zoë Martin", "zoe@example.org"),
		Subject: "email-notice-subject.txt",
		Body:    "email-notice.txt",
		Data: NoticeText{
			Title: "Your reply to Design could not be posted",
			Text:  "Your email to Design was not posted because it came from an address that is not a member of the room. Write from the address parley knows you by, or open the room in the web page.",
			Link:  roomURL,
		},
		InReplyTo: "CAF=x1@mail.example.org",
	})
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "notice.eml", m.Bytes)
	p := parse(t, m.Bytes)
	if p.html != "" {
		t.Error("a notice without an HTML template has an HTML part")
	}
	h := p.h
	if got := h.Get("Auto-Submitted"); got != "auto-replied" {
		t.Errorf("Auto-Submitted = %q", got)
	}
	if ids, _ := h.MsgIDList("In-Reply-To"); len(ids) != 1 || ids[0] != "CAF=x1@mail.example.org" {
		t.Errorf("In-Reply-To = %v", ids)
	}
	if s := text(t, h, "Subject"); s != "Your reply to Design could not be posted" {
		t.Errorf("Subject = %q", s)
	}
	from, _ := h.AddressList("From")
	to, _ := h.AddressList("To")
	if len(from) != 1 || from[0].String() != `"parley" <parley@chat.example.org>` || len(to) != 1 || to[0].Name != "Zoë Martin" {
		t.Errorf("From %v, To %v", from, to)
	}
	for _, k := range []string{"List-Id", "List-Unsubscribe", "Precedence", "Reply-To"} {
		if h.Has(k) {
			t.Errorf("a notice has %s", k)
		}
	}
	if !strings.Contains(p.text, "address that\r\nis not a member") ||
		!strings.Contains(p.text, "\r\n\r\n"+roomURL+"\r\n\r\n-- \r\n") {
		t.Errorf("text:\n%s", p.text)
	}
}

func TestNoticeVariants(t *testing.T) {
	c := newComposer(t, nil)
	plain := Notice{To: addr("", "zoe@example.org"), Subject: "email-notice-subject.txt", Body: "email-notice.txt",
		Data: NoticeText{Title: "Hello", Text: "Text."}}
	m, err := c.Notice(plain)
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, m.Bytes)
	if got := p.h.Get("Auto-Submitted"); got != "auto-generated" || p.h.Has("In-Reply-To") || p.h.Get("To") != "<zoe@example.org>" {
		t.Errorf("Auto-Submitted %q, In-Reply-To %q, To %q", got, p.h.Get("In-Reply-To"), p.h.Get("To"))
	}

	// A body template with an .html twin gets an HTML alternative. The
	// relay templates serve as one; the data must suit both templates.
	rd := RelayData{Room: design, Subject: "s", Member: "Zoë", Loc: bob.Location(), ReplyTo: replyTo}
	withHTML := Notice{To: addr("Zoë", "zoe@example.org"), Subject: "email-notice-subject.txt", Body: "email-relay.txt",
		Data: struct {
			RelayData
			Title string
		}{rd, "Hello"}}
	m, err = c.Notice(withHTML)
	if err != nil {
		t.Fatal(err)
	}
	if p := parse(t, m.Bytes); p.html == "" || !strings.Contains(p.text, "post in Design") {
		t.Errorf("no HTML alternative:\n%s", m.Bytes)
	}

	for name, n := range map[string]Notice{
		"bad address":      {To: addr("", "zoe"), Subject: plain.Subject, Body: plain.Body, Data: plain.Data},
		"bad in-reply-to":  {To: plain.To, Subject: plain.Subject, Body: plain.Body, Data: plain.Data, InReplyTo: "x>\r\nBcc: y@z"},
		"unknown template": {To: plain.To, Subject: plain.Subject, Body: "email-nope.txt", Data: plain.Data},
		"wrong data":       {To: plain.To, Subject: plain.Subject, Body: plain.Body, Data: 42},
	} {
		_, err := c.Notice(n)
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
		if strings.HasPrefix(name, "bad") && !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}
