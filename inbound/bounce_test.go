package inbound

import (
	"strings"
	"testing"

	"parley/threads"
)

// gmailNDN is a real Gmail bounce; its failing recipient is
// assidhfaaspocwaeofi@gmail.com, made carol's address.
func bounceEnv(t *testing.T) (*renv, []byte) {
	e := newRenv(t, Options{})
	if _, err := e.store.Directory.UpdateUser(e.ctx, "carol", func(u *threads.User) error {
		u.Emails = []string{"assidhfaaspocwaeofi@gmail.com"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return e, fixture(t, "mime/deltachat/gmail_ndn.eml")
}

func TestBounceVERP(t *testing.T) {
	tests := []struct {
		name       string
		rcpt       func(e *renv) string // the address the report is sent to
		wantCarol  bool
		wantAlice  bool
		wantResult Outcome
	}{
		{"forged report to parley@", func(*renv) string { return "parley@parley.test" }, false, false, Ignored},
		{"report to a made-up bounce token", func(*renv) string {
			return threads.BounceAddress(strings.Repeat("a", 32), "parley.test")
		}, false, false, Ignored},
		{"genuine report through VERP", func(e *renv) string {
			tok, err := e.store.Auth.BounceToken(e.ctx, "m1@parley.test", "assidhfaaspocwaeofi@gmail.com")
			if err != nil {
				t.Fatal(err)
			}
			return threads.BounceAddress(tok, "parley.test")
		}, true, false, BounceRecorded},
		{"report naming carol's address to alice's token flags alice only", func(e *renv) string {
			tok, err := e.store.Auth.BounceToken(e.ctx, "m2@parley.test", "alice@example.org")
			if err != nil {
				t.Fatal(err)
			}
			return threads.BounceAddress(tok, "parley.test")
		}, false, true, BounceRecorded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, raw := bounceEnv(t)
			if err := e.mail.CheckRecipient(e.ctx, tt.rcpt(e)); err != nil {
				t.Fatalf("CheckRecipient: %v", err)
			}
			res, err := e.mail.Receive(e.ctx, Envelope{Door: "smtp", Rcpt: []string{tt.rcpt(e)}}, raw)
			if err != nil || res.Outcome != tt.wantResult {
				t.Fatalf("Receive = %+v, %v", res, err)
			}
			carol, _ := e.store.Directory.User(e.ctx, "carol")
			alice, _ := e.store.Directory.User(e.ctx, "alice")
			bob, _ := e.store.Directory.User(e.ctx, "bob")
			if carol.EmailFailing != tt.wantCarol || alice.EmailFailing != tt.wantAlice || bob.EmailFailing {
				t.Fatalf("failing: carol %v alice %v bob %v", carol.EmailFailing, alice.EmailFailing, bob.EmailFailing)
			}
		})
	}
}

func TestBounceAddressIMAP(t *testing.T) {
	// Read from the mailbox there is no envelope: the report's To names
	// the bounce address.
	e, raw := bounceEnv(t)
	tok, err := e.store.Auth.BounceToken(e.ctx, "m1@parley.test", "assidhfaaspocwaeofi@gmail.com")
	if err != nil {
		t.Fatal(err)
	}
	raw = []byte(strings.Replace(string(raw), "\nTo: ", "\nTo: "+threads.BounceAddress(tok, "parley.test")+", ", 1))
	res, err := e.mail.Receive(e.ctx, Envelope{Door: "imap"}, raw)
	if err != nil || res.Outcome != BounceRecorded || res.Member != "carol" {
		t.Fatalf("Receive = %+v, %v", res, err)
	}
}

func TestVacationToBounceAddress(t *testing.T) {
	e := newRenv(t, Options{})
	tok, err := e.store.Auth.BounceToken(e.ctx, "m1@parley.test", "bob@example.org")
	if err != nil {
		t.Fatal(err)
	}
	raw := reply("Bob <bob@home.example>", "x@y", "v1@x", "I am out until Monday.", "Auto-Submitted: auto-replied",
		"X-Autoreply: yes")
	res, err := e.mail.Receive(e.ctx, Envelope{Door: "smtp", Rcpt: []string{threads.BounceAddress(tok, "parley.test")}}, raw)
	if err != nil || res.Outcome != AwayHint || res.Member != "bob" {
		t.Fatalf("Receive = %+v, %v", res, err)
	}
	// A person's mail to a bounce address is not posted.
	res, err = e.mail.Receive(e.ctx, Envelope{Door: "smtp", Rcpt: []string{threads.BounceAddress(tok, "parley.test")}},
		reply("bob@example.org", "x@y", "p1@x", "hello"))
	if err != nil || res.Outcome != Ignored {
		t.Fatalf("Receive = %+v, %v", res, err)
	}
}

func TestTokenHashHidesToken(t *testing.T) {
	tok := strings.Repeat("b", 32)
	if h := tokenHash(tok); len(h) != 8 || strings.Contains(tok, h) {
		t.Fatalf("tokenHash = %q", h)
	}
}
