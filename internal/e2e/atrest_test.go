package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"parley/internal/sealbox"
	"parley/internal/sealbox/sealboxtest"
	"parley/internal/testpeers/redispeer"
	"parley/internal/testpeers/twiliopeer"
	"parley/threads"
)

// redisValues reads every key under the prefix on every master by its
// type (GET, HGETALL, XRANGE, LRANGE, ZRANGE, SMEMBERS) into one text per key.
func redisValues(t *testing.T, rd *redispeer.Redis) map[string]string {
	t.Helper()
	ctx := context.Background()
	keys, err := rd.Keys(ctx, rd.Prefix+"*")
	if err != nil {
		t.Fatal(err)
	}
	c := rd.Client
	out := map[string]string{}
	for _, k := range keys {
		var b strings.Builder
		switch typ := c.Type(ctx, k).Val(); typ {
		case "string":
			b.WriteString(c.Get(ctx, k).Val())
		case "hash":
			for f, v := range c.HGetAll(ctx, k).Val() {
				fmt.Fprintf(&b, "%s=%s\n", f, v)
			}
		case "stream":
			for _, m := range c.XRange(ctx, k, "-", "+").Val() {
				for f, v := range m.Values {
					fmt.Fprintf(&b, "%s %s=%v\n", m.ID, f, v)
				}
			}
		case "list":
			b.WriteString(strings.Join(c.LRange(ctx, k, 0, -1).Val(), "\n"))
		case "zset":
			b.WriteString(strings.Join(c.ZRange(ctx, k, 0, -1).Val(), "\n"))
		case "set":
			b.WriteString(strings.Join(c.SMembers(ctx, k).Val(), "\n"))
		case "none": // expired meanwhile
		default:
			t.Fatalf("key %s has type %s, which the walk does not read", k, typ)
		}
		out[k] = b.String()
	}
	return out
}

// api calls parley's HTTP API with a bearer token.
func api(t *testing.T, p *parley, token, method, path, contentType string, body io.Reader) string {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+p.HTTP+path, body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		t.Fatalf("%s %s answered %d %s", method, path, res.StatusCode, out)
	}
	return string(out)
}

// tryParley runs a parley command with env and returns its standard
// error and exit error.
func tryParley(env []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, parleyBin, args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	return stderr.String(), err
}

