package smsfmt

import (
	"strings"
	"testing"
)

func TestFormatWithFiles(t *testing.T) {
	link := "https://p.example/f/design~kq2x1c3k-0~0~bob~t5x2hc~aaaaaaaaaaaaaaaaaaaaaaaa/plan.pdf"
	plan := File{Name: "plan.pdf", Size: "240 KB", Link: link}
	long := strings.Repeat("the plan is long and we must read it all ", 12)
	cases := []struct {
		name  string
		lines []Line
		files []File
		want  string // exact, or the prefix and suffix around "|"
	}{
		{"fits", []Line{{Room: "Design", Name: "Alice", Text: "the plan"}}, []File{plan},
			"[Design] Alice: the plan\n[file: plan.pdf 240 KB] " + link},
		{"file only", []Line{{Room: "Design", Name: "Alice", Text: ""}}, []File{plan},
			"[file: plan.pdf 240 KB] " + link},
		{"no link", []Line{{Room: "Design", Name: "Alice", Text: "x"}}, []File{{Name: "a b\n.png", Size: "3 KB"}},
			"[Design] Alice: x\n[file: a b .png 3 KB]"},
		{"cut keeps the file", []Line{{Room: "Design", Name: "Alice", Text: long}}, []File{plan},
			"[Design] Alice: the plan is long|... https://p.example/r\n[file: plan.pdf 240 KB] " + link},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := FormatWithFiles(c.lines, c.files, Options{Budget: 2, Link: "https://p.example/r"})
			if n, _, _ := Segments(got); n > 2 {
				t.Errorf("%d segments: %q", n, got)
			}
			pre, suf, cut := strings.Cut(c.want, "|")
			if !cut && got != c.want || cut && (!strings.HasPrefix(got, pre) || !strings.HasSuffix(got, suf)) {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
	// Files that cannot all fit are sent alone, within the budget.
	many := make([]File, 6)
	for i := range many {
		many[i] = plan
	}
	got := FormatWithFiles([]Line{{Text: long}}, many, Options{Budget: 3})
	if n, _, _ := Segments(got); n > 3 || !strings.HasPrefix(got, "[file: plan.pdf") {
		t.Errorf("many files: %d segments, %q", n, got)
	}
}
