package web

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"parley/internal/transcript"
	"parley/threads"
)

// Transcript downloads. The page, the CLI and the emailed TRANSCRIPT share
// one renderer, internal/transcript (lines in, a document out; it imports
// only threads), so web needs nothing of outbound.

// transcriptRoutes mounts the transcript download.
func (h *handler) transcriptRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/rooms/{id}/transcript", h.api(h.downloadTranscript))
}

// transcriptType is the media type and file extension of each format.
var transcriptType = map[transcript.Format][2]string{
	transcript.HTML: {"text/html; charset=utf-8", ".html"},
	transcript.Text: {"text/plain; charset=utf-8", ".txt"},
	transcript.Mbox: {"application/mbox", ".mbox"},
}

// transcriptTime reads from or to: a time (RFC 3339) or a day
// (2026-11-25, in the member's time zone). A day given as the end is
// included: the range ends at the next midnight.
func transcriptTime(name, v string, loc *time.Location, end bool) (time.Time, error) {
	if v = strings.TrimSpace(v); v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, v, loc); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	return time.Time{}, errf(http.StatusBadRequest, "invalid", "%s %q is neither a day like 2026-11-25 nor a time like 2026-11-25T17:00:00Z", name, v)
}

// transcriptOptions reads format, from and to for a room.
func (h *handler) transcriptOptions(q map[string][]string, room threads.Room, loc *time.Location) (transcript.Options, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	format := get("format")
	if format == "" {
		format = string(transcript.HTML)
	}
	f, err := transcript.ParseFormat(format)
	if err != nil {
		return transcript.Options{}, err
	}
	from, err := transcriptTime("from", get("from"), loc, false)
	if err != nil {
		return transcript.Options{}, err
	}
	to, err := transcriptTime("to", get("to"), loc, true)
	if err != nil {
		return transcript.Options{}, err
	}
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		return transcript.Options{}, errf(http.StatusBadRequest, "invalid", "to must be after from")
	}
	return transcript.Options{Room: room, Format: f, From: from, To: to, Loc: loc, Domain: h.opts.MailDomain,
		MaxBytes: h.opts.MaxTranscriptBytes, Now: h.opts.Now}, nil
}

// sentWriter notes whether anything reached the client.
type sentWriter struct {
	w    io.Writer
	sent bool
}

func (s *sentWriter) Write(p []byte) (int, error) {
	s.sent = s.sent || len(p) > 0
	return s.w.Write(p)
}

// downloadTranscript streams a room's transcript to one of its members as
// an attachment, at most MaxTranscriptBytes (then cut, with a note) and
// within TranscriptTimeout.
func (h *handler) downloadTranscript(w http.ResponseWriter, r *http.Request, me *who) error {
	room, err := h.memberRoom(r.Context(), me, r.PathValue("id"))
	if err != nil {
		return err
	}
	o, err := h.transcriptOptions(r.URL.Query(), room, me.user.Location())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.TranscriptTimeout)
	defer cancel()
	t := transcriptType[o.Format]
	name := room.ID + "-" + h.opts.Now().In(o.Loc).Format("2006-01-02") + t[1]
	hd := w.Header()
	hd.Set("Content-Type", t[0])
	hd.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	sw := &sentWriter{w: w}
	res, err := transcript.Write(ctx, sw, h.store.Chat, o)
	if err != nil && !sw.sent {
		hd.Del("Content-Disposition")
		hd.Del("Content-Security-Policy")
		return err
	}
	if err != nil {
		// Part of the document is out: the status cannot change, so the
		// response is broken off for the client to see it is incomplete.
		h.log.Warn("transcript cut short", "room", room.ID, "member", me.user.ID, "err", err)
		panic(http.ErrAbortHandler)
	}
	h.log.Info("transcript downloaded", "room", room.ID, "member", me.user.ID, "format", o.Format,
		"lines", res.Lines, "bytes", res.Bytes, "cut", res.Cut)
	return nil
}
