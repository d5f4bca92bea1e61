package sms

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind is what a text asks for.
type Kind int

// Kinds of text. Every kind but Post is a command: answered, never posted.
const (
	// Post: an ordinary text, to be posted as a line.
	Post Kind = iota
	// Help lists the commands.
	Help
	// Rooms lists the member's rooms and how to address one.
	Rooms
	// Away sets the member away, with Arg as the status text.
	Away
	// Back sets the member available.
	Back
	// Mute and Unmute stop and restart pushing the room Arg names.
	Mute
	Unmute
	// Stop turns texts off (STOP and the carriers' synonyms); Start turns
	// them on again.
	Stop
	Start
)

// String names the kind for logs.
func (k Kind) String() string {
	switch k {
	case Help:
		return "help"
	case Rooms:
		return "rooms"
	case Away:
		return "away"
	case Back:
		return "back"
	case Mute:
		return "mute"
	case Unmute:
		return "unmute"
	case Stop:
		return "stop"
	case Start:
		return "start"
	}
	return "post"
}

// Command is a parsed text.
type Command struct {
	Kind Kind
	// Arg is the status text of AWAY, or the room reference of MUTE and
	// UNMUTE without its "#"; empty when none was given.
	Arg string
}

// keywords are the commands that are the whole text, upper-cased. STOP,
// START and their synonyms are the keywords carriers and Twilio's opt-out
// handling act on.
var keywords = map[string]Kind{
	"HELP": Help, "INFO": Help,
	"ROOMS": Rooms,
	"AWAY":  Away,
	"BACK":  Back,
	"STOP":  Stop, "STOPALL": Stop, "UNSUBSCRIBE": Stop, "CANCEL": Stop, "END": Stop, "QUIT": Stop,
	"START": Start, "YES": Start, "UNSTOP": Start,
}

// ParseCommand reads a text as a command when the command is the whole
// text (trimmed, case-insensitive): HELP, ROOMS, AWAY [message], BACK,
// MUTE #room, UNMUTE #room, STOP and START with their synonyms. Anything
// else, including "stop the build" or "mute the call", is a Post.
func ParseCommand(text string) Command {
	t := strings.TrimSpace(text)
	if k, ok := keywords[strings.ToUpper(t)]; ok {
		return Command{Kind: k}
	}
	word, rest := cutWord(t)
	switch strings.ToUpper(word) {
	case "AWAY":
		return Command{Kind: Away, Arg: strings.Join(strings.Fields(rest), " ")}
	case "MUTE", "UNMUTE":
		k := Mute
		if strings.EqualFold(word, "UNMUTE") {
			k = Unmute
		}
		ref, after := cutWord(rest)
		// "MUTE #room" only: "mute the call" is a chat line.
		if len(ref) > 1 && ref[0] == '#' && after == "" {
			return Command{Kind: k, Arg: ref[1:]}
		}
	}
	return Command{Kind: Post}
}

// cutWord splits s at its first run of white space.
func cutWord(s string) (word, rest string) {
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// Prefix is what a text's leading "#name" says.
type Prefix struct {
	// Found: the text starts with "#".
	Found bool
	// Room is the id of the member's room the prefix names, or "" when it
	// names none of them.
	Room string
	// Ref is the reference as written (the first word after "#") when it
	// names no room, for the answer.
	Ref string
	// Text is the text after the prefix, trimmed.
	Text string
}

// RoomRef is a room a prefix may name: by id or by name.
type RoomRef struct {
	ID, Name string
}

// ParsePrefix reads a leading "#name" among rooms: a room's id or name,
// case-insensitive, followed by the end of the text, white space or ':'.
// A name may hold spaces ("#Alice & Carol see you"); the longest match wins.
func ParsePrefix(text string, rooms []RoomRef) Prefix {
	t := strings.TrimSpace(text)
	if !strings.HasPrefix(t, "#") {
		return Prefix{Text: t}
	}
	after := t[1:]
	best, bestLen := "", 0
	for _, r := range rooms {
		for _, label := range []string{r.ID, r.Name} {
			if label == "" || len(label) <= bestLen || !hasFoldPrefix(after, label) {
				continue
			}
			if rest := after[len(label):]; rest != "" {
				c, _ := utf8.DecodeRuneInString(rest)
				if !unicode.IsSpace(c) && c != ':' && c != ',' {
					continue
				}
			}
			best, bestLen = r.ID, len(label)
		}
	}
	if best == "" {
		ref, rest := cutWord(after)
		return Prefix{Found: true, Ref: ref, Text: rest}
	}
	rest := strings.TrimLeft(after[bestLen:], ":,")
	return Prefix{Found: true, Room: best, Text: strings.TrimSpace(rest)}
}

// hasFoldPrefix reports whether s starts with prefix, ignoring case, and
// the prefix ends on a character boundary of s.
func hasFoldPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) &&
		(len(s) == len(prefix) || utf8.RuneStart(s[len(prefix)]))
}
