package mailcompose

import (
	"strings"
	"testing"

	"parley/internal/golden"
)

func TestSignInGolden(t *testing.T) {
	c := newComposer(t, nil)
	link := "https://chat.example.org/signin/Qm9iIHNpZ25zIGluIHdpdGggdGhpcyB0b2tlbiBvbmNlIG9ubHk"
	m, err := c.Notice(Notice{
		To:      addr("Zoë Martin", "zoe@example.org"),
		Subject: "email-signin-subject.txt",
		Body:    "email-signin.txt",
		Data:    SignInText{Name: "Zoë Martin", Link: link, Minutes: 15},
	})
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "signin.eml", m.Bytes)
	p := parse(t, m.Bytes)
	if s := text(t, p.h, "Subject"); s != "Your parley sign-in link" {
		t.Errorf("Subject = %q", s)
	}
	if got := p.h.Get("Auto-Submitted"); got != "auto-generated" || p.h.Has("In-Reply-To") {
		t.Errorf("Auto-Submitted %q, In-Reply-To %q", got, p.h.Get("In-Reply-To"))
	}
	// The link is whole on a line of its own, whatever its length.
	if !strings.Contains(p.text, "\r\n"+link+"\r\n") || !strings.Contains(p.text, "Hello Zoë Martin,") ||
		!strings.Contains(p.text, "within 15 minutes:\r\n") {
		t.Errorf("text:\n%s", p.text)
	}
	// Without a name the greeting stands alone.
	m, err = c.Notice(Notice{To: addr("", "zoe@example.org"), Subject: "email-signin-subject.txt", Body: "email-signin.txt",
		Data: SignInText{Link: link, Minutes: 15}})
	if err != nil {
		t.Fatal(err)
	}
	if p := parse(t, m.Bytes); !strings.HasPrefix(p.text, "Hello,\r\n") {
		t.Errorf("text:\n%s", p.text)
	}
}
