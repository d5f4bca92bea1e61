// Package transcript renders a room, or a time range of it, as a document
// a person can keep: HTML with a print stylesheet, plain text, or an mbox
// (RFC 4155) to import into a mail client. It reads the room a page at a
// time and writes as it goes, so a big room costs the memory of one page.
package transcript

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"parley/threads"
)

// Format is a kind of transcript.
type Format string

// Formats.
const (
	HTML Format = "html"
	Text Format = "text"
	Mbox Format = "mbox"
)

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case HTML, Text, Mbox:
		return f, nil
	}
	return "", fmt.Errorf("%w: format %q is not html, text or mbox", ErrInvalid, s)
}

// ErrInvalid marks options that cannot make a transcript.
var ErrInvalid = errors.New("cannot make transcript")

// Source reads a room's lines; *threads.Chat is one.
type Source interface {
	Lines(ctx context.Context, room string, r threads.Range) ([]threads.Line, error)
}

var _ Source = (*threads.Chat)(nil)

// Options say what to render.
type Options struct {
	// Room is the room; its name and topic head the document.
	Room threads.Room
	// Format is html, text or mbox.
	Format Format
	// From and To bound the lines by the time they were posted: From
	// included, To excluded; zero means open.
	From, To time.Time
	// Loc is the reader's time zone: every time is shown in it (UTC when nil).
	Loc *time.Location
	// Domain is parley's mail domain: mbox sender, Message-IDs and the
	// room's thread root (required for mbox).
	Domain string
	// Brand is the product name ("parley" when empty).
	Brand string
	// MaxBytes, when positive, stops the transcript before the output
	// passes it; the document then ends with a note that it was cut.
	MaxBytes int64
	// Now is when the transcript is made, shown in its heading (time.Now
	// when nil).
	Now func() time.Time
	// PageSize is how many lines one read takes (500).
	PageSize int
}

// Result says what was written.
type Result struct {
	// Lines is the number of lines written; Bytes the size of the output.
	Lines int
	Bytes int64
	// Cut: MaxBytes stopped the transcript before its end.
	Cut bool
}

// renderer writes one format. Each method writes a piece; what it writes
// for a line is measured before it is let through, so that MaxBytes can
// stop before the line that would pass it.
type renderer interface {
	head(w io.Writer) error
	// day starts a new day (in the reader's zone).
	day(w io.Writer, t time.Time) error
	line(w io.Writer, l threads.Line) error
	// foot ends the document; lines is the count, cut whether it was cut.
	foot(w io.Writer, lines int, cut bool) error
	// footRoom is how many bytes foot needs at most.
	footRoom() int64
}

