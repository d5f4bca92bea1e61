package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"parley/internal/pgp"
	"parley/threads"
)

// testKey is a key made for a test: its entity, and its public half
// armored and binary.
type testKey struct {
	entity  *openpgp.Entity
	armored string
	binary  []byte
	fpr     string
}

// makeKey makes a key for addr, made at made and living lifetime (0:
// forever).
func makeKey(t *testing.T, addr string, made time.Time, lifetime time.Duration) testKey {
	t.Helper()
	c := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return made },
		KeyLifetimeSecs: uint32(lifetime / time.Second)}
	e, err := openpgp.NewEntity("Test", "", addr, c)
	if err != nil {
		t.Fatal(err)
	}
	var bin, arm bytes.Buffer
	if err := e.Serialize(&bin); err != nil {
		t.Fatal(err)
	}
	w, _ := armor.Encode(&arm, openpgp.PublicKeyType, nil)
	_, _ = w.Write(bin.Bytes())
	_ = w.Close()
	return testKey{entity: e, armored: arm.String(), binary: bin.Bytes(), fpr: fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)}
}

// private is the key's private half, armored or binary.
func (k testKey) private(t *testing.T, armored bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	if !armored {
		if err := k.entity.SerializePrivate(&buf, nil); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	w, _ := armor.Encode(&buf, openpgp.PrivateKeyType, nil)
	if err := k.entity.SerializePrivate(w, nil); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	return buf.Bytes()
}

// postKey sends the Encryption section's upload form: file as the chosen
// key file (none when nil) and paste as the pasted text.
func (b *browser) postKey(t *testing.T, base, csrf string, file []byte, paste string) (*http.Response, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf", csrf)
	fw, _ := mw.CreateFormFile("keyfile", "key.asc")
	_, _ = fw.Write(file)
	_ = mw.WriteField("key", paste)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", base+"/me/key", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.send(t, req)
}

// TestKeySection: the profile page's Encryption section takes a key as a
// file or pasted, refuses what is not one usable public key (saying why,
// keeping and logging nothing of it), shows the key and removes it; a
// form without the CSRF token does nothing, and one member's forms touch
// only their own key.
func TestKeySection(t *testing.T) {
	var logs bytes.Buffer
	server := makeKey(t, "parley@parley.test", time.Now(), 0)
	serverPub, err := pgp.ParsePublicKey(server.binary, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	e := newWebEnv(t, func(o *Options) {
		o.Log = slog.New(slog.NewTextHandler(&logs, nil))
		o.ServerKey = func(context.Context) (*pgp.PublicKey, error) { return serverPub, nil }
	})
	now := time.Now()
	mine := makeKey(t, "Bob@Example.org", now.Add(-time.Hour), 0)
	other := makeKey(t, "someone@elsewhere.example", now.Add(-time.Hour), 0)
	expired := makeKey(t, "bob@example.org", now.Add(-48*time.Hour), time.Hour)
	revoked := makeKey(t, "bob@example.org", now.Add(-time.Hour), 0)
	if err := revoked.entity.RevokeKey(packet.KeyCompromised, "lost", nil); err != nil {
		t.Fatal(err)
	}
	var rb, ra bytes.Buffer
	_ = revoked.entity.Serialize(&rb)
	w, _ := armor.Encode(&ra, openpgp.PublicKeyType, nil)
	_, _ = w.Write(rb.Bytes())
	_ = w.Close()
	privArmored, privBinary := mine.private(t, true), mine.private(t, false)

	bob := e.browser("bob")
	stored := func() string {
		k, err := e.store.Directory.MemberKey(e.ctx, "bob")
		if errors.Is(err, threads.ErrNotFound) {
			return ""
		}
		if err != nil {
			t.Fatal(err)
		}
		return k.Fingerprint
	}
	for _, c := range []struct {
		name   string
		file   []byte
		paste  string
		status int
		want   string // in the page's text; for 303, the redirect
		key    string // stored fingerprint afterwards
	}{
		{"nothing", nil, "  ", 400, "Choose a key file or paste a key first", ""},
		{"private key pasted", nil, string(privArmored), 400, "This is a private key. parley did not keep it. Never give your private key", ""},
		{"private key file", privBinary, "", 400, "parley did not keep it", ""},
		{"garbage", nil, "hello, this is my key", 400, "That is not an OpenPGP public key parley can read", ""},
		{"too large", nil, "-----BEGIN PGP PUBLIC KEY BLOCK-----\n" + strings.Repeat("A", pgp.MaxKeyBytes), 413, "The key is too large", ""},
		{"expired", expired.binary, "", 400, "That key has no encryption key valid today", ""},
		{"revoked", nil, ra.String(), 400, "That key is revoked", ""},
		{"armored file", []byte(mine.armored), "", 303, "/me?key=set#encryption", mine.fpr},
		{"pasted, replacing it", nil, other.armored, 303, "/me?key=set#encryption", other.fpr},
		{"file wins over the paste", mine.binary, "garbage", 303, "/me?key=set#encryption", mine.fpr},
		{"refused keeps the key", nil, string(privArmored), 400, "parley did not keep it", mine.fpr},
	} {
		res, page := bob.postKey(t, e.srv.URL, bob.csrf, c.file, c.paste)
		got := text(page)
		if c.status == 303 {
			got = res.Header.Get("Location")
		}
		if res.StatusCode != c.status || !strings.Contains(got, c.want) {
			t.Errorf("%s: %d %q, want %d with %q", c.name, res.StatusCode, got, c.status, c.want)
		}
		if fp := stored(); fp != c.key {
			t.Errorf("%s: stored key %q, want %q", c.name, fp, c.key)
		}
		if c.status != 303 && (strings.Contains(page, "PRIVATE KEY BLOCK") || strings.Contains(page, "hello, this is my key")) {
			t.Errorf("%s: the refused key is shown again", c.name)
		}
	}
	if l := logs.String(); strings.Contains(l, "PRIVATE") || strings.Contains(l, string(privArmored[40:80])) || !strings.Contains(l, "why=private") {
		t.Errorf("the log holds the private key or not its refusal:\n%s", l)
	}

	_, page := bob.fetch(t, "GET", e.srv.URL+"/me?key=set", nil)
	want := []string{"Your key is set", strings.Join(fingerprintGroups(mine.fpr), " "), "bob@example.org", "you uploaded it",
		"yes: mail to you is encrypted", "Remove my key", strings.Join(fingerprintGroups(server.fpr), " "), "Download parley.asc"}
	for _, w := range want {
		if !strings.Contains(text(page), w) {
			t.Errorf("profile lacks %q:\n%s", w, text(page))
		}
	}
	if strings.Contains(page, `id="key-warning"`) {
		t.Error("a key with the member's address is warned about")
	}
	// A key naming none of the member's addresses is kept, with a warning
	// (the API's rule, keyIsYours).
	if res, _ := bob.postKey(t, e.srv.URL, bob.csrf, nil, other.armored); res.StatusCode != 303 {
		t.Fatalf("other's key: %d", res.StatusCode)
	}
	if _, page = bob.fetch(t, "GET", e.srv.URL+"/me", nil); !strings.Contains(text(page), "None of this key’s addresses is one of yours (bob@example.org)") {
		t.Errorf("no warning for a key of someone else's address:\n%s", text(page))
	}
	if st, body := e.do("bob", "GET", "/api/me/key", nil); st != 200 || !strings.Contains(body, `"yours":false`) {
		t.Errorf("API: %d %s", st, body)
	}

	// CSRF, and another member's forms.
	if res, _ := bob.postKey(t, e.srv.URL, "", []byte(mine.armored), ""); res.StatusCode != http.StatusForbidden || stored() != other.fpr {
		t.Errorf("upload without CSRF: %d, stored %s", res.StatusCode, stored())
	}
	if res, _ := bob.fetch(t, "POST", e.srv.URL+"/me/key/remove", url.Values{"csrf": {"wrong"}}); res.StatusCode != http.StatusForbidden || stored() != other.fpr {
		t.Errorf("remove without CSRF: %d, stored %s", res.StatusCode, stored())
	}
	alice := e.browser("alice")
	if res, _ := alice.fetch(t, "POST", e.srv.URL+"/me/key/remove", url.Values{"csrf": {bob.csrf}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("alice with bob's token: %d", res.StatusCode)
	}
	if res, _ := alice.fetch(t, "POST", e.srv.URL+"/me/key/remove", url.Values{"csrf": {alice.csrf}}); res.StatusCode != 303 || stored() != other.fpr {
		t.Errorf("alice's remove touched bob's key: %d, stored %s", res.StatusCode, stored())
	}
	if res, _ := alice.postKey(t, e.srv.URL, alice.csrf, []byte(mine.armored), ""); res.StatusCode != 303 || stored() != other.fpr {
		t.Errorf("alice's upload touched bob's key: %d, stored %s", res.StatusCode, stored())
	}

	res, _ := bob.fetch(t, "POST", e.srv.URL+"/me/key/remove", url.Values{"csrf": {bob.csrf}})
	if res.StatusCode != 303 || res.Header.Get("Location") != "/me?key=removed#encryption" || stored() != "" {
		t.Errorf("remove: %d %s, stored %q", res.StatusCode, res.Header.Get("Location"), stored())
	}
	if _, page = bob.fetch(t, "GET", e.srv.URL+"/me?key=removed", nil); !strings.Contains(text(page), "Your key is removed") || !strings.Contains(text(page), "You have no key set.") {
		t.Errorf("after removing:\n%s", text(page))
	}
}

// TestServerKeyEndpoints: parley's public key is public and cacheable at
// /parley.asc (armored) and /api/key (JSON), and 404 when parley has none.
func TestServerKeyEndpoints(t *testing.T) {
	server := makeKey(t, "parley@parley.test", time.Now(), 0)
	pub, err := pgp.ParsePublicKey(server.binary, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	with := newWebEnv(t, func(o *Options) {
		o.ServerKey = func(context.Context) (*pgp.PublicKey, error) { return pub, nil }
	})
	without := newWebEnv(t, nil)
	res, err := http.Get(with.srv.URL + "/parley.asc")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	got, err := pgp.ParsePublicKey(body, time.Now())
	if res.StatusCode != 200 || err != nil || got.Fingerprint != server.fpr ||
		res.Header.Get("Content-Type") != "application/pgp-keys" || !strings.HasPrefix(res.Header.Get("Cache-Control"), "public") {
		t.Errorf("/parley.asc: %d %v %v", res.StatusCode, res.Header, err)
	}
	st, js := with.do("", "GET", "/api/key", nil)
	var v serverKeyView
	if err := json.Unmarshal([]byte(js), &v); st != 200 || err != nil || v.Fingerprint != server.fpr || !strings.Contains(v.Armored, "PUBLIC KEY BLOCK") {
		t.Errorf("/api/key: %d %s", st, js)
	}
	st, js = without.do("", "GET", "/api/key", nil)
	without.want(404, "no_key", st, js, "/api/key without a key")
	if res, err := http.Get(without.srv.URL + "/parley.asc"); err != nil || res.StatusCode != 404 {
		t.Errorf("/parley.asc without a key: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	b := without.browser("bob")
	if _, page := b.fetch(t, "GET", without.srv.URL+"/me", nil); !strings.Contains(text(page), "parley has no key of its own here") {
		t.Errorf("profile without parley's key:\n%s", text(page))
	}
}

// TestRoomPageConfidential: a confidential room says so, and tells a
// member without a usable key why they get notices.
func TestRoomPageConfidential(t *testing.T) {
	e := newWebEnv(t, nil)
	if err := e.store.Chat.SetConfidential(e.ctx, "design", true); err != nil {
		t.Fatal(err)
	}
	bob := e.browser("bob")
	_, page := bob.fetch(t, "GET", e.srv.URL+"/rooms/design", nil)
	if !strings.Contains(text(page), "Confidential: lines leave parley only in encrypted email") || !strings.Contains(page, `href="/me#encryption"`) {
		t.Errorf("keyless member:\n%s", text(page))
	}
	k := makeKey(t, "bob@example.org", time.Now().Add(-time.Hour), 0)
	if res, _ := bob.postKey(t, e.srv.URL, bob.csrf, nil, k.armored); res.StatusCode != 303 {
		t.Fatalf("upload: %d", res.StatusCode)
	}
	_, page = bob.fetch(t, "GET", e.srv.URL+"/rooms/design", nil)
	if !strings.Contains(text(page), "Confidential:") || strings.Contains(page, `href="/me#encryption"`) {
		t.Errorf("member with a key:\n%s", text(page))
	}
	if _, page = bob.fetch(t, "GET", e.srv.URL+"/rooms/other", nil); strings.Contains(page, `id="confidential"`) {
		t.Error("an ordinary room says it is confidential")
	}
}
