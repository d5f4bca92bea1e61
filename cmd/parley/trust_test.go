package main

import (
	"context"
	"strings"
	"testing"

	"parley/inbound/senderauth"
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

func TestTrustSettings(t *testing.T) {
	tests := []struct {
		env     env
		wantErr string
		check   func(Config) bool
	}{
		{env{"PARLEY_TRUSTED_RELAYS": "192.0.2.7, 2001:db8::/32,10.1.2.3/8"}, "", func(c Config) bool {
			return len(c.TrustedRelays) == 3 && c.TrustedRelays[0].String() == "192.0.2.7/32" && c.TrustedRelays[2].String() == "10.0.0.0/8"
		}},
		{env{"PARLEY_TRUSTED_RELAYS": "mx.example.org"}, "PARLEY_TRUSTED_RELAYS", nil},
		{env{"PARLEY_SMTP_RATE": "0", "PARLEY_SMTP_CONNS_PER_IP": "3"}, "", func(c Config) bool {
			return c.SMTPRate == 0 && c.SMTPConnsPerIP == 3
		}},
		{env{"PARLEY_SMTP_RATE": "-1"}, "PARLEY_SMTP_RATE", nil},
		{env{"PARLEY_BOUNCE_RETRY_AFTER": "soon"}, "PARLEY_BOUNCE_RETRY_AFTER", nil},
		{env{}, "", func(c Config) bool { return c.SenderAuth == senderauth.Prefer && c.AuthServID == "" }},
		{env{"PARLEY_SENDER_AUTH": "require", "PARLEY_AUTHSERV_ID": " MX.Example.NET"}, "", func(c Config) bool {
			return c.SenderAuth == senderauth.Require && c.AuthServID == "mx.example.net"
		}},
		{env{"PARLEY_SENDER_AUTH": "strict"}, "PARLEY_SENDER_AUTH", nil},
	}
	for _, tt := range tests {
		c, err := LoadConfig("", tt.env.get)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: err %v, want one naming %s", tt.env, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !tt.check(c) {
			t.Errorf("%v: %+v, %v", tt.env, c, err)
		}
	}
}
