package smsfmt

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFormat(t *testing.T) {
	const link = "https://p.example/r/design"
	tests := []struct {
		name  string
		lines []Line
		opts  Options
		want  string
	}{
		{
			name:  "one line",
			lines: []Line{{"Design", "Alice", "can we ship friday?"}},
			want:  "[Design] Alice: can we ship friday?",
		},
		{
			name: "one room, two authors",
			lines: []Line{
				{"Design", "Alice", "ship friday?"},
				{"Design", "Bob", "yes"},
			},
			want: "[Design] Alice: ship friday?\nBob: yes",
		},
		{
			name: "same author twice",
			lines: []Line{
				{"Design", "Alice", "ship friday?"},
				{"Design", "Alice", "or monday"},
				{"Design", "Bob", "friday"},
			},
			want: "[Design] Alice: ship friday?\nor monday\nBob: friday",
		},
		{
			name: "two rooms",
			lines: []Line{
				{"Design", "Alice", "hi"},
				{"Ops", "Alice", "deploy is green"},
			},
			want: "[Design] Alice: hi\n[Ops] Alice: deploy is green",
		},
		{
			name:  "no room, no name",
			lines: []Line{{"", "", "just text"}},
			want:  "just text",
		},
		{
			name:  "typographic punctuation made plain",
			lines: []Line{{"Design", "Alice", "it’s “done” — really…"}},
			want:  `[Design] Alice: it's "done" - really...`,
		},
		{
			name:  "emoji keeps the author's punctuation",
			lines: []Line{{"Design", "Alice", "it’s done 🎉"}},
			want:  "[Design] Alice: it’s done 🎉",
		},
		{
			name:  "normalised per line",
			lines: []Line{{"Design", "Alice", "it’s done"}, {"Design", "Bob", "🎉 “yay”"}},
			want:  "[Design] Alice: it's done\nBob: 🎉 “yay”",
		},
		{
			name:  "line breaks kept, blank lines squeezed, controls dropped",
			lines: []Line{{"Design", "Alice", "  one\r\n\r\n\r\ntwo\x00\x07  \n\tthree  "}},
			want:  "[Design] Alice: one\n\ntwo\n three",
		},
		{
			name:  "names kept on one line",
			lines: []Line{{"De\nsign", "Al\tice\n", "x"}},
			want:  "[De sign] Al ice: x",
		},
		{
			name:  "invalid UTF-8 replaced",
			lines: []Line{{"Design", "Alice", "a\xffb"}},
			want:  "[Design] Alice: a?b",
		},
		{
			name:  "empty lines skipped",
			lines: []Line{{"Design", "Alice", "  "}, {"Design", "Bob", "hi"}},
			want:  "[Design] Bob: hi",
		},
		{
			name: "nothing",
			want: "",
		},
		{
			name:  "cut at a word with link, GSM-7 marker",
			lines: []Line{{"Design", "Alice", strings.Repeat("word ", 40)}},
			opts:  Options{Budget: 1, Link: link},
			want:  "[Design] Alice: " + strings.TrimSpace(strings.Repeat("word ", 22)) + "... " + link,
		},
		{
			name:  "cut without link",
			lines: []Line{{"Design", "Alice", strings.Repeat("word ", 40)}},
			opts:  Options{Budget: 1},
			want:  "[Design] Alice: " + strings.TrimSpace(strings.Repeat("word ", 28)) + "...",
		},
		{
			name:  "link too long for the budget is left out",
			lines: []Line{{"", "", strings.Repeat("a", 200)}},
			opts:  Options{Budget: 1, Link: "https://p.example/" + strings.Repeat("x", 200)},
			want:  strings.Repeat("a", 157) + "...",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Format(tt.lines, tt.opts)
			if got != tt.want {
				t.Errorf("Format() =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// TestFormatFillsBudget checks that a cut text uses its budget exactly when
// there is no space to back off to.
func TestFormatFillsBudget(t *testing.T) {
	const link = "https://p.example/r/1"
	tests := []struct {
		name   string
		text   string
		budget int
		enc    Encoding
		units  int
		suffix string
	}{
		{"GSM-7 one segment", strings.Repeat("a", 500), 1, GSM7, 160, "... " + link},
		{"GSM-7 default budget", strings.Repeat("a", 500), 0, GSM7, 306, "... " + link},
		{"GSM-7 three segments", strings.Repeat("a", 500), 3, GSM7, 459, "... " + link},
		{"UCS-2 one segment", strings.Repeat("ж", 500), 1, UCS2, 70, "… " + link},
		{"UCS-2 default budget", strings.Repeat("ж", 500), 0, UCS2, 134, "… " + link},
		// A late emoji that is cut away leaves a GSM-7 text.
		{"cut emoji restores GSM-7", strings.Repeat("a", 500) + "😀", 2, GSM7, 306, "... " + link},
		// An early emoji makes it UCS-2; the cut must not split a pair.
		{"emoji pairs", strings.Repeat("😀", 200), 2, UCS2, 133, "… " + link},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Format([]Line{{Text: tt.text}}, Options{Budget: tt.budget, Link: link})
			budget := tt.budget
			if budget == 0 {
				budget = DefaultBudget
			}
			count, enc, units := Segments(got)
			if count != budget || enc != tt.enc || units != tt.units {
				t.Errorf("Segments(Format()) = %d, %v, %d; want %d, %v, %d", count, enc, units, budget, tt.enc, tt.units)
			}
			if !strings.HasSuffix(got, tt.suffix) {
				t.Errorf("Format() = %q, want suffix %q", got, tt.suffix)
			}
			if !utf8.ValidString(got) {
				t.Errorf("Format() = %q, not valid UTF-8", got)
			}
		})
	}
}

func TestFormatKeepsGraphemes(t *testing.T) {
	tests := []struct {
		name, unit string
	}{
		{"family emoji with joiners", "👩\u200d👩\u200d👧 "},
		{"flags", "🇫🇷"},
		{"skin tone", "👍🏽"},
		{"combining accent", "e\u0301"},
	}
	for _, tt := range tests {
		for pad := 0; pad < 8; pad++ {
			text := strings.Repeat("ж", pad) + strings.Repeat(tt.unit, 60)
			got := Format([]Line{{Text: text}}, Options{Budget: 1})
			body := strings.TrimSuffix(got, "…")
			// What is left must be whole units after the padding.
			rest := strings.TrimPrefix(body, strings.Repeat("ж", pad))
			rest = strings.TrimRight(rest, " ")
			if strings.Trim(strings.ReplaceAll(rest, strings.TrimSpace(tt.unit), ""), " ") != "" {
				t.Errorf("%s, pad %d: cut inside a character: %q", tt.name, pad, got)
			}
			if c, _, _ := Segments(got); c > 1 {
				t.Errorf("%s, pad %d: %d segments", tt.name, pad, c)
			}
		}
	}
}
