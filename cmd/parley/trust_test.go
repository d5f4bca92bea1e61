package main

import (
	"context"
	"strings"
	"testing"

	"parley/threads"
)

func TestQueueUnreachable(t *testing.T) {
	t.Parallel()
	e := redisEnv(t)
	seed(t, e)
	if out := ok(t, e, "queue", "unreachable"); strings.Contains(out, "bob") {
		t.Fatalf("bob reachable by email, listed:\n%s", out)
	}
	st := openStore(t, e)
	if _, err := st.Directory.MarkEmailFailing(context.Background(), "bob", "bob@example.org"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Directory.MarkEmailFailing(context.Background(), "carol", "carol@example.org"); err != nil {
		t.Fatal(err)
	}
	out := ok(t, e, "queue", "unreachable")
	if !strings.Contains(out, "bob") || !strings.Contains(out, "email bounces, no phone") || strings.Contains(out, "carol") {
		t.Fatalf("queue unreachable:\n%s", out)
	}
	if out := ok(t, e, "user", "confirm-email", "bob"); !strings.Contains(out, "working again") {
		t.Fatalf("user confirm-email printed %q", out)
	}
	if out := ok(t, e, "queue", "unreachable"); strings.Contains(out, "bob") {
		t.Fatalf("bob still unreachable after confirm-email:\n%s", out)
	}
	if r := parley(t, e, "user", "confirm-email", "nobody"); r.code == 0 || r.err == "" {
		t.Fatalf("confirm-email of nobody: %+v", r)
	}
}

func TestUserRotateTokens(t *testing.T) {
	t.Parallel()
	e := redisEnv(t).with("PARLEY_SECRET", strings.Repeat("s", 32))
	seed(t, e)
	st := openStore(t, e)
	ctx := context.Background()
	tok, err := st.Auth.ReplyToken(ctx, "design", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if out := ok(t, e, "user", "rotate-tokens", "bob"); !strings.Contains(out, "no longer work") {
		t.Fatalf("rotate-tokens printed %q", out)
	}
	if _, _, err := st.Auth.ResolveReplyToken(ctx, tok); err != threads.ErrBadToken {
		t.Fatalf("old token after rotate-tokens: %v", err)
	}
	if r := parley(t, e, "user", "rotate-tokens"); r.code != 2 {
		t.Fatalf("rotate-tokens without an ID: %+v", r)
	}
}

// openStore opens the test's Redis as the CLI does.
func openStore(t *testing.T, e env) *threads.Store {
	t.Helper()
	b, err := openBackend(context.Background(), Config{RedisURL: e.get("PARLEY_REDIS_URL"), KeyPrefix: e.get("PARLEY_KEY_PREFIX"),
		Secret: e.get("PARLEY_SECRET")}, openOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b.store
}
