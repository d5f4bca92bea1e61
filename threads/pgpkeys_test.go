package threads

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestMemberKeys(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "bob")
	ctx := e.ctx
	key := func(fp string, at time.Time) MemberKey {
		return MemberKey{Key: []byte("key " + fp), Fingerprint: fp, Addr: "bob@example.org", Updated: at}
	}
	t0 := e.clock.Now()

	if _, _, err := e.Directory.MemberKeyByEmail(ctx, "bob@example.org"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no key yet: %v", err)
	}
	if _, _, err := e.Directory.MemberKeyByEmail(ctx, "nobody@example.org"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no such member: %v", err)
	}
	if err := e.Directory.SetMemberKey(ctx, "ghost", key("A", t0)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("key for a member who does not exist: %v", err)
	}

	// Autocrypt: the latest header wins, an older one does not.
	steps := []struct {
		fp     string
		at     time.Time
		stored bool
		want   string
	}{
		{"A", t0.Add(-3 * time.Hour), true, "A"},
		{"B", t0.Add(-time.Hour), true, "B"},
		{"C", t0.Add(-2 * time.Hour), false, "B"},
		{"D", t0.Add(-time.Hour), true, "D"},
	}
	for _, s := range steps {
		ok, err := e.Directory.LearnMemberKey(ctx, "bob", key(s.fp, s.at))
		if err != nil || ok != s.stored {
			t.Fatalf("learn %s: stored %v, %v; want %v", s.fp, ok, err, s.stored)
		}
		id, k, err := e.Directory.MemberKeyByEmail(ctx, "BOB@example.org")
		if err != nil || id != "bob" || k.Fingerprint != s.want || k.Source != KeyFromAutocrypt {
			t.Fatalf("after %s: %s %+v %v, want %s", s.fp, id, k, err, s.want)
		}
	}
	// A date in the future counts as now: it cannot lock out the next
	// real header.
	if ok, _ := e.Directory.LearnMemberKey(ctx, "bob", key("F", t0.Add(48*time.Hour))); !ok {
		t.Fatal("future-dated header not taken")
	}
	e.clock.Add(time.Minute)
	if ok, _ := e.Directory.LearnMemberKey(ctx, "bob", key("G", e.clock.Now())); !ok {
		t.Fatal("the next real header lost to a future-dated one")
	}

	// A key set by hand is never replaced by a header.
	if err := e.Directory.SetMemberKey(ctx, "bob", MemberKey{Key: []byte("k"), Fingerprint: "H", Source: KeyFromAdmin}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := e.Directory.LearnMemberKey(ctx, "bob", key("I", t0.Add(100*time.Hour))); ok {
		t.Fatal("a header replaced the admin's key")
	}
	if k, _ := e.Directory.MemberKey(ctx, "bob"); k.Fingerprint != "H" {
		t.Fatalf("key %+v", k)
	}
	if ok, err := e.Directory.RemoveMemberKey(ctx, "bob"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if _, err := e.Directory.MemberKey(ctx, "bob"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removed: %v", err)
	}
}

func TestServerKeySealed(t *testing.T) {
	e := newEnv(t)
	with := func(secret, previous string) *Auth {
		return New(e.redis.Client, Options{Prefix: e.redis.Prefix, Secret: []byte(secret), PreviousSecret: []byte(previous)}).Auth
	}
	made := 0
	gen := func() ([]byte, error) { made++; return []byte("the key pair"), nil }

	a := with("secret-one-secret-one-secret-one", "")
	k1, err := a.ServerKey(e.ctx, gen)
	if err != nil || string(k1) != "the key pair" || made != 1 {
		t.Fatalf("first start: %q %v, generated %d", k1, err, made)
	}
	if k, err := a.ServerKey(e.ctx, gen); err != nil || !bytes.Equal(k, k1) || made != 1 {
		t.Fatalf("second start generated again or lost the key: %v", err)
	}
	raw, _ := e.redis.Client.Get(e.ctx, e.redis.Prefix+"{parley}:pgpkey").Bytes()
	if len(raw) == 0 || bytes.Contains(raw, k1) {
		t.Fatalf("stored in the clear: %q", raw)
	}

	// A wrong secret fails loudly; a rotation re-seals.
	if _, err := with("another-secret-another-secret-xx", "").ServerKey(e.ctx, gen); !errors.Is(err, ErrSealedKey) {
		t.Fatalf("wrong secret: %v", err)
	}
	rotated := with("secret-two-secret-two-secret-two", "secret-one-secret-one-secret-one")
	if k, err := rotated.ServerKey(e.ctx, gen); err != nil || !bytes.Equal(k, k1) {
		t.Fatalf("rotation: %v", err)
	}
	if k, err := with("secret-two-secret-two-secret-two", "").ServerKey(e.ctx, gen); err != nil || !bytes.Equal(k, k1) {
		t.Fatalf("after rotation, without the previous secret: %v", err)
	}
	if _, err := with("", "").ServerKey(e.ctx, gen); err == nil {
		t.Fatal("no secret: no error")
	}
}

func TestConfidentialRoom(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob")
	r, err := e.Chat.CreateRoom(e.ctx, Room{ID: "secret", Name: "Secret", Members: []string{"alice", "bob"}, Confidential: true})
	if err != nil || !r.Confidential {
		t.Fatalf("create: %+v %v", r, err)
	}
	if got, _ := e.Chat.Room(e.ctx, "secret"); !got.Confidential {
		t.Fatal("read back: not confidential")
	}
	if err := e.Chat.SetConfidential(e.ctx, "secret", false); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.Chat.Room(e.ctx, "secret"); got.Confidential {
		t.Fatal("still confidential")
	}
	if err := e.Chat.SetConfidential(e.ctx, "nope", true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown room: %v", err)
	}
}
