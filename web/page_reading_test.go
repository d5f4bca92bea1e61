package web

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"parley/threads"
)

func TestRichText(t *testing.T) {
	tests := []struct{ text, me, want string }{
		{"plain <b>bold</b> & more", "alice", "plain &lt;b&gt;bold&lt;/b&gt; &amp; more"},
		{"see https://example.org/a?b=1&c=2.", "alice",
			`see <a href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer" target="_blank">https://example.org/a?b=1&amp;c=2</a>.`},
		{`https://x.org/"onmouseover="alert(1)`, "", `<a href="https://x.org/" rel="noopener noreferrer" target="_blank">https://x.org/</a>&#34;onmouseover=&#34;alert(1)`},
		{"javascript:alert(1) and (https://example.org)", "", `javascript:alert(1) and (<a href="https://example.org" rel="noopener noreferrer" target="_blank">https://example.org</a>)`},
		{"@Alice look, @alice2 no, bob@alice no, @alice.", "alice", `<mark class="me">@Alice</mark> look, @alice2 no, bob@alice no, <mark class="me">@alice</mark>.`},
		{"@bob hi", "alice", "@bob hi"},
		{"<@alice>", "alice", `&lt;<mark class="me">@alice</mark>&gt;`},
	}
	for _, tt := range tests {
		if got := string(richText(tt.text, tt.me)); got != tt.want {
			t.Errorf("richText(%q, %q)\n got %s\nwant %s", tt.text, tt.me, got, tt.want)
		}
	}
}

// tagPattern matches the only tags richText may write.
var tagPattern = regexp.MustCompile(`<a href="[^"<>]*" rel="noopener noreferrer" target="_blank">|</a>|<mark class="me">|</mark>`)

func FuzzRichText(f *testing.F) {
	for _, s := range []string{"hi @alice", "https://a.b/<script>", `"'><img src=x onerror=alert(1)>`, "@alice@alice https://x.y/@alice"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		out := tagPattern.ReplaceAllString(string(richText(text, "alice")), "")
		if strings.ContainsAny(out, "<>\"") {
			t.Fatalf("richText(%q) left markup: %s", text, out)
		}
	})
}

func TestDayLabels(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone data")
	}
	now := time.Date(2026, 12, 7, 23, 30, 0, 0, time.UTC) // 00:30 on the 8th in Berlin
	tests := []struct {
		t    time.Time
		loc  *time.Location
		want string
	}{
		{now.Add(-time.Hour), time.UTC, "Today"},
		{now.Add(-time.Hour), berlin, "Yesterday"}, // 23:30 on the 7th in Berlin
		{now.Add(-24 * time.Hour), time.UTC, "Yesterday"},
		{now.Add(-72 * time.Hour), time.UTC, "Fri 4 Dec"},
		{time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), time.UTC, "Sat 1 Mar 2025"},
	}
	for _, tt := range tests {
		if got := dayLabel(tt.t, tt.loc, now); got != tt.want {
			t.Errorf("dayLabel(%v in %v) = %q, want %q", tt.t, tt.loc, got, tt.want)
		}
	}
	at := func(min int) time.Time { return now.Add(time.Duration(min-600) * time.Minute) }
	lines := []threads.Line{
		{ID: "1", Author: "a", Origin: threads.FromWeb, Time: at(0)},
		{ID: "2", Author: "a", Origin: threads.FromWeb, Time: at(2)},  // grouped
		{ID: "3", Author: "b", Origin: threads.FromWeb, Time: at(3)},  // other author
		{ID: "4", Author: "b", Origin: threads.FromWeb, Time: at(20)}, // too late
		{ID: "5", Author: "b", Origin: threads.FromEmail, Time: at(21)},
		{ID: "6", Author: "b", Origin: threads.FromEmail, Time: at(22)}, // grouped
		{ID: "7", Author: "b", Origin: threads.FromEmail, Time: at(24 * 60)},
	}
	days, cont := layoutLines(lines, time.UTC, now.Add(24*time.Hour))
	if len(days) != 2 || days["1"].Label != "Yesterday" || days["7"].Label != "Today" || days["7"].Date != "2026-12-08" {
		t.Errorf("days: %+v", days)
	}
	for _, id := range []string{"1", "2", "3", "4", "5", "6", "7"} {
		if want := id == "2" || id == "6"; cont[id] != want {
			t.Errorf("line %s grouped: %v, want %v", id, cont[id], want)
		}
	}
}
