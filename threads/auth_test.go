package threads

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSignInToken(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob")
	tok, err := e.Auth.NewSignInToken(e.ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	// Only the hash is stored, and it expires.
	keys, _ := e.redis.Keys(e.ctx, e.redis.Prefix+"{auth}:signin:*")
	if len(keys) != 1 || strings.Contains(keys[0], tok) {
		t.Fatalf("keys = %v", keys)
	}
	if ttl := e.redis.Client.TTL(e.ctx, keys[0]).Val(); ttl <= 14*time.Minute || ttl > SignInValidity {
		t.Fatalf("ttl = %s", ttl)
	}
	// Consumed once, atomically, however many try at the same time.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := e.Auth.ConsumeSignInToken(e.ctx, tok)
			if err == nil && u.ID == "alice" {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if !errors.Is(err, ErrBadCredential) {
				t.Errorf("consume: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d sign-ins with one token", wins)
	}
	for _, bad := range []string{"", "short", strings.Repeat("a", 43), tok + "x"} {
		if _, err := e.Auth.ConsumeSignInToken(e.ctx, bad); !errors.Is(err, ErrBadCredential) {
			t.Errorf("consume %q: %v", bad, err)
		}
	}
	// Dropped tokens and disabled users do not sign in.
	tok2, _ := e.Auth.NewSignInToken(e.ctx, "bob")
	if err := e.Auth.DropSignInToken(e.ctx, tok2); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Auth.ConsumeSignInToken(e.ctx, tok2); !errors.Is(err, ErrBadCredential) {
		t.Fatalf("dropped token: %v", err)
	}
	tok3, _ := e.Auth.NewSignInToken(e.ctx, "bob")
	if _, err := e.Directory.UpdateUser(e.ctx, "bob", func(u *User) error { u.Disabled = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Auth.ConsumeSignInToken(e.ctx, tok3); !errors.Is(err, ErrDisabled) {
		t.Fatalf("disabled user: %v", err)
	}
	if _, err := e.Auth.NewSignInToken(e.ctx, "bob"); !errors.Is(err, ErrDisabled) {
		t.Fatalf("token for a disabled user: %v", err)
	}
	if _, err := e.Auth.NewSignInToken(e.ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("token for nobody: %v", err)
	}
}

func TestSessions(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice")
	tok, se, err := e.Auth.NewSession(e.ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if se.User != "alice" || len(se.CSRF) != 43 || !se.Expires.Equal(se.Created.Add(SessionLifetime)) {
		t.Fatalf("session = %+v", se)
	}
	got, err := e.Auth.Session(e.ctx, tok)
	if err != nil || got != se {
		t.Fatalf("Session = %+v, %v; want %+v", got, err, se)
	}
	if _, err := e.Auth.Session(e.ctx, se.CSRF); !errors.Is(err, ErrBadCredential) {
		t.Fatalf("the CSRF token opened a session: %v", err)
	}
	if err := e.Auth.EndSession(e.ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Auth.Session(e.ctx, tok); !errors.Is(err, ErrBadCredential) {
		t.Fatalf("after sign-out: %v", err)
	}
	if err := e.Auth.EndSession(e.ctx, "junk"); err != nil {
		t.Fatal(err)
	}
}

func TestAPITokens(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob")
	secret, tok, err := e.Auth.NewAPIToken(e.ctx, "alice", "  build bot ")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, APITokenPrefix) || tok.Name != "build bot" || tok.User != "alice" {
		t.Fatalf("token %q %+v", secret, tok)
	}
	e.clock.Add(time.Second)
	_, tok2, _ := e.Auth.NewAPIToken(e.ctx, "alice", "phone")
	got, err := e.Auth.APITokenOwner(e.ctx, secret)
	if err != nil || got != tok {
		t.Fatalf("owner = %+v, %v", got, err)
	}
	list, err := e.Auth.APITokens(e.ctx, "alice")
	if err != nil || len(list) != 2 || list[0].ID != tok.ID || list[1].ID != tok2.ID {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if l, _ := e.Auth.APITokens(e.ctx, "bob"); len(l) != 0 {
		t.Fatalf("bob's tokens = %+v", l)
	}
	// Only the owner revokes, and a revoked token stops at once.
	if err := e.Auth.RevokeAPIToken(e.ctx, "bob", tok.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bob revoked alice's token: %v", err)
	}
	if err := e.Auth.RevokeAPIToken(e.ctx, "alice", tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Auth.APITokenOwner(e.ctx, secret); !errors.Is(err, ErrBadCredential) {
		t.Fatalf("revoked token: %v", err)
	}
	for _, bad := range []string{"", secret[4:], "pat_x", "Bearer " + secret} {
		if _, err := e.Auth.APITokenOwner(e.ctx, bad); !errors.Is(err, ErrBadCredential) {
			t.Errorf("owner of %q: %v", bad, err)
		}
	}
	for _, name := range []string{"", "   ", strings.Repeat("n", 65), "a\x00b"} {
		if _, _, err := e.Auth.NewAPIToken(e.ctx, "alice", name); !errors.Is(err, ErrInvalid) {
			t.Errorf("name %q: %v", name, err)
		}
	}
	if _, _, err := e.Auth.NewAPIToken(e.ctx, "nobody", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("token for nobody: %v", err)
	}
	for i := 1; i < MaxAPITokens; i++ {
		if _, _, err := e.Auth.NewAPIToken(e.ctx, "bob", "t"); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := e.Auth.NewAPIToken(e.ctx, "bob", "t"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Auth.NewAPIToken(e.ctx, "bob", "one too many"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("token %d: %v", MaxAPITokens+1, err)
	}
}

func TestSignInNoticeLimit(t *testing.T) {
	e := newEnv(t)
	n := Notice{To: "alice@example.org", Kind: NoticeSignIn, Title: "Sign in", Link: "https://x/signin/abc"}
	for i := 1; i <= 6; i++ {
		q, err := e.Queue.QueueNotice(e.ctx, n)
		if err != nil || q != (i <= 5) {
			t.Fatalf("sign-in notice #%d queued %v, %v", i, q, err)
		}
	}
	got, err := e.Queue.ClaimNotices(e.ctx, "w", 10, time.Minute)
	if err != nil || len(got) != 5 || got[0].Link != n.Link {
		t.Fatalf("claimed %+v, %v", got, err)
	}
}
