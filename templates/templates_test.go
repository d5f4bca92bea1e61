package templates

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDefaultsParse(t *testing.T) {
	s := Default()
	if len(s.Names()) == 0 {
		t.Fatal("no templates embedded")
	}
}

func TestOverrideFromFolder(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "README.txt"), []byte("custom {{upper .}}"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Render("README.txt", "text"); err != nil || got != "custom TEXT" {
		t.Fatalf("Render = %q, %v", got, err)
	}
	if _, err := s.Render("nope.txt", nil); !errors.Is(err, ErrUnknown) {
		t.Fatalf("unknown template: %v", err)
	}

	bad := t.TempDir()
	_ = os.WriteFile(filepath.Join(bad, "typo.txt"), []byte("x"), 0o644)
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "typo.txt overrides no template") {
		t.Fatalf("a stray file: %v", err)
	}
	broken := t.TempDir()
	_ = os.WriteFile(filepath.Join(broken, "README.txt"), []byte("{{.Unclosed"), 0o644)
	if _, err := Load(broken); err == nil {
		t.Fatal("a template that does not parse was accepted")
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("a missing folder was accepted")
	}
}

func TestFuncs(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	tm := time.Date(2026, 11, 25, 9, 5, 0, 0, time.UTC)
	s := &Set{text: map[string]*textT{}, html: map[string]*htmlT{}}
	cases := []struct{ src, want string }{
		{`{{clock .T .L}}`, "10:05"},
		{`{{day .T .L}}`, "Wednesday 25 November 2026"},
		{`{{datetime .T nil}}`, "2026-11-25 09:05"},
		{`{{truncate 5 "abcdefgh"}}|{{truncate 5 "abc"}}`, "abcd…|abc"},
		{`{{plural 1 "line" "lines"}} {{plural 2 "line" "lines"}}`, "line lines"},
		{`{{indent "> " "a\nb"}}`, "> a\n> b"},
	}
	for i, c := range cases {
		name := "t" + string(rune('a'+i)) + ".txt"
		if err := s.add(name, c.src); err != nil {
			t.Fatal(err)
		}
		got, err := s.Render(name, map[string]any{"T": tm, "L": berlin})
		if err != nil || got != c.want {
			t.Errorf("%s = %q, %v; want %q", c.src, got, err, c.want)
		}
	}
	if err := s.add("x.html", `<p>{{.}}</p>`); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Render("x.html", "<b>&"); got != "<p>&lt;b&gt;&amp;</p>" {
		t.Fatalf("html not escaped: %q", got)
	}
}
