package threads

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestBounceToken(t *testing.T) {
	e := newEnv(t)
	e.Store.opts.Secret = []byte("0123456789abcdef0123456789abcdef")
	tok, err := e.Auth.BounceToken(e.ctx, "m1@parley.test", "Bob@Example.org")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := e.Auth.BounceToken(e.ctx, "m1@parley.test", "carol@example.org")
	if other == tok {
		t.Fatal("two recipients of one message share a token")
	}
	b, err := e.Auth.ResolveBounceToken(e.ctx, strings.ToUpper(tok))
	if err != nil || b.Recipient != "bob@example.org" || b.MessageID != "m1@parley.test" {
		t.Fatalf("ResolveBounceToken = %+v, %v", b, err)
	}
	for _, bad := range []string{"", "short", strings.Repeat("a", 32), tok[:31] + "a"} {
		if _, err := e.Auth.ResolveBounceToken(e.ctx, bad); err != ErrBadToken {
			t.Errorf("ResolveBounceToken(%q) = %v, want ErrBadToken", bad, err)
		}
	}
	// After a rotation the old secret still verifies, as the previous one;
	// without it the token is dead.
	e.Store.opts.Secret, e.Store.opts.PreviousSecret = []byte("fedcba9876543210fedcba9876543210"), []byte("0123456789abcdef0123456789abcdef")
	if _, err := e.Auth.ResolveBounceToken(e.ctx, tok); err != nil {
		t.Fatalf("token under the previous secret: %v", err)
	}
	e.Store.opts.PreviousSecret = nil
	if _, err := e.Auth.ResolveBounceToken(e.ctx, tok); err != ErrBadToken {
		t.Fatalf("token under a retired secret: %v", err)
	}
}

func TestMarkEmailFailingAndRecover(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "bob")
	tests := []struct {
		name    string
		act     func() error
		failing bool
	}{
		{"an address bob no longer has marks nothing", func() error {
			_, err := e.Directory.MarkEmailFailing(e.ctx, "bob", "old@example.org")
			return err
		}, false},
		{"his address bounces", func() error {
			_, err := e.Directory.MarkEmailFailing(e.ctx, "bob", "BOB@example.org")
			return err
		}, true},
		{"two days later still failing", func() error { e.clock.Add(DefaultBounceRetryAfter - 24*time.Hour); return nil }, true},
		{"after the retry time on probation", func() error { e.clock.Add(48 * time.Hour); return nil }, false},
		{"bounces again", func() error {
			_, err := e.Directory.MarkEmailFailing(e.ctx, "bob", "bob@example.org")
			return err
		}, true},
		{"confirmed by an admin", func() error { return e.Directory.ClearEmailFailing(e.ctx, "bob") }, false},
		{"bounces once more", func() error {
			_, err := e.Directory.MarkEmailFailing(e.ctx, "bob", "bob@example.org")
			return err
		}, true},
		{"changed address", func() error {
			_, err := e.Directory.UpdateUser(e.ctx, "bob", func(u *User) error { u.Emails = []string{"bob@new.example"}; return nil })
			return err
		}, false},
	}
	for _, tt := range tests {
		if err := tt.act(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		u, _ := e.Directory.User(e.ctx, "bob")
		if u.EmailFailing != tt.failing {
			t.Fatalf("%s: failing = %v", tt.name, u.EmailFailing)
		}
		if u.Unreachable() != tt.failing {
			t.Fatalf("%s: unreachable = %v (bob has no phone)", tt.name, u.Unreachable())
		}
	}
}

func FuzzParseBounceAddress(f *testing.F) {
	f.Add("bounces+" + strings.Repeat("ab", 16) + "@parley.example")
	f.Add("BOUNCES+@parley.example")
	f.Add("bounces+" + strings.Repeat("=", 32) + "@parley.example")
	f.Add("\xff@\x00")
	f.Fuzz(func(t *testing.T, addr string) {
		tok, ok := ParseBounceAddress(addr, "parley.example")
		if ok && (len(tok) != 32 || BounceAddress(tok, "parley.example") != strings.ToLower(strings.TrimSpace(addr))) {
			t.Fatalf("ParseBounceAddress(%q) = %q", addr, tok)
		}
		if _, reply := ParseReplyAddress(addr, "parley.example"); ok && reply {
			t.Fatalf("%q is both a bounce and a reply address", addr)
		}
	})
}

func TestReplyTokensRevocable(t *testing.T) {
	e := newEnv(t)
	e.Store.opts.Secret = []byte("0123456789abcdef0123456789abcdef")
	e.seed(t, "bob")
	e.seed(t, "carol")
	e.room(t, "design", Group, "bob", "carol")
	old, err := e.Auth.ReplyToken(e.ctx, "design", "bob")
	if err != nil {
		t.Fatal(err)
	}
	digest, _, err := e.Auth.DigestTokens(e.ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	works := func(tok string) bool {
		_, _, err := e.Auth.ResolveReplyToken(e.ctx, tok)
		if err != nil && err != ErrBadToken {
			t.Fatal(err)
		}
		return err == nil
	}
	steps := []struct {
		name     string
		act      func()
		old, new bool // whether the first token, and one made after the step, work
	}{
		{"issued", func() {}, true, true},
		{"secret rotated, old one kept as previous", func() {
			e.Store.opts.Secret, e.Store.opts.PreviousSecret = []byte("fedcba9876543210fedcba9876543210"), e.Store.opts.Secret
		}, true, true},
		{"tokens rotated", func() {
			if _, err := e.Directory.RotateTokens(e.ctx, "cli", "bob"); err != nil {
				t.Fatal(err)
			}
		}, false, true},
		{"disabled", func() {
			if _, err := e.Directory.DisableUser(e.ctx, "cli", "bob"); err != nil {
				t.Fatal(err)
			}
		}, false, false},
		{"enabled again", func() {
			if _, err := e.Directory.EnableUser(e.ctx, "cli", "bob"); err != nil {
				t.Fatal(err)
			}
		}, false, true},
	}
	var before []string // tokens made at each earlier step
	for _, st := range steps {
		st.act()
		if got := works(old); got != st.old {
			t.Fatalf("%s: first token works = %v", st.name, got)
		}
		tok, err := e.Auth.ReplyToken(e.ctx, "design", "bob")
		if st.new != (err == nil && works(tok)) {
			t.Fatalf("%s: new token works = %v (%v)", st.name, !st.new, err)
		}
		if st.name == "enabled again" {
			for _, b := range before {
				if works(b) {
					t.Fatalf("a token made before disabling works again")
				}
			}
		}
		if err == nil {
			before = append(before, tok)
		}
	}
	if _, err := e.Auth.ResolveDigestToken(e.ctx, digest); err != ErrBadToken {
		t.Fatalf("digest token after rotation: %v", err)
	}
	if entries, _ := e.Directory.AuditLog(e.ctx, AuditFilter{}); !strings.Contains(fmt.Sprint(entries), "user.rotate-tokens") {
		t.Fatalf("audit log lacks the rotation: %+v", entries)
	}
}
