package main

import (
	"strings"
	"testing"
)

// TestDataKeyConfig: the data key settings take hex and base64 keys,
// from the environment or a file, refuse anything else naming the
// variable, and never repeat the key in an error or in help.
func TestDataKeyConfig(t *testing.T) {
	const hexKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	const b64Key = "ABEiM0RVZneImaq7zN3u/wARIjNEVWZ3iJmqu8zd7v8="
	file := writeFile(t, "data.key", hexKey+"\n")
	bad := writeFile(t, "bad.key", "not a key\n")
	for _, tc := range []struct {
		name   string
		env    env
		want   string // in the error; "" for none
		keyID  string // expected key id, "" for no box
		rotate bool
	}{
		{"none", env{}, "", "", false},
		{"hex", env{"PARLEY_DATA_KEY": hexKey}, "", "set", false},
		{"base64", env{"PARLEY_DATA_KEY": b64Key}, "", "set", false},
		{"file", env{"PARLEY_DATA_KEY_FILE": file}, "", "set", false},
		{"with previous", env{"PARLEY_DATA_KEY": hexKey, "PARLEY_DATA_KEY_PREVIOUS": strings.Repeat("ab", 32)}, "", "set", true},
		{"short", env{"PARLEY_DATA_KEY": "abcdef"}, "PARLEY_DATA_KEY: a data key is 32 bytes", "", false},
		{"bad previous", env{"PARLEY_DATA_KEY": hexKey, "PARLEY_DATA_KEY_PREVIOUS": "zz"}, "PARLEY_DATA_KEY_PREVIOUS:", "", false},
		{"previous alone", env{"PARLEY_DATA_KEY_PREVIOUS": hexKey}, "PARLEY_DATA_KEY_PREVIOUS is set without PARLEY_DATA_KEY", "", false},
		{"missing file", env{"PARLEY_DATA_KEY_FILE": "/nonexistent/data.key"}, "PARLEY_DATA_KEY_FILE", "", false},
		{"bad file", env{"PARLEY_DATA_KEY_FILE": bad}, "PARLEY_DATA_KEY_FILE " + bad, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadConfig("", tc.env.get)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want one holding %q", err, tc.want)
				}
				if strings.Contains(err.Error(), hexKey) {
					t.Fatal("the error holds the key")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			box, err := c.Crypto.dataBox()
			if err != nil || (box != nil) != (tc.keyID != "") || (box.PreviousKeyID() != "") != tc.rotate {
				t.Fatalf("box %v (previous %q), %v", box != nil, box.PreviousKeyID(), err)
			}
		})
	}
	r := parley(t, env{"PARLEY_DATA_KEY": hexKey}, "help")
	if strings.Contains(r.out, hexKey) || !strings.Contains(r.out, "PARLEY_DATA_KEY_PREVIOUS") {
		t.Errorf("help shows the data key, or lacks the rotation setting")
	}
}

// TestAdminRekey: rekey needs a key; with one it seals what was stored
// in the clear and says so, and a second run finds nothing to do; the
// store then refuses to open without the key.
func TestAdminRekey(t *testing.T) {
	t.Parallel()
	e := redisEnv(t)
	ok(t, e, "user", "add", "--id", "bob", "--name", "Keeper Bob", "--email", "bob@example.org")
	if r := parley(t, e, "admin", "rekey"); r.code != 2 || !strings.Contains(r.err, "admin rekey needs PARLEY_DATA_KEY") {
		t.Errorf("rekey without a key: exit %d, %q", r.code, r.err)
	}
	keyed := e.with("PARLEY_DATA_KEY", strings.Repeat("5a", 32))
	out := ok(t, keyed, "admin", "rekey")
	if !strings.Contains(out, "redis: 100% (1/1 keys), 1 sealed again") || !strings.Contains(out, "done: 1 keys, 1 values sealed again, 0 already under") {
		t.Errorf("first rekey printed:\n%s", out)
	}
	if out := ok(t, keyed, "admin", "rekey"); !strings.Contains(out, "done: 1 keys, 0 values sealed again, 1 already under") {
		t.Errorf("second rekey printed:\n%s", out)
	}
	if out := ok(t, keyed, "user", "show", "bob"); !strings.Contains(out, "Keeper Bob") {
		t.Errorf("bob with the key:\n%s", out)
	}
	if r := parley(t, e, "user", "show", "bob"); r.code == 0 || !strings.Contains(r.err, "PARLEY_DATA_KEY is not set") {
		t.Errorf("without the key: exit %d, %q", r.code, r.err)
	}
}
