package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// testKeyPair is a key made for a test: its public half armored, its
// private half armored and binary (as gpg --export-secret-keys writes
// it, with and without --armor), and its fingerprint.
type testKeyPair struct {
	public, private string
	privateBinary   []byte
	fingerprint     string
}

// newTestKeyPair makes a key for name <addr>.
func newTestKeyPair(t *testing.T, name, addr string) testKeyPair {
	t.Helper()
	e, err := openpgp.NewEntity(name, "", addr, &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	var pub, priv, bin bytes.Buffer
	w, _ := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	_ = e.Serialize(w)
	_ = w.Close()
	_ = e.SerializePrivate(&bin, nil)
	w, _ = armor.Encode(&priv, openpgp.PrivateKeyType, nil)
	_, _ = w.Write(bin.Bytes())
	_ = w.Close()
	return testKeyPair{public: pub.String(), private: priv.String(), privateBinary: bin.Bytes(),
		fingerprint: fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)}
}

// writeKeyFiles writes Bob's public key (armored) and his private key to
// dir, as gpg --export and --export-secret-keys would.
func writeKeyFiles(t *testing.T, dir string) (pub, priv, fingerprint string) {
	t.Helper()
	k := newTestKeyPair(t, "Bob", "bob@example.org")
	pub, priv = filepath.Join(dir, "bob.asc"), filepath.Join(dir, "bob.key")
	if err := os.WriteFile(pub, []byte(k.public), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(priv, k.privateBinary, 0o600); err != nil {
		t.Fatal(err)
	}
	return pub, priv, k.fingerprint
}

func TestUserKeyCommands(t *testing.T) {
	t.Parallel()
	e := redisEnv(t)
	seed(t, e)
	dir := t.TempDir()
	pub, priv, fp := writeKeyFiles(t, dir)
	junk := filepath.Join(dir, "junk.txt")
	if err := os.WriteFile(junk, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}

	out := ok(t, e, "user", "key", "add", "bob", pub)
	for _, want := range []string{fp, "source:", "admin", "usable:", "goes encrypted"} {
		if !strings.Contains(out, want) {
			t.Errorf("user key add printed\n%s\nwant %q", out, want)
		}
	}
	var v keyView
	if err := json.Unmarshal([]byte(ok(t, e, "user", "key", "show", "bob", "--json")), &v); err != nil {
		t.Fatal(err)
	}
	if v.Fingerprint != fp || !v.Usable || len(v.Addresses) != 1 || v.Addresses[0] != "bob@example.org" || v.Source != "admin" {
		t.Errorf("user key show --json: %+v", v)
	}
	if out := ok(t, e, "user", "key", "show", "bob", "--armor"); !strings.HasPrefix(out, "-----BEGIN PGP PUBLIC KEY BLOCK-----") {
		t.Errorf("--armor printed %q", out)
	}

	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"private key", []string{"user", "key", "add", "bob", priv}, 2, "private key"},
		{"no file", []string{"user", "key", "add", "bob", "/nonexistent/key.asc"}, 2, "read key"},
		{"not a key", []string{"user", "key", "add", "bob", junk}, 2, "not a usable OpenPGP public key"},
		{"no such user", []string{"user", "key", "add", "zed", pub}, 1, "not found"},
		{"missing file arg", []string{"user", "key", "add", "bob"}, 2, "missing FILE"},
		{"show keyless", []string{"user", "key", "show", "alice"}, 1, "no OpenPGP key"},
		{"show unknown", []string{"user", "key", "show", "zed"}, 1, "not found"},
	} {
		r := parley(t, e, c.args...)
		if r.code != c.code || !strings.Contains(r.err, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", c.name, r.code, r.err, c.code, c.want)
		}
	}

	if out := ok(t, e, "user", "key", "remove", "bob"); !strings.Contains(out, "removed") {
		t.Errorf("remove printed %q", out)
	}
	if r := parley(t, e, "user", "key", "remove", "bob"); r.code != 1 || !strings.Contains(r.err, "no OpenPGP key") {
		t.Errorf("second remove: %+v", r)
	}
}

func TestRoomConfidentialCommands(t *testing.T) {
	t.Parallel()
	e := redisEnv(t)
	seed(t, e)
	ok(t, e, "room", "create", "--id", "board", "--name", "Board", "--members", "alice,bob", "--confidential")
	var r struct{ Confidential bool }
	if err := json.Unmarshal([]byte(ok(t, e, "room", "show", "board", "--json")), &r); err != nil || !r.Confidential {
		t.Fatalf("created room: %+v %v", r, err)
	}
	if out := ok(t, e, "room", "set", "board", "--confidential", "off"); !strings.Contains(out, "ordinary room again") {
		t.Errorf("off printed %q", out)
	}
	var after struct{ Confidential bool }
	_ = json.Unmarshal([]byte(ok(t, e, "room", "show", "board", "--json")), &after)
	if after.Confidential {
		t.Error("still confidential")
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"room", "set", "board"}, 2, "nothing to change"},
		{[]string{"room", "set", "board", "--confidential", "maybe"}, 2, "on or off"},
		{[]string{"room", "set", "nope", "--confidential", "on"}, 1, "not found"},
	} {
		if res := parley(t, e, c.args...); res.code != c.code || !strings.Contains(res.err, c.want) {
			t.Errorf("%v: %d %q", c.args, res.code, res.err)
		}
	}
}