// TestDataAtRest runs the real binary with PARLEY_DATA_KEY and sends a
// line through every door: the web API (a line and a file), an emailed
// reply with a quoted history and a signature, a text through the Twilio
// webhook, and a profile edit. Then every key in Redis is read by its type
// and every file on disk: no line text, quote, file content or private
// profile field is there, while the CLI reads them all back. A wrong key
// and no key stop every command at start, naming the setting; `admin
// rekey` moves the data to a new key, after which the new key alone reads it.
func TestDataAtRest(t *testing.T) {
	const (
		public = "https://parley.example.org"
		carol  = "+15550002222"
		from   = "+15550009999"
	)
	secret := map[string]string{
		"web line":   "the merger closes on Friday at noon",
		"file line":  "here is the signed term sheet",
		"file":       "TERM SHEET: 40 million, board seat, no vesting cliff",
		"email line": "agreed, but keep the price out of the minutes",
		"signature":  "Bob Ray, Director of Quiet Deals",
		"sms line":   "landing at gate 22, the lawyers are with me",
		"title":      "Head of Covert Acquisitions",
		"team":       "Project Nightjar",
		"desk":       "room 4711, second drawer",
	}
	key1, key2 := randomHex(t, 32), randomHex(t, 32)
	blobDir := t.TempDir()
	fake := twiliopeer.New(t)
	rd := redispeer.New(t)
	p := startParley(t, rd, append(trustedReplies, "TWILIO_ACCOUNT_SID="+fake.AccountSID, "TWILIO_AUTH_TOKEN="+fake.AuthToken,
		"PARLEY_SMS_FROM="+from, "PARLEY_TWILIO_API_URL="+fake.URL, "PARLEY_PUBLIC_URL="+public, "PARLEY_SMS_RATE=50",
		"PARLEY_DATA_KEY="+key1, "PARLEY_BLOB_DIR="+blobDir)...)
	if !strings.Contains(p.log.String(), "data at rest: sealed") {
		t.Errorf("serve did not say data is sealed:\n%s", p.log)
	}
	p.run(t, "user", "add", "--id", "alice", "--name", "Alice Archer", "--email", "alice@example.org")
	p.run(t, "user", "add", "--id", "bob", "--name", "Bob Ray", "--email", "bob@example.org")
	p.run(t, "user", "add", "--id", "carol", "--name", "Carol Chen", "--email", "carol@example.org", "--phone", carol)
	p.run(t, "admin", "fields", "set", "desk:Desk", "lang:Language:searchable")
	p.run(t, "room", "create", "--id", room, "--name", "Design", "--members", "alice,bob,carol")
	p.run(t, "presence", "set", "bob", "away")
	p.run(t, "presence", "set", "carol", "offline")

	raw, _ := sealbox.ParseKey(key1)
	box, err := sealbox.New(raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := threads.New(rd.Client, threads.Options{Prefix: rd.Prefix, Seal: box})
	token, _, err := st.Auth.NewAPIToken(context.Background(), "alice", "at rest")
	if err != nil {
		t.Fatal(err)
	}
	// The web: a line, then a file with a line.
	body, _ := json.Marshal(map[string]string{"text": "@bob @carol " + secret["web line"]})
	api(t, p, token, "POST", "/api/rooms/"+room+"/lines", "application/json", bytes.NewReader(body))
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	_ = mw.WriteField("text", secret["file line"])
	fw, _ := mw.CreateFormFile("file", "terms.txt")
	_, _ = fw.Write([]byte(secret["file"]))
	_ = mw.Close()
	api(t, p, token, "POST", "/api/rooms/"+room+"/files", mw.FormDataContentType(), &form)
	// A profile edit.
	prof, _ := json.Marshal(map[string]any{"profile": map[string]any{"title": secret["title"], "team": secret["team"],
		"interests": []string{"sailing"}, "fields": map[string]string{"desk": secret["desk"], "lang": "Finnish"}}})
	api(t, p, token, "PUT", "/api/me", "application/json", bytes.NewReader(prof))

	// Email: bob answers his relay, quoting it, with a signature.
	rel := parseRelayed(t, p.waitEmail(t, "bob@example.org", secret["web line"], mailWait).Body)
	msg := plainReply(t, reply{From: "Bob Ray <bob@example.org>", To: rel.ReplyTo, MessageID: "<rest-" + randomHex(t, 6) + "@example.org>",
		Typed: secret["email line"], Signature: secret["signature"]}, rel, "")
	if err := sendPlain(p.SMTP, "bob@example.org", rel.ReplyTo, string(msg)); err != nil {
		t.Fatalf("bob's reply: %v", err)
	}
	// SMS: carol answers her text.
	waitFor(t, mailWait, "carol's text", func() bool { return len(textsTo(fake, carol, secret["web line"])) == 1 })
	code, twiml, err := postWebhook(p, public, fake.AuthToken, "/sms/twilio", fake.InboundParams(carol, from, secret["sms line"]))
	if err != nil || code != http.StatusOK {
		t.Fatalf("carol's text answered %d %s (%v)", code, twiml, err)
	}
	// The CLI, with the key, reads everything back.
	waitFor(t, mailWait, "every line", func() bool { return len(p.lines(t, room)) == 4 })
	texts := map[string]string{}
	for _, l := range p.lines(t, room) {
		texts[l.Author+" "+l.Origin] = l.Text
		if l.Author == "bob" && !strings.Contains(l.Quote, secret["signature"]) {
			t.Errorf("bob's quote read back as %q", l.Quote)
		}
	}
	if texts["bob email"] != secret["email line"] || texts["carol sms"] != secret["sms line"] {
		t.Errorf("lines read back: %v", texts)
	}
	p.waitEmail(t, "bob@example.org", secret["sms line"], mailWait) // relays, in the outbox, are sealed too

	walk := func(when string) {
		t.Helper()
		for k, v := range redisValues(t, rd) {
			for what, s := range secret {
				if strings.Contains(v, s) {
					t.Errorf("%s: %s is in Redis at %s", when, what, k)
				}
			}
		}
		if bytes.Contains(sealboxtest.DirBytes(t, blobDir), []byte(secret["file"])) {
			t.Errorf("%s: the file's content is on disk", when)
		}
	}
	walk("sealed")
	p.stop(t, key1, fake.AuthToken)

	env := func(kv ...string) []string { return append(append([]string(nil), p.env...), kv...) }
	wrong := randomHex(t, 32)
	for _, c := range []struct {
		name string
		env  []string
		want string
	}{
		{"wrong key", env("PARLEY_DATA_KEY=" + wrong), "PARLEY_DATA_KEY is key"},
		{"no key", env("PARLEY_DATA_KEY="), "PARLEY_DATA_KEY is not set"},
		{"new key alone", env("PARLEY_DATA_KEY=" + key2), "PARLEY_DATA_KEY_PREVIOUS"},
	} {
		for _, args := range [][]string{{"serve"}, {"lines", "--room", room}} {
			stderr, err := tryParley(c.env, args...)
			if err == nil || !strings.Contains(stderr, c.want) {
				t.Errorf("%s: parley %s: %v, stderr %q; want a failure naming %q", c.name, args[0], err, stderr, c.want)
			}
			if strings.Contains(stderr, wrong) || strings.Contains(stderr, key1) {
				t.Errorf("%s: the error shows a key", c.name)
			}
		}
	}

	// Rotation: the new key with the old as previous, rekey, then the new key alone.
	p.env = env("PARLEY_DATA_KEY="+key2, "PARLEY_DATA_KEY_PREVIOUS="+key1)
	out := p.run(t, "admin", "rekey")
	if !strings.Contains(out, "100%") || !strings.Contains(out, "done:") || strings.Contains(out, key2) {
		t.Errorf("rekey printed:\n%s", out)
	}
	t.Logf("rekey:\n%s", out)
	p.env = env("PARLEY_DATA_KEY=" + key2)
	ls := p.lines(t, room)
	if len(ls) != 4 || ls[2].Text != secret["email line"] {
		t.Errorf("with only the new key: %+v", ls)
	}
	walk("rekeyed")
	again := p.run(t, "admin", "rekey")
	if !strings.Contains(again, " 0 values sealed again") || !strings.Contains(again, "0 sealed again") {
		t.Errorf("a second rekey did something:\n%s", again)
	}
}
