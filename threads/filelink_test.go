package threads

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestFileLinks(t *testing.T) {
	e := newEnv(t)
	e.Store.opts.Secret = []byte("0123456789abcdef0123456789abcdef")
	e.seed(t, "alice", "bob", "carol")
	e.room(t, "design", Group, "alice", "bob", "carol")
	file := Attachment{ID: strings.Repeat("ab", 32), Name: "plan.pdf", Type: "application/pdf", Size: 240 << 10}
	p, err := e.Chat.Post(e.ctx, NewLine{Room: "design", Author: "alice", Text: "the plan", Origin: FromAPI, Attachments: []Attachment{file}})
	if err != nil {
		t.Fatal(err)
	}
	ref := FileRef{Room: "design", Line: p.Line.ID, Index: 0, Member: "bob"}
	exp := e.clock.Now().Add(7 * 24 * time.Hour)
	tok, err := e.Auth.FileToken(ref, file.ID, 0, exp)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) > 80 {
		t.Errorf("token %q is %d characters; want a short one", tok, len(tok))
	}
	g, err := e.Auth.ResolveFileToken(e.ctx, tok)
	if err != nil || g.File != file || g.FileRef != ref || !g.Expires.Equal(exp.Truncate(time.Second)) {
		t.Fatalf("Resolve = %+v, %v", g, err)
	}
	// Forged: another member, another index, a flipped MAC, garbage.
	other := strings.Replace(tok, "~bob~", "~carol~", 1)
	flipped := []byte(tok)
	flipped[len(flipped)-3] ^= 1
	later, _ := fileTokenBody(ref, exp.Add(time.Hour))
	for _, bad := range []string{other, string(flipped), strings.Replace(tok, "~0~", "~1~", 1),
		later + tok[strings.LastIndex(tok, "~"):], "", "a~b", tok + "~x"} {
		if _, err := e.Auth.ResolveFileToken(e.ctx, bad); !errors.Is(err, ErrBadToken) {
			t.Errorf("Resolve(%q) = %v, want ErrBadToken", bad, err)
		}
	}
	// A token for carol opens the same file for carol only.
	ctok, _ := e.Auth.FileToken(FileRef{Room: "design", Line: p.Line.ID, Member: "carol"}, file.ID, 0, exp)
	if g, err := e.Auth.ResolveFileToken(e.ctx, ctok); err != nil || g.Member != "carol" {
		t.Fatalf("carol's link: %+v %v", g, err)
	}
	// Expired: the grant is still told, for a fresh link.
	e.clock.Add(7*24*time.Hour + time.Second)
	if g, err := e.Auth.ResolveFileToken(e.ctx, tok); !errors.Is(err, ErrLinkExpired) || g.Member != "bob" {
		t.Fatalf("expired: %+v %v", g, err)
	}
	fresh, _ := e.Auth.FileToken(ref, file.ID, 0, e.clock.Now().Add(time.Hour))
	if _, err := e.Auth.ResolveFileToken(e.ctx, fresh); err != nil {
		t.Fatalf("fresh link: %v", err)
	}
	// Rotated tokens revoke it.
	if _, err := e.Directory.RotateTokens(e.ctx, "admin", "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Auth.ResolveFileToken(e.ctx, fresh); !errors.Is(err, ErrBadToken) {
		t.Fatalf("after rotation: %v", err)
	}
	fresh, _ = e.Auth.FileToken(ref, file.ID, 1, e.clock.Now().Add(time.Hour))
	if _, err := e.Auth.ResolveFileToken(e.ctx, fresh); err != nil {
		t.Fatalf("link under the new generation: %v", err)
	}
	// Leaving the room revokes it.
	if err := e.Chat.RemoveMember(e.ctx, "design", "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Auth.ResolveFileToken(e.ctx, fresh); !errors.Is(err, ErrBadToken) {
		t.Fatalf("after leaving: %v", err)
	}
	// Disabling revokes it.
	cfresh, _ := e.Auth.FileToken(FileRef{Room: "design", Line: p.Line.ID, Member: "carol"}, file.ID, 0, e.clock.Now().Add(time.Hour))
	if _, err := e.Directory.DisableUser(e.ctx, "admin", "carol"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Auth.ResolveFileToken(e.ctx, cfresh); !errors.Is(err, ErrBadToken) {
		t.Fatalf("after disabling: %v", err)
	}
}

func TestParseFileToken(t *testing.T) {
	mac := strings.Repeat("a", 24)
	good := "design~kq2x1c3k-0~0~bob~t5x2hc~" + mac
	c, err := ParseFileToken(good)
	if err != nil || c.Room != "design" || c.Member != "bob" || c.Index != 0 || !strings.HasSuffix(c.Line, "-0") {
		t.Fatalf("Parse(good) = %+v, %v", c, err)
	}
	for _, bad := range []string{
		"", good + "~", "Design~kq2x1c3k-0~0~bob~t5x2hc~" + mac, "design~kq2x1c3k~0~bob~t5x2hc~" + mac,
		"design~kq2x1c3k-0~20~bob~t5x2hc~" + mac, "design~kq2x1c3k-0~-1~bob~t5x2hc~" + mac,
		"design~kq2x1c3k-0~0~bob~t5x2hc~" + strings.Repeat("1", 24), "design~kq2x1c3k-0~0~bob~t5x2hc~abc",
		"design~kq2x1c3k-0~0~../x~t5x2hc~" + mac, strings.Repeat("a~", 200),
	} {
		if _, err := ParseFileToken(bad); !errors.Is(err, ErrBadToken) {
			t.Errorf("Parse(%q) = %v", bad, err)
		}
	}
}

func FuzzParseFileToken(f *testing.F) {
	f.Add("design~kq2x1c3k-0~0~bob~t5x2hc~" + strings.Repeat("a", 24))
	f.Add("~~~~~")
	f.Add("a~zzzzzzzzzzzzzzzz-99999999999999999999~19~b~zzzzzzzz~" + strings.Repeat("7", 24))
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := ParseFileToken(tok)
		if err != nil {
			return
		}
		// What parses is canonical enough to be made again, and the
		// body made from it parses to the same claim.
		body, err := fileTokenBody(c.FileRef, c.Expires)
		if err != nil {
			t.Fatalf("parsed %q but cannot remake it: %v", tok, err)
		}
		again, err := ParseFileToken(body + "~" + c.mac)
		if err != nil || again.FileRef != c.FileRef || !again.Expires.Equal(c.Expires) {
			t.Fatalf("round trip of %q: %+v %v", tok, again, err)
		}
	})
}
