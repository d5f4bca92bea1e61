package threads

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPostAndRead(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob")
	e.room(t, "design", Group, "alice", "bob")
	var ids []string
	for i := 1; i <= 5; i++ {
		e.clock.Add(time.Second)
		p := e.post(t, "design", "alice", fmt.Sprintf("line %d", i))
		if p.Line.Name != "User alice" || p.Line.String() != fmt.Sprintf("User alice: line %d", i) {
			t.Fatalf("posted %+v", p.Line)
		}
		ids = append(ids, p.Line.ID)
	}
	texts := func(ls []Line) string {
		var out []string
		for _, l := range ls {
			out = append(out, l.Text[5:])
		}
		return strings.Join(out, ",")
	}
	cases := []struct {
		r    Range
		want string
	}{
		{Range{}, "1,2,3,4,5"},
		{Range{Limit: 2}, "1,2"},
		{Range{After: ids[1]}, "3,4,5"},
		{Range{After: ids[1], Limit: 1}, "3"},
		{Range{Newest: true}, "5,4,3,2,1"},
		{Range{Newest: true, Limit: 2}, "5,4"},
		{Range{Newest: true, Before: ids[3], Limit: 2}, "3,2"},
		{Range{After: ids[4]}, ""},
	}
	for _, c := range cases {
		got, err := e.Chat.Lines(e.ctx, "design", c.r)
		if err != nil || texts(got) != c.want {
			t.Errorf("Lines(%+v) = %s, %v; want %s", c.r, texts(got), err, c.want)
		}
	}
	got, _ := e.Chat.Lines(e.ctx, "design", Range{Limit: 1})
	if !got[0].Time.Equal(time.Date(2026, 11, 25, 9, 0, 1, 0, time.UTC)) || got[0].Author != "alice" || got[0].Origin != FromAPI {
		t.Fatalf("first line = %+v", got[0])
	}
	if _, err := e.Chat.Lines(e.ctx, "nope", Range{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("lines of a missing room: %v", err)
	}
	if _, err := e.Chat.Lines(e.ctx, "design", Range{After: "x; DROP"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad id: %v", err)
	}
}

func TestPostRefusals(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob", "carol")
	e.room(t, "design", Group, "alice", "bob")
	cases := []struct {
		name string
		n    NewLine
		want error
	}{
		{"empty", NewLine{Room: "design", Author: "alice", Text: "  ", Origin: FromWeb}, ErrInvalid},
		{"too long", NewLine{Room: "design", Author: "alice", Text: strings.Repeat("x", MaxLineBytes+1), Origin: FromWeb}, ErrInvalid},
		{"bad utf8", NewLine{Room: "design", Author: "alice", Text: "\xff\xfe", Origin: FromWeb}, ErrInvalid},
		{"bad origin", NewLine{Room: "design", Author: "alice", Text: "hi", Origin: "fax"}, ErrInvalid},
		{"no room", NewLine{Room: "nope", Author: "alice", Text: "hi", Origin: FromWeb}, ErrNotFound},
		{"no user", NewLine{Room: "design", Author: "zed", Text: "hi", Origin: FromWeb}, ErrNotFound},
		{"not member", NewLine{Room: "design", Author: "carol", Text: "hi", Origin: FromWeb}, ErrNotMember},
	}
	for _, c := range cases {
		if _, err := e.Chat.Post(e.ctx, c.n); !errors.Is(err, c.want) {
			t.Errorf("%s: Post = %v, want %v", c.name, err, c.want)
		}
	}
	if ls, _ := e.Chat.Lines(e.ctx, "design", Range{}); len(ls) != 0 {
		t.Fatalf("refused posts stored %d lines", len(ls))
	}
	// A system line needs no membership.
	if _, err := e.Chat.Post(e.ctx, NewLine{Room: "design", Author: "carol", Text: "carol was invited", Origin: FromSystem}); err != nil {
		t.Fatal(err)
	}
}

func TestPostDedupe(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob")
	e.room(t, "design", Group, "alice", "bob")
	first, err := e.Chat.Post(e.ctx, NewLine{Room: "design", Author: "bob", Text: "yes, ship it", Origin: FromEmail,
		SourceID: "<CAF=abc@mail.gmail.com>", Quote: "> can we ship?\n-- \nBob", Attachments: []Attachment{{ID: "f1", Name: "logo.png", Type: "image/png", Size: 1234}}})
	if err != nil || first.Duplicate {
		t.Fatalf("first post: %+v %v", first, err)
	}
	again, err := e.Chat.Post(e.ctx, NewLine{Room: "design", Author: "bob", Text: "yes, ship it (resent)", Origin: FromEmail,
		SourceID: "<CAF=abc@mail.gmail.com>"})
	if err != nil || !again.Duplicate || again.Line.ID != first.Line.ID || again.Line.Text != "yes, ship it" ||
		len(again.Line.Attachments) != 1 || again.Line.Attachments[0].Name != "logo.png" || again.Line.Quote != "> can we ship?\n-- \nBob" {
		t.Fatalf("second post = %+v, %v; want the first line back", again, err)
	}
	if len(again.Routes) != 0 {
		t.Fatalf("duplicate was routed: %v", again.Routes)
	}
	other, _ := e.Chat.Post(e.ctx, NewLine{Room: "design", Author: "bob", Text: "another", Origin: FromEmail, SourceID: "<other@x>"})
	if other.Duplicate {
		t.Fatal("a different source id was taken as a duplicate")
	}
	ls, _ := e.Chat.Lines(e.ctx, "design", Range{})
	if len(ls) != 2 {
		t.Fatalf("%d lines stored, want 2", len(ls))
	}
	st, _ := e.Queue.Stats(e.ctx)
	if st.Waiting != 2 {
		t.Fatalf("%d jobs queued, want 2 (alice is offline with email; the duplicate queues nothing)", st.Waiting)
	}

	// The first line is gone (retention) while its source id is still
	// remembered: the message again is a new line, and the one after it
	// a duplicate of that.
	if err := e.redis.Client.XDel(e.ctx, e.Chat.k.lines("design"), first.Line.ID).Err(); err != nil {
		t.Fatal(err)
	}
	anew, err := e.Chat.Post(e.ctx, NewLine{Room: "design", Author: "bob", Text: "yes, ship it", Origin: FromEmail, SourceID: "<CAF=abc@mail.gmail.com>"})
	if err != nil || anew.Duplicate || anew.Line.ID == first.Line.ID {
		t.Fatalf("after the first line went: %+v, %v; want a new line", anew, err)
	}
	third, err := e.Chat.Post(e.ctx, NewLine{Room: "design", Author: "bob", Text: "yes, ship it", Origin: FromEmail, SourceID: "<CAF=abc@mail.gmail.com>"})
	if err != nil || !third.Duplicate || third.Line.ID != anew.Line.ID {
		t.Fatalf("third delivery = %+v, %v; want the new line back", third, err)
	}
	if ls, _ := e.Chat.Lines(e.ctx, "design", Range{}); len(ls) != 2 {
		t.Fatalf("%d lines stored, want 2 (another, and the new one)", len(ls))
	}
}

// TestConcurrentPosts: 50 goroutines post 200 lines each into one room;
// every line is there exactly once, and the stream order agrees with each
// writer's own order.
func TestConcurrentPosts(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 posts")
	}
	e := newEnv(t)
	e.seed(t, "alice", "bob")
	e.room(t, "design", Group, "alice", "bob")
	const writers, each = 50, 200
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				_, err := e.Chat.Post(e.ctx, NewLine{Room: "design", Author: "alice", Text: fmt.Sprintf("%d/%d", w, i), Origin: FromAPI})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	next := make([]int, writers)
	after := ""
	prevID := ""
	for {
		page, err := e.Chat.Lines(e.ctx, "design", Range{After: after, Limit: MaxPage})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, l := range page {
			if seen[l.Text] {
				t.Fatalf("line %s stored twice", l.Text)
			}
			seen[l.Text] = true
			var w, i int
			fmt.Sscanf(l.Text, "%d/%d", &w, &i)
			if i != next[w] {
				t.Fatalf("writer %d: line %d came where %d was due", w, i, next[w])
			}
			next[w]++
			if prevID != "" && compareStreamIDs(prevID, l.ID) >= 0 {
				t.Fatalf("ids out of order: %s then %s", prevID, l.ID)
			}
			prevID = l.ID
		}
		after = page[len(page)-1].ID
	}
	if len(seen) != writers*each {
		t.Fatalf("%d lines read back, want %d", len(seen), writers*each)
	}
}

func TestMentions(t *testing.T) {
	cases := map[string]string{
		"@bob can you look":           "bob",
		"thanks @Carol, and @bob.":    "carol,bob",
		"mail me at bob@example.org":  "",
		"@bob @bob":                   "bob",
		"no mentions here":            "",
		"(@dave.r) ok":                "dave.r",
		"@":                           "",
		"@@bob":                       "",
		"a@bob x_@bob .@bob":          "",
		"josé@example.org":            "",
		"—@bob":                       "bob",
		"@-bob @_x @.y":               "",
		"@bob_ @bob- hi":              "bob",
		"@" + strings.Repeat("a", 70): strings.Repeat("a", 64),
		"line\n@Eve":                  "eve",
		"@ann-@bob":                   "ann,bob", // the trimmed "-" ends ann and may start bob
		"@ann.@bob":                   "ann",     // a "." before @ never starts a mention
	}
	for text, want := range cases {
		if got := strings.Join(Mentions(text), ","); got != want {
			t.Errorf("Mentions(%q) = %q, want %q", text, got, want)
		}
	}
}

// mentionRule is the rule Mentions implements, as a regular expression
// (for ASCII text, where \w is exactly the word characters Mentions knows).
var mentionRule = regexp.MustCompile(`(?:^|[^\w@.])@([a-z0-9][a-z0-9._-]{0,63})`)

// FuzzMentions checks the scanner against the regular expression on ASCII
// text, and that it never panics on any text.
func FuzzMentions(f *testing.F) {
	for _, s := range []string{"@bob hi", "a@b.c", "(@dave.r)", "@x@y", "@bob_ @Bob", "@0-@1", "@0.@1", "@0-.@1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got := Mentions(text)
		for i := 0; i < len(text); i++ {
			if text[i] >= 0x80 {
				return // the regexp's \w is ASCII only; Mentions knows letters
			}
		}
		// The regexp's matches, each search resuming where the previous
		// id ends once trimmed: the trimmed ".-_" may be the next
		// mention's boundary ("@0-@1"). It resumes one byte early, on the
		// id's last byte, so that the boundary class sees the real byte
		// before the next @ and no ^ matches there.
		var want []string
		lowered := strings.ToLower(text)
		for k := 0; k < len(lowered); {
			from := max(k-1, 0)
			m := mentionRule.FindStringSubmatchIndex(lowered[from:])
			if m == nil {
				break
			}
			id := strings.TrimRight(lowered[from+m[2]:from+m[3]], ".-_")
			if id != "" && !slices.Contains(want, id) {
				want = append(want, id)
			}
			k = from + m[2] + max(len(id), 1)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("Mentions(%q) = %q, the rule says %q", text, got, want)
		}
	})
}

// TestPostWithAuthorName: a door that has just read the author passes the
// name, and Post stores it without reading the user again; without one,
// Post reads the user's name.
func TestPostWithAuthorName(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob")
	e.room(t, "design", Group, "alice", "bob")
	p, err := e.Chat.Post(e.ctx, NewLine{Room: "design", Author: "alice", AuthorName: "Alice from the door", Text: "hi", Origin: FromEmail})
	if err != nil {
		t.Fatal(err)
	}
	q, err := e.Chat.Post(e.ctx, NewLine{Room: "design", Author: "alice", Text: "again", Origin: FromEmail})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := e.Directory.User(e.ctx, "alice")
	if p.Line.Name != "Alice from the door" || q.Line.Name != u.Name {
		t.Errorf("names %q and %q, want the door's and %q", p.Line.Name, q.Line.Name, u.Name)
	}
}
