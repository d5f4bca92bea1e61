package threads

import (
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
