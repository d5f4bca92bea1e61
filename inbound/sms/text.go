package sms

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"parley/inbound"
	"parley/threads"
)

// inbound handles a text a member sent to a parley number.
func (h *Handler) inbound(w http.ResponseWriter, ctx context.Context, p url.Values) {
	from, to, sid := p.Get("From"), p.Get("To"), p.Get("MessageSid")
	if threads.ValidPhone(from) != nil || threads.ValidSID(sid) != nil {
		writeError(w, http.StatusBadRequest, "From must be an E.164 number and MessageSid a Twilio SID", "bad_request")
		return
	}
	if threads.ValidPhone(to) != nil {
		to = "" // a short code or a channel address: no per-number state
	}
	log := h.log.With("sid", sid)
	seen, err := h.o.SMS.SMSInboundSeen(ctx, from, sid)
	if err != nil {
		h.fail(w, log, err)
		return
	}
	if seen {
		log.Info("text already handled (a retry)")
		writeTwiML(w)
		return
	}
	answer, err := h.handle(ctx, log, p, from, to, sid)
	if err != nil {
		h.fail(w, log, err)
		return
	}
	if err := h.o.SMS.MarkSMSInbound(ctx, from, sid); err != nil {
		// Stored, but not marked: Twilio's retry folds into the same line
		// (Post's dedupe by MessageSid), so answer 500 and let it retry.
		h.fail(w, log, err)
		return
	}
	writeTwiML(w)
	h.reply(ctx, log, from, to, answer)
}

// fail answers 500 so that Twilio retries later; the detail stays in the log.
func (h *Handler) fail(w http.ResponseWriter, log *slog.Logger, err error) {
	log.Error("text not taken; Twilio will retry", "err", err)
	writeError(w, http.StatusInternalServerError, "temporary failure, try again later", "unavailable")
}

// handle does what the text asks and returns the answer to send, if any.
// An error means nothing was decided for good: Twilio is to retry.
func (h *Handler) handle(ctx context.Context, log *slog.Logger, p url.Values, from, to, sid string) (string, error) {
	u, err := h.o.Directory.UserByPhone(ctx, from)
	if errors.Is(err, threads.ErrNotFound) || err == nil && (u.Disabled || !u.PhoneVerified) {
		// A number a member typed in is not known to be theirs: a text
		// from it proves nothing, so it is answered as a stranger's.
		return h.unknown(ctx, log, from)
	}
	if err != nil {
		return "", err
	}
	log = log.With("member", u.ID)
	body := p.Get("Body")
	cmd := ParseCommand(body)
	if cmd.Kind != Post { // files sent with a command are not kept
		return h.command(ctx, log, u, cmd)
	}
	rooms, err := h.o.Chat.RoomsOf(ctx, u.ID)
	if err != nil {
		return "", err
	}
	room, text, answer, err := h.chooseRoom(ctx, log, u, to, body, rooms)
	if err != nil || room == "" {
		if answer != "" {
			log.Info("text not posted", "why", "room not certain")
		}
		return answer, err
	}
	log = log.With("room", room)
	if topic, ok := cutMeet(text); ok {
		return h.meet(ctx, log, u, room, topic, "sms:"+sid)
	}
	atts, refused, err := h.media(ctx, log, p)
	if err != nil {
		return "", err
	}
	text = lineText(text, atts, refused)
	if text == "" {
		return h.say(log, "sms-empty.txt", Answer{Room: room}), nil
	}
	posted, err := h.o.Chat.Post(ctx, threads.NewLine{Room: room, Author: u.ID, AuthorName: u.Name, Text: text, Origin: threads.FromSMS,
		Attachments: atts, SourceID: "sms:" + sid})
	switch {
	case errors.Is(err, threads.ErrNotMember), errors.Is(err, threads.ErrNotFound):
		return h.say(log, "sms-left-room.txt", Answer{Room: room}), nil
	case errors.Is(err, threads.ErrInvalid):
		log.Warn("text refused", "err", err)
		return h.say(log, "sms-refused.txt", Answer{Room: room, Reason: strings.TrimPrefix(err.Error(), threads.ErrInvalid.Error()+": ")}), nil
	case err != nil:
		return "", err
	}
	log.Info("text folded in", "line", posted.Line.ID, "duplicate", posted.Duplicate, "files", len(atts), "refused", len(refused))
	return "", nil
}

// unknown answers a number that belongs to no member (or a disabled one),
// at most once a day per number.
func (h *Handler) unknown(ctx context.Context, log *slog.Logger, from string) (string, error) {
	log.Info("text from an unknown number ignored")
	ok, err := h.o.SMS.SMSOnceADay(ctx, from, "unknown")
	if err != nil || !ok {
		return "", err
	}
	return h.say(log, "sms-unknown.txt", Answer{}), nil
}

