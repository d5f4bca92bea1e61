package web

import (
	"cmp"
	"context"
	"strings"
	"unicode"

	"parley/threads"
)

// Composer commands: a line that starts with one of these is not posted as
// typed. /meet [topic] posts a meeting link (threads.Chat.Meet); /away
// [text], /back and /status text set the member's status.

// composerResult is what a composer command did.
type composerResult struct {
	// Posted is the meeting line, for /meet.
	Posted *threads.Posted `json:"posted,omitempty"`
	// Presence is the member's presence after /away, /back or /status.
	Presence *threads.Presence `json:"presence,omitempty"`
}

// command runs text as a composer command in room; ok is false when text
// is no command and must be posted as a line.
func (h *handler) command(ctx context.Context, me *who, room threads.Room, text string) (res composerResult, ok bool, err error) {
	if topic, isMeet := threads.CutMeet(text); isMeet {
		p, err := h.store.Chat.Meet(ctx, room.ID, me.user.ID, topic, me.origin(), "")
		if err != nil {
			return res, true, err
		}
		return composerResult{Posted: &p}, true, nil
	}
	word, rest := commandWord(text)
	var st threads.Status
	switch word {
	case "/away":
		st = threads.Status{Availability: threads.Away, Text: rest}
	case "/back":
		st = threads.Status{Availability: threads.Available}
	case "/status":
		cur, err := h.store.Chat.Presence(ctx, me.user.ID)
		if err != nil {
			return res, true, err
		}
		// The availability and end time in force stay; a member with no
		// status set is available.
		st = threads.Status{Availability: threads.Available, Text: rest}
		if cur.Status != nil {
			st.Availability, st.Until = cmp.Or(cur.Status.Availability, threads.Available), cur.Status.Until
		}
	default:
		return res, false, nil
	}
	p, err := h.store.Chat.SetStatus(ctx, me.user.ID, st)
	if err != nil {
		return res, true, err
	}
	return composerResult{Presence: &p}, true, nil
}

// commandWord splits "/word rest" (the word in lower case); "" when text
// does not start with '/'.
func commandWord(text string) (word, rest string) {
	t := strings.TrimSpace(text)
	if !strings.HasPrefix(t, "/") {
		return "", ""
	}
	i := strings.IndexFunc(t, unicode.IsSpace)
	if i < 0 {
		return strings.ToLower(t), ""
	}
	return strings.ToLower(t[:i]), strings.Join(strings.Fields(t[i:]), " ")
}

// isImage reports whether a file of media type ct gets a thumbnail on the
// page: raster images only (never SVG, which can hold scripts).
func isImage(ct string) bool {
	return strings.HasPrefix(ct, "image/") && ct != "image/svg+xml"
}
