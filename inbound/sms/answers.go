package sms

import (
	"log/slog"
	"strings"

	"parley/templates"
)

// Answer is the data of every SMS answer template (templates/files/sms-*.txt
// but sms-room-list.txt). Each template uses the fields it needs; the
// others are empty. Everything in it may come from members (room names,
// notes), and the answer is plain text: text/template, not escaped.
type Answer struct {
	// Room is the id of the room concerned.
	Room string
	// Ref is a room as the member wrote it, without "#" (at most 30
	// characters), when it names none of theirs.
	Ref string
	// Note is the away note (at most 200 characters).
	Note string
	// Reason says why a text was refused.
	Reason string
	// Command is the command answered ("MUTE", "UNMUTE"), or "" for a
	// text to post.
	Command string
	// List is the member's rooms, as sms-room-list.txt renders them.
	List string
}

// RoomList is the data of sms-room-list.txt.
type RoomList struct {
	// Rooms are the first rooms of the member, at most eight.
	Rooms []RoomItem
	// More is how many more rooms the member has.
	More int
}

// RoomItem is one room in a RoomList.
type RoomItem struct {
	// ID is the room's id, what a text names it by.
	ID string
	// Name is its name, cut to 20 characters; "" when it is the id.
	Name string
}

// maxListed is how many rooms an answer lists.
const maxListed = 8

// answerTemplates are the SMS answers, each declared with the data it is
// rendered with, so that a replacement that does not fit is refused at load.
var answerTemplates = []string{"sms-help.txt", "sms-unknown.txt", "sms-empty.txt", "sms-left-room.txt",
	"sms-refused.txt", "sms-no-rooms.txt", "sms-no-such-room.txt", "sms-which-room.txt", "sms-rooms.txt",
	"sms-away.txt", "sms-back.txt", "sms-muted.txt", "sms-unmuted.txt"}

func init() {
	full := Answer{Room: "design", Ref: "kitchen", Note: "at the dentist", Reason: "too many files", Command: "MUTE",
		List: "Your rooms: #design."}
	for _, name := range answerTemplates {
		templates.Declare(name, Answer{}, full)
	}
	templates.Declare("sms-room-list.txt", RoomList{},
		RoomList{Rooms: []RoomItem{{ID: "design"}, {ID: "ops", Name: "Ops Team"}}, More: 2})
}

// say renders an answer. A template that fails (which Load's checks make
// unlikely) is logged and nothing is answered: the text itself is handled.
func (h *Handler) say(log *slog.Logger, name string, data any) string {
	s, err := h.o.Templates.Render(name, data)
	if err != nil {
		log.Error("answer not rendered", "template", name, "err", err)
		return ""
	}
	return strings.TrimSpace(s)
}
