package pgpmime

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// identity "encrypts" by armoring nothing: enough to test the MIME.
func fakeEncrypt(plain []byte) ([]byte, error) {
	return []byte("-----BEGIN PGP MESSAGE-----\n\n" + strings.ToUpper(string(bytes.ReplaceAll(plain, []byte("\r\n"), []byte("|")))) + "\n-----END PGP MESSAGE-----\n"), nil
}

const plainMsg = "DKIM-Signature: v=1; a=ed25519-sha256;\r\n b=abc\r\nFrom: parley@example.org\r\nTo: bob@example.org\r\n" +
	"Subject: [Design] chat in Design\r\nMessage-ID: <m1@example.org>\r\nList-Id: <design.example.org>\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nhello\r\n"

func TestWrapUnwrap(t *testing.T) {
	var inner []byte
	out, err := Wrap([]byte(plainMsg), func(p []byte) ([]byte, error) { inner = p; return fakeEncrypt(p) })
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{"Subject: [parley] message\r\n", "List-Id: <design.example.org>\r\n", "Message-ID: <m1@example.org>\r\n",
		"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";", "Version: 1\r\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("outer lacks %q", want)
		}
	}
	for _, not := range []string{"DKIM-Signature", "chat in Design", "quoted-printable", "hello"} {
		if strings.Contains(s, not) {
			t.Errorf("outer holds %q", not)
		}
	}
	if !strings.HasPrefix(string(inner), "Content-Type: text/plain; charset=utf-8; protected-headers=\"v1\"\r\nContent-Transfer-Encoding: quoted-printable\r\nFrom:") ||
		!strings.Contains(string(inner), "Subject: [Design] chat in Design\r\n") || strings.Contains(string(inner), "DKIM") || !strings.HasSuffix(string(inner), "\r\n\r\nhello\r\n") {
		t.Errorf("inner:\n%s", inner)
	}
	if !IsEncrypted(out) || IsEncrypted([]byte(plainMsg)) {
		t.Error("IsEncrypted")
	}

	// Unwrap with a decrypt that gives back the inner entity.
	back, err := Unwrap(out, func(ct []byte) ([]byte, error) { return inner, nil })
	if err != nil {
		t.Fatal(err)
	}
	b := string(back)
	if !strings.Contains(b, "Subject: [Design] chat in Design\r\n") || strings.Contains(b, "[parley] message") ||
		!strings.Contains(b, "Content-Transfer-Encoding: quoted-printable\r\n") || !strings.HasSuffix(b, "\r\n\r\nhello\r\n") ||
		strings.Count(b, "From:") != 1 {
		t.Errorf("unwrapped:\n%s", b)
	}
}

func TestUnwrapRefuses(t *testing.T) {
	hdr := "From: bob@example.org\r\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b\"\r\n\r\n"
	never := func([]byte) ([]byte, error) { return []byte("Content-Type: text/plain\r\n\r\nx"), nil }
	cases := map[string]string{
		"no boundary":  "From: a@b\r\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"\r\n\r\nx",
		"one part":     hdr + "--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n--b--\r\n",
		"three parts":  hdr + "--b\r\n\r\nVersion: 1\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n--b\r\n\r\ny\r\n--b--\r\n",
		"unterminated": hdr + "--b\r\n\r\nVersion: 1\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\nx",
	}
	for name, msg := range cases {
		if _, err := Unwrap([]byte(msg), never); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
	if _, err := Unwrap([]byte(plainMsg), never); !errors.Is(err, ErrNotEncrypted) {
		t.Errorf("plain: %v", err)
	}
	headerless := hdr + "--b\r\n\r\nVersion: 1\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n--b--\r\n"
	if _, err := Unwrap([]byte(headerless), func([]byte) ([]byte, error) { return []byte("no header at all"), nil }); !errors.Is(err, ErrMalformed) {
		t.Errorf("decrypted part without header: %v", err)
	}
}

func FuzzUnwrap(f *testing.F) {
	out, _ := Wrap([]byte(plainMsg), fakeEncrypt)
	f.Add(out)
	f.Add([]byte(plainMsg))
	f.Fuzz(func(t *testing.T, msg []byte) {
		got, err := Unwrap(msg, func(ct []byte) ([]byte, error) { return ct, nil })
		if err == nil && len(got) == 0 {
			t.Fatal("empty message without error")
		}
		_, _ = Wrap(msg, fakeEncrypt)
	})
}

// TestLookup: lookup reads a field as split and get do, for the cases
// where a header is odd.
func TestLookup(t *testing.T) {
	for _, msg := range []string{
		plainMsg,
		"Content-Type: multipart/encrypted;\r\n protocol=\"application/pgp-encrypted\";\r\n\tboundary=b\r\n\r\nbody",
		" Content-Type: text/plain\r\nSubject: a leading space\r\n\r\n",
		"Subject: x\r\ncontent-type : text/html\r\nContent-Type: text/plain\r\n\r\n",
		"Subject: x\nContent-Type: text/plain\n \n\nbody",
		"Subject: no body, no end",
		"Content-Type: text/plain",
		"Subject: x\r\n\r\nContent-Type: text/html\r\n",
		"",
	} {
		if got, want := lookup([]byte(msg), "Content-Type"), get(fieldsOf(msg), "Content-Type"); got != want {
			t.Errorf("lookup(%q) = %q, get(split) = %q", msg, got, want)
		}
	}
}

func fieldsOf(msg string) []field {
	fields, _ := split([]byte(msg))
	return fields
}

func FuzzLookup(f *testing.F) {
	f.Add([]byte(plainMsg), "Content-Type")
	f.Add([]byte(" a: b\r\n\tc\r\nA: d\r\n\r\n"), "a")
	f.Fuzz(func(t *testing.T, msg []byte, name string) {
		fields, _ := split(msg)
		if got, want := lookup(msg, name), get(fields, name); got != want {
			t.Fatalf("lookup = %q, get(split) = %q", got, want)
		}
	})
}
