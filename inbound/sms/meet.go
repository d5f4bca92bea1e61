package sms

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"unicode"

	"parley/templates"
	"parley/threads"
)

// MeetingAnswer is the data of sms-meeting.txt, the answer to MEET: the
// meeting link, which the others get from the room.
type MeetingAnswer struct {
	// Room is the id of the room the meeting was posted in.
	Room string
	// Link is the meeting link.
	Link string
}

func init() {
	templates.Declare("sms-meeting.txt", MeetingAnswer{Room: "design", Link: "https://meet.jit.si/parley-abc"})
}

// cutMeet reports whether a text is a meeting command and returns its
// topic: "MEET [topic]" in capitals (so that "Meet you at 5" stays a
// line), or "/meet [topic]" in any case, as in the web composer.
func cutMeet(text string) (string, bool) {
	if topic, ok := threads.CutMeet(text); ok {
		return topic, true
	}
	t := strings.TrimSpace(text)
	if !strings.HasPrefix(t, "MEET") || len(t) > 4 && !unicode.IsSpace(rune(t[4])) {
		return "", false
	}
	return strings.Join(strings.Fields(t[4:]), " "), true
}

// meet posts a meeting in room for u and answers with its link.
func (h *Handler) meet(ctx context.Context, log *slog.Logger, u threads.User, room, topic, sid string) (string, error) {
	p, err := h.o.Chat.Meet(ctx, room, u.ID, topic, threads.FromSMS, sid)
	switch {
	case errors.Is(err, threads.ErrNotMember), errors.Is(err, threads.ErrNotFound):
		return h.say(log, "sms-left-room.txt", Answer{Room: room}), nil
	case err != nil:
		return "", err
	}
	log.Info("meeting posted by text", "room", room, "line", p.Line.ID)
	return h.say(log, "sms-meeting.txt", MeetingAnswer{Room: room, Link: p.Line.Meeting()}), nil
}