// chooseRoom decides where a text goes, never guessing:
//  1. a leading "#name" (a room's id or name) names one of the member's rooms;
//  2. else, with a number pool, the room bound to (member phone, number texted);
//  3. else the room whose line the member last got by text on that number;
//  4. else the member's only room.
//
// Otherwise it returns no room and an answer listing the member's rooms.
func (h *Handler) chooseRoom(ctx context.Context, log *slog.Logger, u threads.User, to, body string, rooms []threads.Room) (room, text, answer string, err error) {
	refs := make([]RoomRef, len(rooms))
	ids := make(map[string]bool, len(rooms))
	for i, r := range rooms {
		refs[i] = RoomRef{ID: r.ID, Name: r.Name}
		ids[r.ID] = true
	}
	if len(rooms) == 0 {
		return "", "", h.say(log, "sms-no-rooms.txt", Answer{}), nil
	}
	pre := ParsePrefix(body, refs)
	switch {
	case pre.Found && pre.Room == "":
		return "", "", h.say(log, "sms-no-such-room.txt", Answer{Ref: shorten(pre.Ref, 30), List: h.listRooms(log, rooms)}), nil
	case pre.Found:
		return pre.Room, pre.Text, "", nil
	}
	if to != "" {
		bound, err := h.o.SMS.SMSBoundRoom(ctx, u.Phone, to)
		if err != nil {
			return "", "", "", err
		}
		if ids[bound] {
			return bound, pre.Text, "", nil
		}
		last, err := h.o.SMS.SMSLastRoom(ctx, u.Phone, to)
		if err != nil {
			return "", "", "", err
		}
		if ids[last] {
			return last, pre.Text, "", nil
		}
	}
	if len(rooms) == 1 {
		return rooms[0].ID, pre.Text, "", nil
	}
	return "", "", h.say(log, "sms-which-room.txt", Answer{List: h.listRooms(log, rooms)}), nil
}

// listRooms names the member's rooms and how to address one
// (sms-room-list.txt).
func (h *Handler) listRooms(log *slog.Logger, rooms []threads.Room) string {
	return h.say(log, "sms-room-list.txt", roomList(rooms))
}

// roomList is the data of sms-room-list.txt: the first eight rooms, and
// how many more.
func roomList(rooms []threads.Room) RoomList {
	var l RoomList
	for i, r := range rooms {
		if i == maxListed {
			l.More = len(rooms) - i
			break
		}
		item := RoomItem{ID: r.ID}
		if !strings.EqualFold(r.Name, r.ID) {
			item.Name = shorten(r.Name, 20)
		}
		l.Rooms = append(l.Rooms, item)
	}
	return l
}

// command carries out a command and returns its answer.
func (h *Handler) command(ctx context.Context, log *slog.Logger, u threads.User, cmd Command) (string, error) {
	log = log.With("command", cmd.Kind.String())
	switch cmd.Kind {
	case Help:
		log.Info("command")
		return h.say(log, "sms-help.txt", Answer{}), nil
	case Rooms:
		rooms, err := h.o.Chat.RoomsOf(ctx, u.ID)
		if err != nil {
			return "", err
		}
		log.Info("command")
		return h.say(log, "sms-rooms.txt", Answer{List: h.listRooms(log, rooms)}), nil
	case Away:
		text := shorten(cmd.Arg, 200)
		if _, err := h.o.Chat.SetStatus(ctx, u.ID, threads.Status{Availability: threads.Away, Text: text}); err != nil {
			return "", err
		}
		log.Info("command")
		return h.say(log, "sms-away.txt", Answer{Note: text}), nil
	case Back:
		if _, err := h.o.Chat.SetStatus(ctx, u.ID, threads.Status{Availability: threads.Available}); err != nil {
			return "", err
		}
		log.Info("command")
		return h.say(log, "sms-back.txt", Answer{}), nil
	case Mute, Unmute:
		return h.mute(ctx, log, u, cmd)
	case Stop, Start:
		// No answer: on a real number Twilio answers STOP and START
		// itself, and refuses (21610) any other text to a number that
		// just sent STOP.
		if _, err := h.o.SMS.SetSMSOptOut(ctx, u.ID, cmd.Kind == Stop); err != nil {
			return "", err
		}
		log.Info("command", "sms_opt_out", cmd.Kind == Stop)
		return "", nil
	}
	return "", nil
}

// mute mutes or unmutes one of the member's rooms.
func (h *Handler) mute(ctx context.Context, log *slog.Logger, u threads.User, cmd Command) (string, error) {
	rooms, err := h.o.Chat.RoomsOf(ctx, u.ID)
	if err != nil {
		return "", err
	}
	refs := make([]RoomRef, len(rooms))
	for i, r := range rooms {
		refs[i] = RoomRef{ID: r.ID, Name: r.Name}
	}
	pre := ParsePrefix("#"+cmd.Arg, refs)
	if pre.Room == "" {
		return h.say(log, "sms-no-such-room.txt", Answer{Ref: shorten(cmd.Arg, 30), List: h.listRooms(log, rooms)}), nil
	}
	mute := cmd.Kind == Mute
	err = h.o.Chat.SetMuted(ctx, pre.Room, u.ID, mute)
	if errors.Is(err, threads.ErrNotMember) {
		return h.say(log, "sms-left-room.txt", Answer{Room: pre.Room, Command: strings.ToUpper(cmd.Kind.String())}), nil
	}
	if err != nil {
		return "", err
	}
	log.Info("command", "room", pre.Room)
	if mute {
		return h.say(log, "sms-muted.txt", Answer{Room: pre.Room, Command: "MUTE"}), nil
	}
	return h.say(log, "sms-unmuted.txt", Answer{Room: pre.Room, Command: "UNMUTE"}), nil
}

// lineText is the line posted for a text: what the member wrote (cut to a
// line's limit), or what files they sent, and a note of files not kept.
func lineText(text string, atts []threads.Attachment, refused []string) string {
	text = strings.TrimSpace(strings.ToValidUTF8(text, "\uFFFD"))
	if text == "" && len(atts) > 0 {
		text = "sent " + inbound.DescribeFiles(atts)
	}
	if len(refused) > 0 {
		note := "[not kept: " + strings.Join(refused, "; ") + "]"
		if text == "" {
			text = note
		} else {
			text += "\n" + note
		}
	}
	if len(text) > threads.MaxLineBytes {
		text = shorten(text, threads.MaxLineBytes/4)
	}
	return text
}

// shorten cuts s to at most n characters, ending with "…" when cut.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
