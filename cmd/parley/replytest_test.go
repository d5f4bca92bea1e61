package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReplytest(t *testing.T) {
	dir := t.TempDir()
	reply := filepath.Join(dir, "reply.eml")
	vacation := filepath.Join(dir, "vacation.eml")
	garbage := filepath.Join(dir, "garbage.eml")
	write := func(name, body string) {
		if err := os.WriteFile(name, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(reply, "From: Ann <ann@example.org>\r\nSubject: Re: plan\r\n\r\nYes, Friday works.\r\n\r\nOn Fri, 12 Jan 2024 at 10:00, Bob <bob@example.org> wrote:\r\n> Can we meet on Friday?\r\n")
	write(vacation, "From: Ann <ann@example.org>\r\nAuto-Submitted: auto-replied\r\nSubject: Out of office\r\n\r\nI am away until Monday.\r\n")
	write(garbage, "\x00\x01 not mail")

	r := parley(t, env{}, "replytest", reply, vacation)
	if r.code != 0 || r.err != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.err)
	}
	for _, want := range []string{
		"== " + reply, "class: person", "line:\n  | Yes, Friday works.\n", "cut:\n  | On Fri, 12 Jan 2024 at 10:00, Bob <bob@example.org> wrote:\n  | > Can we meet on Friday?\n",
		"== " + vacation, "class: vacation", "posted: no",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.out)
		}
	}

	missing := filepath.Join(dir, "missing.eml")
	r = parley(t, env{}, "replytest", missing, reply, garbage)
	if r.code != exitRuntime {
		t.Errorf("exit %d, want %d", r.code, exitRuntime)
	}
	if !strings.Contains(r.err, "2 of 3 files could not be read") || !strings.Contains(r.err, missing) || !strings.Contains(r.err, garbage) {
		t.Errorf("stderr %q should name both unreadable files", r.err)
	}
	if !strings.Contains(r.out, "line:\n  | Yes, Friday works.") {
		t.Errorf("the readable file was not reported:\n%s", r.out)
	}

	if r := parley(t, env{}, "replytest"); r.code != exitUsage || !strings.Contains(r.err, "missing FILE.eml") {
		t.Errorf("no file: exit %d, stderr %q", r.code, r.err)
	}
}
