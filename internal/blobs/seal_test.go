package blobs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"parley/internal/sealbox"
	"parley/internal/sealbox/sealboxtest"
)

func read(t *testing.T, s *Store, id string) (string, error) {
	t.Helper()
	f, _, err := s.Open(id)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := f.Seek(4, io.SeekStart); err != nil { // Range requests seek
		return "", err
	}
	b, err := io.ReadAll(f)
	return string(b), err
}

// TestSealedFiles: with a data key the content is nowhere on disk, opens
// whole (and seeks), a file stored before the key still opens, Reseal
// moves every file to the new key, and a store without the key refuses
// a sealed file instead of serving ciphertext.
func TestSealedFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const early, secret = "PLAN stored before the key", "PLAN the board never saw"
	plain, _ := New(dir, 1000)
	m0, err := plain.Put(ctx, "early.txt", "text/plain", strings.NewReader(early))
	if err != nil {
		t.Fatal(err)
	}
	k1, _ := NewSealed(dir, 1000, sealboxtest.Box(t, 1, 0))
	m1, err := k1.Put(ctx, "plan.txt", "text/plain", strings.NewReader(secret))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealboxtest.DirBytes(t, dir), []byte(secret)) {
		t.Fatal("the sealed file's content is on disk")
	}
	if _, err := k1.Put(ctx, "big", "x/y", strings.NewReader(strings.Repeat("a", 1001))); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("too large, sealed: %v", err)
	}
	cases := []struct {
		name  string
		store *Store
		id    string
		want  string
		err   error
	}{
		{"sealed file", k1, m1.ID, secret[4:], nil},
		{"file from before the key", k1, m0.ID, early[4:], nil},
		{"sealed file without the key", plain, m1.ID, "", sealbox.ErrNoKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := read(t, c.store, c.id)
			if !errors.Is(err, c.err) || got != c.want {
				t.Fatalf("read = %q, %v; want %q, %v", got, err, c.want, c.err)
			}
		})
	}

	k2 := sealboxtest.Box(t, 2, 1)
	rot, _ := NewSealed(dir, 1000, k2)
	var last ResealProgress
	p, err := rot.Reseal(ctx, func(p ResealProgress) { last = p })
	if err != nil || p.Files != 2 || p.Resealed != 2 || last != p {
		t.Fatalf("Reseal = %+v (last report %+v), %v", p, last, err)
	}
	only, _ := NewSealed(dir, 1000, sealboxtest.Box(t, 2, 0))
	for id, want := range map[string]string{m0.ID: early[4:], m1.ID: secret[4:]} {
		if got, err := read(t, only, id); err != nil || got != want {
			t.Errorf("with only the new key: %q, %v", got, err)
		}
	}
	if bytes.Contains(sealboxtest.DirBytes(t, dir), []byte(early)) {
		t.Fatal("the early file is still in the clear after Reseal")
	}
	if p, err := rot.Reseal(ctx, nil); err != nil || p.Resealed != 0 {
		t.Fatalf("second Reseal = %+v, %v", p, err)
	}
}
