package transcript

import (
	"fmt"
	"io"
	"strings"
	"time"

	"parley/threads"
)

// textRenderer writes plain text: a heading, a line per day, and
// "HH:MM  Name: text" with continuation lines indented under the text.
type textRenderer struct{ o Options }

func (r *textRenderer) head(w io.Writer) error {
	title := roomName(r.o.Room)
	if t := oneLine(r.o.Room.Topic); t != "" {
		title += " - " + t
	}
	_, err := fmt.Fprintf(w, "%s\nTranscript of %s, times in %s. Made by %s on %s.\n",
		title, span(r.o), r.o.Loc.String(), r.o.Brand, r.o.Now().In(r.o.Loc).Format("2006-01-02 15:04"))
	return err
}

func (r *textRenderer) day(w io.Writer, t time.Time) error {
	_, err := fmt.Fprintf(w, "\n--- %s ---\n", t.In(r.o.Loc).Format("Monday 2 January 2006"))
	return err
}

func (r *textRenderer) line(w io.Writer, l threads.Line) error {
	var b strings.Builder
	clock := l.Time.In(r.o.Loc).Format("15:04")
	text := cleanLines(l.Text)
	if l.Origin == threads.FromSystem {
		b.WriteString(clock + "  * ")
	} else {
		b.WriteString(clock + "  " + name(l) + ":")
		if len(text) > 0 {
			b.WriteString(" ")
		}
	}
	for i, t := range text {
		if i > 0 {
			b.WriteString("\n       ")
		}
		b.WriteString(t)
	}
	b.WriteString("\n")
	for _, a := range l.Attachments {
		b.WriteString("       [attached: " + attachment(a) + "]\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *textRenderer) foot(w io.Writer, lines int, cut bool) error {
	msg := fmt.Sprintf("\n-- end of transcript: %d %s --\n", lines, plural(lines, "line", "lines"))
	if cut {
		msg = fmt.Sprintf("\n-- transcript cut here at the size limit: %d %s; ask for a shorter time range for the rest --\n",
			lines, plural(lines, "line", "lines"))
	}
	_, err := io.WriteString(w, msg)
	return err
}

func (r *textRenderer) footRoom() int64 { return 160 }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
