package sealbox

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func mustBox(t testing.TB, cur, prev []byte) *Box {
	t.Helper()
	b, err := New(cur, prev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseKey(t *testing.T) {
	raw := testKey(7)
	cases := []struct {
		name, in string
		ok       bool
	}{
		{"hex", hex.EncodeToString(raw), true},
		{"hex with newline", hex.EncodeToString(raw) + "\n", true},
		{"base64", base64.StdEncoding.EncodeToString(raw), true},
		{"base64 raw url", base64.RawURLEncoding.EncodeToString(raw), true},
		{"short hex", hex.EncodeToString(raw[:16]), false},
		{"base64 of 31 bytes", base64.StdEncoding.EncodeToString(raw[:31]), false},
		{"words", "correct horse battery staple", false},
		{"empty", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseKey(c.in)
			if c.ok != (err == nil) {
				t.Fatalf("ParseKey(%q) error %v, want ok=%v", c.in, err, c.ok)
			}
			if c.ok && !bytes.Equal(got, raw) {
				t.Fatalf("ParseKey(%q) = %x", c.in, got)
			}
			if err != nil && strings.Contains(err.Error(), c.in) && c.in != "" {
				t.Fatalf("error repeats the key: %v", err)
			}
		})
	}
}

func TestSealOpen(t *testing.T) {
	old, cur := testKey(1), testKey(2)
	boxOld := mustBox(t, old, nil)
	boxCur := mustBox(t, cur, nil)
	boxBoth := mustBox(t, cur, old)
	secret := []byte("the launch moves to Tuesday")
	sealedOld := boxOld.Seal(secret)
	sealedCur := boxCur.Seal(secret)
	damaged := bytes.Clone(sealedCur)
	damaged[len(damaged)-1] ^= 1

	cases := []struct {
		name string
		box  *Box
		in   []byte
		want []byte
		err  error
	}{
		{"plaintext opens as itself", boxCur, []byte("plain"), []byte("plain"), nil},
		{"plaintext without a key", nil, []byte("plain"), []byte("plain"), nil},
		{"current key", boxCur, sealedCur, secret, nil},
		{"previous key opens", boxBoth, sealedOld, secret, nil},
		{"current key beside previous", boxBoth, sealedCur, secret, nil},
		{"no key for a sealed value", nil, sealedCur, nil, ErrNoKey},
		{"another key", boxCur, sealedOld, nil, ErrUnknownKey},
		{"damaged", boxCur, damaged, nil, ErrCorrupt},
		{"cut short", boxCur, sealedCur[:Overhead-1], nil, ErrCorrupt},
		{"prefix only", boxCur, []byte(prefix), nil, ErrCorrupt},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.box.Open(c.in)
			if !errors.Is(err, c.err) {
				t.Fatalf("Open error %v, want %v", err, c.err)
			}
			if !bytes.Equal(got, c.want) {
				t.Fatalf("Open = %q, want %q", got, c.want)
			}
		})
	}
	if bytes.Contains(sealedCur, secret) {
		t.Fatal("sealed value holds the plaintext")
	}
	if bytes.Equal(boxCur.Seal(secret), sealedCur) {
		t.Fatal("two seals of one value are equal: the nonce is not random")
	}
	if SealedBy(sealedCur) != boxCur.KeyID() || SealedBy(secret) != "" {
		t.Fatalf("SealedBy: %q / %q", SealedBy(sealedCur), SealedBy(secret))
	}
	if !boxBoth.Stale(sealedOld) || boxBoth.Stale(sealedCur) || !boxBoth.Stale(secret) || (*Box)(nil).Stale(sealedCur) {
		t.Fatal("Stale: wrong answer")
	}
	if got := boxCur.Seal(nil); len(got) != 0 {
		t.Fatalf("Seal(empty) = %q", got)
	}
	if s := boxCur.SealString("x"); !IsSealed(s) || len(s) != Overhead+1 {
		t.Fatalf("SealString: %q", s)
	}
}

func TestNewRefusesShortKeys(t *testing.T) {
	if _, err := New(testKey(1)[:16], nil); err == nil {
		t.Fatal("a 16-byte key was taken")
	}
	if _, err := New(testKey(1), testKey(2)[:5]); err == nil {
		t.Fatal("a 5-byte previous key was taken")
	}
	b := mustBox(t, testKey(1), testKey(1))
	if b.PreviousKeyID() != "" {
		t.Fatal("a previous key equal to the current one is kept")
	}
}

// FuzzOpen: Open reads whatever Redis or the file store holds; no input
// makes it panic, and whatever it opens it sealed itself or was plaintext.
func FuzzOpen(f *testing.F) {
	box := mustBox(f, testKey(3), testKey(4))
	prev := mustBox(f, testKey(4), nil)
	f.Add([]byte("plain text"))
	f.Add(box.Seal([]byte("sealed")))
	f.Add(prev.Seal([]byte("sealed before")))
	f.Add([]byte(prefix + "zzzzzzzz:"))
	f.Add([]byte(prefix))
	f.Fuzz(func(t *testing.T, v []byte) {
		got, err := box.Open(v)
		if !IsSealed(v) {
			if err != nil || !bytes.Equal(got, v) {
				t.Fatalf("plaintext %q: %q, %v", v, got, err)
			}
			return
		}
		if err == nil {
			again, err := box.Open(box.Seal(got))
			if err != nil || !bytes.Equal(again, got) {
				t.Fatalf("reseal round trip: %q, %v", again, err)
			}
		}
		if _, err := (*Box)(nil).Open(v); err == nil {
			t.Fatal("a nil box opened a sealed value")
		}
	})
}

// BenchmarkSealOpen: the CPU cost of one value, sealed and opened, at a
// chat line's size and at the longest line.
func BenchmarkSealOpen(b *testing.B) {
	box := mustBox(b, testKey(5), nil)
	for _, n := range []int{64, 16 << 10} {
		v := bytes.Repeat([]byte("x"), n)
		b.Run(fmt.Sprintf("bytes=%d", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				if _, err := box.Open(box.Seal(v)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
