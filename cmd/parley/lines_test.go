package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"parley/internal/syncbuf"
	"parley/threads"
)

var lineIDPattern = regexp.MustCompile(`^[0-9]+-[0-9]+$`)

func TestPostAndLines(t *testing.T) {
	t.Parallel()
	e := redisEnv(t)
	seed(t, e)

	out := ok(t, e, "post", "--room", "design", "--as", "bob", "Looks good. @carol can you check?")
	got := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(got) != 3 || !lineIDPattern.MatchString(got[0]) {
		t.Fatalf("post printed\n%s", out)
	}
	first := got[0]
	if want := []string{"alice: live (online)", "carol: sms (offline, personal line)"}; strings.Join(got[1:], "|") != strings.Join(want, "|") {
		t.Errorf("routes: %q, want %q", got[1:], want)
	}
	out = ok(t, e, "post", "--room", "design", "--as", "alice", "multi", "word", "text")
	if !strings.HasSuffix(out, "\nbob: email (away)\ncarol: email (offline)\n") {
		t.Errorf("post printed\n%s", out)
	}
	var p threads.Posted
	if err := json.Unmarshal([]byte(ok(t, e, "post", "--json", "--room", "design", "--as", "alice", "line\nthree")), &p); err != nil {
		t.Fatal(err)
	}
	if p.Line.Origin != threads.FromAPI || p.Routes["bob"].Channel != threads.Email {
		t.Errorf("post --json: %+v", p)
	}

	out = ok(t, e, "lines", "--room", "design")
	linePattern := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d  (.*)$`)
	rows := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(rows) != 4 {
		t.Fatalf("lines printed\n%s", out)
	}
	var texts []string
	for i, row := range rows[:3] {
		m := linePattern.FindStringSubmatch(row)
		if m == nil {
			t.Fatalf("line %d %q is not \"YYYY-MM-DD HH:MM  Name: text\"", i, row)
		}
		texts = append(texts, m[1])
	}
	if want := "Bob Ray: Looks good. @carol can you check?|Alice: multi word text|Alice: line"; strings.Join(texts, "|") != want {
		t.Errorf("lines: %q, want %q", texts, want)
	}
	if rows[3] != strings.Repeat(" ", 18)+"three" {
		t.Errorf("continuation line %q", rows[3])
	}

	var lines []threads.Line
	if err := json.Unmarshal([]byte(ok(t, e, "lines", "--room", "design", "--after", first, "--json")), &lines); err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || lines[0].Text != "multi word text" || lines[1].Author != "alice" {
		t.Errorf("lines --after --json: %+v", lines)
	}
	out = ok(t, e, "lines", "--room", "design", "--newest", "--limit", "1")
	if !strings.Contains(out, "  Alice: line\n") || strings.Count(out, "\n") != 2 {
		t.Errorf("lines --newest --limit 1 printed\n%s", out)
	}
}

func TestTailFollowsNewLines(t *testing.T) {
	t.Parallel()
	e := redisEnv(t)
	seed(t, e)
	for i := range 25 {
		ok(t, e, "post", "--room", "design", "--as", "alice", fmt.Sprintf("old %d", i))
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncbuf.Buffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"tail", "design"}, &out, &errb, e.get) }()

	waitFor(t, "the history", 10*time.Second, func() bool { return strings.Contains(out.String(), "Alice: old 24\n") })
	history := out.String()
	if strings.Count(history, "\n") != 20 || !strings.Contains(history, "Alice: old 5\n") || strings.Contains(history, "Alice: old 4\n") {
		t.Errorf("tail history is not the last 20 lines:\n%s", history)
	}
	ok(t, e, "post", "--room", "design", "--as", "bob", "a new line")
	waitFor(t, "the new line", 10*time.Second, func() bool { return strings.Contains(out.String(), "Bob Ray: a new line\n") })

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("tail exited %d, stderr %q", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("tail did not stop when its context ended")
	}
	if n := strings.Count(out.String(), "a new line"); n != 1 {
		t.Errorf("the new line was printed %d times:\n%s", n, out.String())
	}
}

func TestIDAfter(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"2-0", "1-0", true},
		{"1-0", "1-0", false},
		{"1-1", "1-0", true},
		{"10-0", "9-5", true},
		{"9-5", "10-0", false},
	} {
		if got := idAfter(tc.a, tc.b); got != tc.want {
			t.Errorf("idAfter(%s, %s) = %v", tc.a, tc.b, got)
		}
	}
}

func TestFormatLine(t *testing.T) {
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.FixedZone("x", 3600))
	for _, tc := range []struct {
		line threads.Line
		want string
	}{
		{threads.Line{Name: "Alice", Text: "hi", Time: at}, "2025-03-04 04:06  Alice: hi\n"},
		{threads.Line{Name: "Bob", Text: "one\ntwo\n", Time: at}, "2025-03-04 04:06  Bob: one\n                  two\n"},
		{threads.Line{Name: "Eve\x1b[2J", Text: "bell\a", Time: at}, "2025-03-04 04:06  Eve\uFFFD[2J: bell\uFFFD\n"},
		{threads.Line{Name: "Dan", Text: "see", Time: at, Attachments: []threads.Attachment{{Name: "a.pdf"}}},
			"2025-03-04 04:06  Dan: see [file: a.pdf]\n"},
	} {
		if got := formatLine(tc.line); got != tc.want {
			t.Errorf("formatLine = %q, want %q", got, tc.want)
		}
	}
}
