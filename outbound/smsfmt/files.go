package smsfmt

import "strings"

// File is a file of the batch as a text names it: "[file: plan.pdf
// 240 KB] LINK".
type File struct {
	// Name is the file's name; Size says its size ("240 KB").
	Name, Size string
	// Link is the member's download link, or "".
	Link string
}

// Label is the file as the text says it.
func (f File) Label() string {
	s := "[file: " + Normalize(oneLine(f.Name)) + " " + f.Size + "]"
	if link := strings.Join(strings.Fields(clean(f.Link)), ""); link != "" {
		s += " " + link
	}
	return s
}

// FormatWithFiles is Format for a batch whose lines carry files: the
// files' labels and links come after the text, each on a line of its own,
// and are kept whole; when the whole does not fit the budget, the text
// before them is cut (with the marker and opts.Link) so that it does.
// When even the files do not fit beside a cut text, the text is left out
// and the files are sent alone, cut if they must be.
func FormatWithFiles(lines []Line, files []File, opts Options) string {
	if len(files) == 0 {
		return Format(lines, opts)
	}
	budget := opts.Budget
	if budget < 1 {
		budget = DefaultBudget
	}
	labels := make([]string, len(files))
	for i, f := range files {
		labels[i] = f.Label()
	}
	tail := strings.Join(labels, "\n")
	full := assemble(lines)
	if full == "" {
		return Format([]Line{{Text: tail}}, Options{Budget: budget})
	}
	if n, _, _ := Segments(full + "\n" + tail); n <= budget {
		return full + "\n" + tail
	}
	suffix := "\n" + tail
	if link := strings.Join(strings.Fields(clean(opts.Link)), ""); link != "" {
		suffix = " " + link + suffix
	}
	if out, ok := cut(full, budget, suffix); ok {
		return out
	}
	return Format([]Line{{Text: tail}}, Options{Budget: budget})
}
