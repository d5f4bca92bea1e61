package blobs

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestPutOpen(t *testing.T) {
	s, err := New(t.TempDir(), 100)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Put(context.Background(), "report.pdf", "application/pdf", strings.NewReader("%PDF-1.4 hello"))
	if err != nil || m.Size != 14 || len(m.ID) != 64 || m.Name != "report.pdf" {
		t.Fatalf("Put = %+v, %v", m, err)
	}
	again, _ := s.Put(context.Background(), "copy.pdf", "application/pdf", strings.NewReader("%PDF-1.4 hello"))
	if again.ID != m.ID {
		t.Fatal("same content, different id")
	}
	f, meta, err := s.Open(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "%PDF-1.4 hello" || meta.Type != "application/pdf" {
		t.Fatalf("Open = %q %+v", b, meta)
	}
	if _, err := s.Put(context.Background(), "big", "x/y", strings.NewReader(strings.Repeat("a", 101))); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	for _, bad := range []string{"../../etc/passwd", "", strings.Repeat("0", 64)} {
		if _, _, err := s.Open(bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open(%q) = %v", bad, err)
		}
	}
}

func TestDelete(t *testing.T) {
	s, err := New(t.TempDir(), 100)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Put(context.Background(), "a.txt", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(m.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Open(m.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open after Delete = %v", err)
	}
	if err := s.Delete(m.ID); err != nil {
		t.Fatalf("second Delete = %v", err)
	}
	if err := s.Delete("../x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete(../x) = %v", err)
	}
}
