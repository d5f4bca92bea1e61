package pgp

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestAutocrypt(t *testing.T) {
	server, _ := GenerateServerKey("parley", "parley@example.org", now)
	value := FormatAutocrypt("parley@example.org", server.Public())
	a, err := ParseAutocrypt(value)
	if err != nil {
		t.Fatal(err)
	}
	if a.Addr != "parley@example.org" || a.PreferEncrypt != "mutual" || !bytes.Equal(a.KeyData, server.Public().Bytes) {
		t.Fatalf("round trip: %+v", a)
	}
	if k, err := ParsePublicKey(a.KeyData, now); err != nil || k.Fingerprint != server.Public().Fingerprint {
		t.Fatalf("keydata is not the key: %v", err)
	}
	for _, line := range strings.Split(value, " ") {
		if len(line) > 76 {
			t.Errorf("a chunk of %d characters cannot be folded", len(line))
		}
	}

	bad := []struct{ name, value string }{
		{"no addr", "keydata=AAAA"},
		{"no keydata", "addr=a@example.org"},
		{"critical unknown", "addr=a@example.org; type=1; keydata=AAAA"},
		{"twice", "addr=a@example.org; addr=b@example.org; keydata=AAAA"},
		{"bad base64", "addr=a@example.org; keydata=!!!"},
		{"no value", "addr=a@example.org; keydata"},
		{"too large", "addr=a@example.org; keydata=" + strings.Repeat("A", MaxKeyBytes*2)},
	}
	for _, c := range bad {
		if _, err := ParseAutocrypt(c.value); !errors.Is(err, ErrBadAutocrypt) {
			t.Errorf("%s: %v, want ErrBadAutocrypt", c.name, err)
		}
	}
	if a, err := ParseAutocrypt("addr=A@Example.org; _extra=1; prefer-encrypt=nopreference; keydata=AA AA"); err != nil || a.Addr != "a@example.org" || a.PreferEncrypt != "" || len(a.KeyData) != 3 {
		t.Errorf("non-critical attribute and spaces in keydata: %+v %v", a, err)
	}
}

func FuzzParseAutocrypt(f *testing.F) {
	f.Add("addr=a@example.org; prefer-encrypt=mutual; keydata=AAAA")
	f.Add("addr=; keydata=")
	f.Add(";;;=")
	f.Fuzz(func(t *testing.T, v string) {
		a, err := ParseAutocrypt(v)
		if err == nil && (a.Addr == "" || len(a.KeyData) == 0) {
			t.Fatalf("accepted %q without addr or keydata", v)
		}
		if err == nil {
			_, _ = ParsePublicKey(a.KeyData, now)
		}
	})
}

func FuzzParsePublicKey(f *testing.F) {
	bob := newMember(f, "bob@example.org")
	f.Add(bob.public.Bytes)
	f.Add([]byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParsePublicKey(data, now)
		if err == nil && (k.Fingerprint == "" || len(k.Bytes) == 0) {
			t.Fatalf("accepted a key with no fingerprint")
		}
	})
}
