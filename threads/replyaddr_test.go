package threads

import (
	"errors"
	"strings"
	"testing"
)

func TestReplyTokens(t *testing.T) {
	e := newEnv(t)
	if _, err := e.Auth.ReplyToken(e.ctx, "design", "bob"); err == nil {
		t.Fatal("a token without a secret")
	}
	e.Store.opts.Secret = []byte("0123456789abcdef0123456789abcdef")
	tok, err := e.Auth.ReplyToken(e.ctx, "design", "bob")
	if err != nil || len(tok) != 32 {
		t.Fatalf("ReplyToken = %q, %v", tok, err)
	}
	again, _ := e.Auth.ReplyToken(e.ctx, "design", "bob")
	other, _ := e.Auth.ReplyToken(e.ctx, "design", "carol")
	if again != tok || other == tok {
		t.Fatalf("tokens: %s %s %s; want stable per member", tok, again, other)
	}
	room, member, err := e.Auth.ResolveReplyToken(e.ctx, strings.ToUpper(tok))
	if err != nil || room != "design" || member != "bob" {
		t.Fatalf("Resolve = %s %s %v", room, member, err)
	}
	forged := []byte(tok)
	forged[5] ^= 1
	for _, bad := range []string{string(forged), "short", "", tok + "x"} {
		if _, _, err := e.Auth.ResolveReplyToken(e.ctx, bad); !errors.Is(err, ErrBadToken) {
			t.Errorf("Resolve(%q) = %v, want ErrBadToken", bad, err)
		}
	}
	unsub, err := e.Auth.UnsubscribeToken(e.ctx, "design", "bob")
	if err != nil || unsub == tok {
		t.Fatalf("UnsubscribeToken = %q, %v; want a token of its own", unsub, err)
	}
	if _, _, err := e.Auth.ResolveReplyToken(e.ctx, unsub); !errors.Is(err, ErrBadToken) {
		t.Errorf("an unsubscribe token worked as a reply token: %v", err)
	}
	if r, m, err := e.Auth.ResolveUnsubscribeToken(e.ctx, unsub); err != nil || r != "design" || m != "bob" {
		t.Errorf("ResolveUnsubscribeToken = %s %s %v", r, m, err)
	}
	// A token planted in Redis under another secret does not verify.
	e.redis.Client.HSet(e.ctx, e.k.tokens(replyPurpose), strings.Repeat("a", 32), "design/bob")
	if _, _, err := e.Auth.ResolveReplyToken(e.ctx, strings.Repeat("a", 32)); !errors.Is(err, ErrBadToken) {
		t.Errorf("planted token: %v", err)
	}
}

func TestReplyAddress(t *testing.T) {
	tok := strings.Repeat("ab", 16)
	addr := ReplyAddress(tok, "parley.example")
	if addr != "reply+"+tok+"@parley.example" {
		t.Fatalf("ReplyAddress = %s", addr)
	}
	cases := []struct {
		addr string
		ok   bool
	}{
		{addr, true},
		{strings.ToUpper(addr), true},
		{"reply+" + tok + "@other.example", false},
		{"reply+short@parley.example", false},
		{"reply+" + strings.Repeat("1", 32) + "@parley.example", false}, // 1 is not base32
		{"bob@parley.example", false},
		{"not an address", false},
	}
	for _, c := range cases {
		if got, ok := ParseReplyAddress(c.addr, "parley.example"); ok != c.ok || (ok && got != tok) {
			t.Errorf("ParseReplyAddress(%q) = %q, %v", c.addr, got, ok)
		}
	}
}

func FuzzParseReplyAddress(f *testing.F) {
	f.Add("reply+" + strings.Repeat("ab", 16) + "@parley.example")
	f.Add("REPLY+@parley.example")
	f.Add("\xff@\x00")
	f.Fuzz(func(t *testing.T, addr string) {
		tok, ok := ParseReplyAddress(addr, "parley.example")
		if ok && (len(tok) != 32 || ReplyAddress(tok, "parley.example") != strings.ToLower(strings.TrimSpace(addr))) {
			t.Fatalf("ParseReplyAddress(%q) = %q", addr, tok)
		}
	})
}

func TestTokensMatchSingleCalls(t *testing.T) {
	e := newEnv(t)
	e.Store.opts.Secret = []byte("0123456789abcdef0123456789abcdef")
	reply, unsub, err := e.Auth.Tokens(e.ctx, "design", "bob")
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := e.Auth.ReplyToken(e.ctx, "design", "bob")
	u2, _ := e.Auth.UnsubscribeToken(e.ctx, "design", "bob")
	if reply != r2 || unsub != u2 {
		t.Fatalf("Tokens = %s %s, single calls %s %s", reply, unsub, r2, u2)
	}
	if _, m, err := e.Auth.ResolveUnsubscribeToken(e.ctx, unsub); err != nil || m != "bob" {
		t.Fatalf("unsubscribe token from Tokens not remembered: %v", err)
	}
}
