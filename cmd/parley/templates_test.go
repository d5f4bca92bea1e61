package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"parley/internal/testpeers/twiliopeer"
	"parley/threads"
)

// TestTemplatesDir: one PARLEY_TEMPLATES_DIR replaces the SMS webhook's
// answers as well as the emails, and a replacement that names a field its
// text does not have stops parley serve at start-up, naming the file.
func TestTemplatesDir(t *testing.T) {
	t.Parallel()
	e := redisEnv(t)
	seed(t, e) // carol texts from +15550002222
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sms-help.txt"), []byte("Front desk: text #room and your words.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const token, public = "0123456789abcdef0123456789abcdef", "https://parley.example.org"
	cfg, err := LoadConfig("", e.with("PARLEY_TEMPLATES_DIR", dir, "TWILIO_AUTH_TOKEN", token, "PARLEY_PUBLIC_URL", public).get)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b, err := openBackend(ctx, cfg, openOptions{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	dl, err := newDispatcher(cfg, b.store, dispatcherOptions{Consumer: "t", OutboxOnly: true, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	hook, err := newSMSHook(cfg, b.store, dl.texts, dl.tmpl, log)
	if err != nil {
		t.Fatal(err)
	}
	params := url.Values{"From": {"+15550002222"}, "To": {"+15550009001"}, "Body": {"HELP"},
		"MessageSid": {"SM0123456789abcdef0123456789abcdef"}}
	req, err := twiliopeer.NewSignedRequest(ctx, token, public+"/sms/twilio", "http://127.0.0.1/sms/twilio", params)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	hook.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Fatalf("webhook answered %d %s", w.Code, w.Body)
	}
	sent, err := b.store.Queue.Outbox(ctx, "", 10)
	if err != nil || len(sent) != 1 || sent[0].Channel != threads.SMS || sent[0].Body != "Front desk: text #room and your words." {
		t.Fatalf("outbox %+v, %v; want the answer from the templates folder", sent, err)
	}

	if err := os.WriteFile(filepath.Join(dir, "sms-help.txt"), []byte("Front desk: {{.Desk}}"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := parley(t, e.with("PARLEY_TEMPLATES_DIR", dir, "PARLEY_SECRET", strings.Repeat("k", 32)), "serve")
	if r.code == 0 || !strings.Contains(r.err, "PARLEY_TEMPLATES_DIR") || !strings.Contains(r.err, "sms-help.txt") ||
		!strings.Contains(r.err, "can't evaluate field Desk") {
		t.Fatalf("serve with a bad template: exit %d, stderr %q", r.code, r.err)
	}
}
