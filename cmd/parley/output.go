package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
	"unicode"

	"parley/threads"
)

// timeLayout is how every command prints a time. Times are in UTC, so that
// output does not depend on the machine it runs on.
const timeLayout = "2006-01-02 15:04"

// fmtTime prints t in UTC, or "never" for the zero time.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(timeLayout)
}

// lockedWriter serialises writes from several goroutines (demo, tail), so
// lines written with one call never interleave.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// writeJSON prints v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// clean makes text from users safe to print on a terminal: control
// characters (escape sequences included) become U+FFFD; a newline stays only
// when keepNewlines is set.
func clean(s string, keepNewlines bool) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' && keepNewlines:
			return r
		case r == '\t':
			return ' '
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			return '\uFFFD'
		}
		return r
	}, s)
}

// orDash returns s, or "-" when it is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// formatLine renders a line as "2006-01-02 15:04  Name: text". Text that
// holds several lines continues on indented lines under the first.
func formatLine(l threads.Line) string {
	head := fmtTime(l.Time) + "  "
	text := clean(l.Text, true)
	for _, a := range l.Attachments {
		text += " [file: " + clean(a.Name, false) + "]"
	}
	text = strings.ReplaceAll(strings.TrimRight(text, "\n"), "\n", "\n"+strings.Repeat(" ", len(head)))
	return head + clean(l.Name, false) + ": " + text + "\n"
}

// table prints aligned columns; rows are tab-separated.
func table(w io.Writer, rows ...string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, r)
	}
	return tw.Flush()
}

// fields prints "name: value" pairs aligned, pairs given flat.
func fields(w io.Writer, kv ...string) error {
	var b strings.Builder
	width := 0
	for i := 0; i < len(kv); i += 2 {
		width = max(width, len(kv[i]))
	}
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, "%-*s  %s\n", width+1, kv[i]+":", kv[i+1])
	}
	_, err := io.WriteString(w, b.String())
	return err
}