// Write renders the transcript to w, reading the room from src.
func Write(ctx context.Context, w io.Writer, src Source, o Options) (Result, error) {
	if err := threads.ValidID("room", o.Room.ID); err != nil {
		return Result{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if o.Loc == nil {
		o.Loc = time.UTC
	}
	if o.Brand == "" {
		o.Brand = "parley"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PageSize <= 0 {
		o.PageSize = 500
	}
	if !o.From.IsZero() && !o.To.IsZero() && !o.To.After(o.From) {
		return Result{}, fmt.Errorf("%w: the end %s is not after the start %s", ErrInvalid, o.To.Format(time.RFC3339), o.From.Format(time.RFC3339))
	}
	var r renderer
	switch o.Format {
	case HTML:
		r = &htmlRenderer{o: o}
	case Text:
		r = &textRenderer{o: o}
	case Mbox:
		if o.Domain == "" {
			return Result{}, fmt.Errorf("%w: an mbox needs the mail domain", ErrInvalid)
		}
		r = &mboxRenderer{o: o}
	default:
		_, err := ParseFormat(string(o.Format))
		return Result{}, err
	}
	bw := bufio.NewWriter(w)
	cw := &countingWriter{w: bw}
	res, err := write(ctx, cw, src, o, r)
	res.Bytes = cw.n
	if ferr := bw.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("write transcript: %w", ferr)
	}
	return res, err
}

func write(ctx context.Context, w *countingWriter, src Source, o Options, r renderer) (Result, error) {
	var res Result
	if err := r.head(w); err != nil {
		return res, err
	}
	var piece strings.Builder
	lastDay := ""
	after := ""
	for {
		page, err := src.Lines(ctx, o.Room.ID, threads.Range{After: after, Limit: o.PageSize})
		if err != nil {
			return res, fmt.Errorf("read %s for its transcript: %w", o.Room.ID, err)
		}
		for _, l := range page {
			if !o.From.IsZero() && l.Time.Before(o.From) {
				continue
			}
			if !o.To.IsZero() && !l.Time.Before(o.To) {
				return res, r.foot(w, res.Lines, false)
			}
			piece.Reset()
			day := l.Time.In(o.Loc).Format("2006-01-02")
			if day != lastDay {
				if err := r.day(&piece, l.Time); err != nil {
					return res, err
				}
			}
			if err := r.line(&piece, l); err != nil {
				return res, err
			}
			if o.MaxBytes > 0 && w.n+int64(piece.Len())+r.footRoom() > o.MaxBytes {
				res.Cut = true
				return res, r.foot(w, res.Lines, true)
			}
			if _, err := io.WriteString(w, piece.String()); err != nil {
				return res, fmt.Errorf("write transcript: %w", err)
			}
			lastDay = day
			res.Lines++
		}
		if len(page) < o.PageSize {
			return res, r.foot(w, res.Lines, false)
		}
		after = page[len(page)-1].ID
	}
}

// countingWriter counts what passes through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// cleanLines prepares chat text for a document: invalid UTF-8 replaced,
// line ends made LF, tabs four spaces, other control characters (terminal
// escapes) and bidi overrides dropped, trailing spaces and leading and
// trailing empty lines removed.
func cleanLines(s string) []string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u2028", "\n", "\u2029", "\n", "\t", "    ").Replace(s)
	s = strings.Map(func(r rune) rune {
		if r != '\n' && (unicode.IsControl(r) || isBidiControl(r)) {
			return -1
		}
		return r
	}, s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}
	for len(lines) > 0 && lines[0] == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// oneLine is s on one line: control characters and runs of space become
// one space.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.Join(cleanLines(s), " ")), " ")
}

func isBidiControl(r rune) bool {
	return r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069'
}

// name is the author's display name, or their id.
func name(l threads.Line) string {
	if n := oneLine(l.Name); n != "" {
		return n
	}
	if n := oneLine(l.Author); n != "" {
		return n
	}
	return "someone"
}

// roomName is the room's name, or its id.
func roomName(r threads.Room) string {
	if n := oneLine(r.Name); n != "" {
		return n
	}
	return r.ID
}

// size formats a file size: "240 KB".
func size(n int64) string {
	switch {
	case n <= 0:
		return ""
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", (n+512)>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// attachment describes a file: "mockups.pdf (application/pdf, 200 KB)".
func attachment(a threads.Attachment) string {
	n := oneLine(a.Name)
	if n == "" {
		n = oneLine(a.ID)
	}
	var about []string
	if t := oneLine(a.Type); t != "" {
		about = append(about, t)
	}
	if s := size(a.Size); s != "" {
		about = append(about, s)
	}
	if len(about) > 0 {
		n += " (" + strings.Join(about, ", ") + ")"
	}
	return n
}

// span describes the range: "from 2026-11-01 to 2026-11-25", or "".
func span(o Options) string {
	f := func(t time.Time) string { return t.In(o.Loc).Format("2006-01-02 15:04") }
	switch {
	case !o.From.IsZero() && !o.To.IsZero():
		return "from " + f(o.From) + " to " + f(o.To)
	case !o.From.IsZero():
		return "from " + f(o.From)
	case !o.To.IsZero():
		return "until " + f(o.To)
	}
	return "the whole room"
}
