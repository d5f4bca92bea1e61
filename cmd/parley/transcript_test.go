package main

import (
	"strings"
	"testing"
)

func TestTranscriptCommand(t *testing.T) {
	e := redisEnv(t)
	seed(t, e)
	ok(t, e, "post", "--room", "design", "--as", "alice", "The new header is on staging")
	ok(t, e, "post", "--room", "design", "--as", "bob", "From the clinic: looks good")

	text := ok(t, e, "transcript", "--room", "design", "--format", "text", "--tz", "Europe/Berlin")
	if !strings.HasPrefix(text, "Design\nTranscript of the whole room, times in Europe/Berlin.") ||
		!strings.Contains(text, "  Alice: The new header is on staging\n") || !strings.Contains(text, "-- end of transcript: 2 lines --") {
		t.Errorf("text transcript:\n%s", text)
	}
	html := ok(t, e, "transcript", "--room", "design")
	if !strings.HasPrefix(html, "<!DOCTYPE html>") || !strings.Contains(html, "@page { size: A4") {
		t.Errorf("html transcript:\n%.300s", html)
	}
	mbox := ok(t, e, "transcript", "--room", "design", "--format", "mbox", "--for", "bob")
	if strings.Count(mbox, "\nFrom parley@localhost ") != 1 || !strings.HasPrefix(mbox, "From parley@localhost ") ||
		!strings.Contains(mbox, "\n>From the clinic") {
		t.Errorf("mbox transcript:\n%s", mbox)
	}
	future := ok(t, e, "transcript", "--room", "design", "--format", "text", "--from", "2999-01-01")
	if !strings.Contains(future, "from 2999-01-01 00:00") || !strings.Contains(future, "0 lines") {
		t.Errorf("empty range:\n%s", future)
	}

	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"transcript", "--room", "design", "--format", "pdf"}, 2, "not html, text or mbox"},
		{[]string{"transcript", "--room", "design", "--from", "yesterday"}, 2, "not a date"},
		{[]string{"transcript", "--room", "design", "--tz", "Mars/Base"}, 2, "not a time zone"},
		{[]string{"transcript", "--room", "design", "--from", "2026-11-02", "--to", "2026-11-01"}, 2, "not after the start"},
		{[]string{"transcript"}, 2, "missing --room"},
		{[]string{"transcript", "--room", "nope"}, 1, "not found"},
		{[]string{"transcript", "--room", "design", "--for", "nobody"}, 1, "not found"},
	} {
		r := parley(t, e, tc.args...)
		if r.code != tc.code || !strings.Contains(r.err, tc.msg) {
			t.Errorf("%v: exit %d, %q", tc.args, r.code, r.err)
		}
	}
}
