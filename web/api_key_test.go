package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

func TestAPIMyKey(t *testing.T) {
	e := newWebEnv(t, nil)
	ent, err := openpgp.NewEntity("Bob", "", "bob@example.org", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	var pub, priv bytes.Buffer
	w, _ := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	_ = ent.Serialize(w)
	_ = w.Close()
	w, _ = armor.Encode(&priv, openpgp.PrivateKeyType, nil)
	_ = ent.SerializePrivate(w, nil)
	_ = w.Close()
	fp := fmt.Sprintf("%X", ent.PrimaryKey.Fingerprint)

	st, body := e.do("bob", "GET", "/api/me/key", nil)
	e.want(http.StatusNotFound, "no_key", st, body, "no key yet")
	for _, c := range []struct {
		name   string
		body   any
		status int
		code   string
		want   string
	}{
		{"private key", map[string]string{"key": priv.String()}, http.StatusBadRequest, "bad_key", "private key"},
		{"garbage", map[string]string{"key": "hello"}, http.StatusBadRequest, "bad_key", "not a usable OpenPGP public key"},
		{"empty", map[string]string{"key": " \n"}, http.StatusBadRequest, "bad_key", "no key was sent"},
		{"too large", map[string]string{"key": strings.Repeat("A", 70<<10)}, http.StatusRequestEntityTooLarge, "too_large", "too large"},
		{"unknown field", `{"kee": "x"}`, http.StatusBadRequest, "bad_json", "unknown field"},
	} {
		st, body := e.do("bob", "PUT", "/api/me/key", c.body)
		e.want(c.status, c.code, st, body, c.name)
		if !strings.Contains(body, c.want) {
			t.Errorf("%s: %s lacks %q", c.name, body, c.want)
		}
	}

	st, body = e.do("bob", "PUT", "/api/me/key", map[string]string{"key": pub.String()})
	if st != http.StatusOK {
		t.Fatalf("PUT /api/me/key: %d %s", st, body)
	}
	var v keyView
	_ = json.Unmarshal([]byte(body), &v)
	if v.Fingerprint != fp || !v.Usable || v.Source != "member" || !strings.HasPrefix(v.Armored, "-----BEGIN PGP PUBLIC KEY BLOCK") {
		t.Errorf("PUT answered %+v", v)
	}
	if _, k, err := e.store.Directory.MemberKeyByEmail(e.ctx, "bob@example.org"); err != nil || k.Fingerprint != fp {
		t.Errorf("stored %+v %v", k, err)
	}
	if st, _ := e.do("alice", "GET", "/api/me/key", nil); st != http.StatusNotFound {
		t.Errorf("alice sees a key: %d", st)
	}
	if st, _ := e.do("", "PUT", "/api/me/key", map[string]string{"key": pub.String()}); st != http.StatusUnauthorized {
		t.Errorf("signed out: %d", st)
	}
	if st, _ := e.do("bob", "DELETE", "/api/me/key", nil); st != http.StatusNoContent {
		t.Errorf("DELETE: %d", st)
	}
	st, body = e.do("bob", "DELETE", "/api/me/key", nil)
	e.want(http.StatusNotFound, "no_key", st, body, "second delete")
}

func TestAPIAdminConfidential(t *testing.T) {
	e := newWebEnv(t, nil)
	st, body := e.do("alice", "PUT", "/api/admin/rooms/design/confidential", map[string]bool{"confidential": true})
	if st != http.StatusForbidden {
		t.Fatalf("non-admin: %d %s", st, body)
	}
	st, body = e.do("dave", "PUT", "/api/admin/rooms/design/confidential", map[string]bool{"confidential": true})
	if st != http.StatusOK || !strings.Contains(body, `"confidential":true`) {
		t.Fatalf("admin: %d %s", st, body)
	}
	st, body = e.do("dave", "PUT", "/api/admin/rooms/design/confidential", `{}`)
	e.want(http.StatusBadRequest, "invalid", st, body, "no value")
	st, body = e.do("dave", "PUT", "/api/admin/rooms/nope/confidential", map[string]bool{"confidential": true})
	if st != http.StatusNotFound {
		t.Errorf("unknown room: %d %s", st, body)
	}
}
