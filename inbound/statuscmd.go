package inbound

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"unicode"

	"parley/inbound/mailparse"
	"parley/threads"
)

// Setting one's status by email: a message to status@DOMAIN, or a reply to
// a room whose whole new text is a command, sets or clears the sender's
// status instead of posting:
//
//	AWAY text                  away, with text as the status (and auto-reply) text
//	AWAY until Friday: text    the same, ending by itself (threads.ParseUntil reads the time)
//	AWAY                       away, no text (no auto-reply)
//	BACK                       available again: the status and its auto-reply end
//
// At status@ the words may be in any case, the text may run over several
// lines, and an empty body lets the subject speak. In a reply to a room the
// word must be in capitals and the command on one line, so that a chat
// reply such as "Back tomorrow, will look then" is posted as a line.

// StatusLocal is the local part of the address members write to to set
// their status (status@DOMAIN).
const StatusLocal = "status"

// StatusSet: the message set or cleared the sender's status.
const StatusSet Outcome = "status"

// StatusCommand is an AWAY or BACK command read from a message.
type StatusCommand struct {
	// Back: the member is available again.
	Back bool
	// Until is the end of the status as written ("Friday"); HasUntil says
	// whether "until" was given at all.
	Until    string
	HasUntil bool
	// Text is the status text, on one line, at most 200 characters.
	Text string
}

// maxStatusText is the longest status text threads accepts.
const maxStatusText = 200

// ParseStatusCommand reads text as a status command. strict is for replies
// to a room: the word must be in capitals and the command on one line.
func ParseStatusCommand(text string, strict bool) (StatusCommand, bool) {
	text = strings.TrimSpace(text)
	if strict && strings.ContainsAny(text, "\r\n") {
		return StatusCommand{}, false
	}
	word, rest := text, ""
	if i := strings.IndexFunc(text, func(r rune) bool { return unicode.IsSpace(r) || r == ':' }); i >= 0 {
		word, rest = text[:i], text[i:]
	}
	word = strings.TrimRight(word, ".!")
	match := func(w string) bool {
		if strict {
			return word == w
		}
		return strings.EqualFold(word, w)
	}
	rest = strings.TrimSpace(rest)
	switch {
	case match("BACK"):
		return StatusCommand{Back: true}, strings.Trim(rest, ":.! \t") == ""
	case !match("AWAY"):
		return StatusCommand{}, false
	}
	rest = strings.TrimSpace(strings.TrimPrefix(rest, ":"))
	var cmd StatusCommand
	if after, ok := cutWord(rest, "until"); ok {
		cmd.HasUntil = true
		cmd.Until, rest = after, ""
		if i := colonBreak(after); i >= 0 {
			cmd.Until, rest = after[:i], after[i+1:]
		}
		cmd.Until = strings.TrimSpace(cmd.Until)
	}
	cmd.Text = truncate(strings.Join(strings.Fields(rest), " "), maxStatusText)
	return cmd, true
}

// cutWord cuts a leading word (any case) followed by a blank from s.
func cutWord(s, word string) (string, bool) {
	if len(s) <= len(word) || !strings.EqualFold(s[:len(word)], word) || !unicode.IsSpace(rune(s[len(word)])) {
		return s, false
	}
	return strings.TrimSpace(s[len(word):]), true
}

// colonBreak finds the colon that ends the until-time: the first one
// followed by a blank or the end ("15:00: at the clinic" breaks after 15:00).
func colonBreak(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' && (i+1 == len(s) || unicode.IsSpace(rune(s[i+1]))) {
			return i
		}
	}
	return -1
}

// statusAddress is where members write to set their status.
func (m *Mail) statusAddress() string { return StatusLocal + "@" + m.o.Domain }

// toStatus reports whether the message is addressed to status@: by the
// envelope (SMTP), else by the To and Cc headers (IMAP).
func (m *Mail) toStatus(env Envelope, msg *mailparse.Message) bool {
	want := m.statusAddress()
	if len(env.Rcpt) > 0 {
		for _, r := range env.Rcpt {
			if strings.EqualFold(strings.TrimSpace(r), want) {
				return true
			}
		}
		return false
	}
	for _, a := range append(append([]mailparse.Address(nil), msg.To...), msg.Cc...) {
		if strings.EqualFold(a.Email, want) {
			return true
		}
	}
	return false
}

// statusMail handles a message to status@: the sender must be a member
// (found by the From address, as replies are checked against it) whose
// domain vouches for the message, and the text (or, failing that, the
// subject) a command.
//
// Everyone gets the same answer at the door (250; a temporary failure
// aside), so that status@ cannot tell who is a member: a stranger's or a
// forged message is dropped with a line in the log, and only the member's
// own address hears what became of a command (a notice).
func (m *Mail) statusMail(ctx context.Context, log *slog.Logger, env Envelope, msg *mailparse.Message, raw []byte) (Result, error) {
	dropped := Result{Outcome: Ignored, Note: "status mail not taken"}
	u, err := m.o.Store.Directory.UserByEmail(ctx, msg.From.Email)
	if errors.Is(err, threads.ErrNotFound) {
		log.Info("status mail from a non-member dropped", "from", msg.From.Email)
		return dropped, nil
	}
	if err != nil {
		return Result{}, Defer("temporary failure, try again later", err)
	}
	log = log.With("member", u.ID)
	if _, err := m.authenticate(ctx, log, env, raw, u, true); err != nil { // authgate.go
		if ie := AsError(err); ie.Temporary {
			return Result{}, err
		}
		log.Warn("status mail whose sender is not proven dropped", "why", AsError(err).Reason)
		return dropped, nil
	}
	cmd, ok := ParseStatusCommand(msg.Reply, false)
	if !ok {
		cmd, ok = ParseStatusCommand(msg.Subject, false)
	}
	if !ok {
		m.tell(ctx, log, noticeRefused, msg, NoticeData{Reason: "write AWAY text, AWAY until Friday: text, or BACK"})
		return Result{Outcome: Ignored, Member: u.ID, Note: "no status command"}, nil
	}
	return m.setStatus(ctx, log, Result{Member: u.ID}, u, msg, cmd)
}

// tell queues a notice to the sender of msg (at most one of a kind a day).
func (m *Mail) tell(ctx context.Context, log *slog.Logger, kind string, msg *mailparse.Message, data NoticeData) {
	n, ok := m.newNotice(kind, msg.From.Email, msg.MessageID, data)
	if !ok {
		return
	}
	if _, err := m.o.Store.Queue.QueueNotice(ctx, n); err != nil {
		log.Warn("queue notice", "kind", kind, "err", err)
	}
}

// setStatus applies a command and confirms it by a short notice (at most
// one of each kind a day; the log has every one).
func (m *Mail) setStatus(ctx context.Context, log *slog.Logger, res Result, u threads.User, msg *mailparse.Message, cmd StatusCommand) (Result, error) {
	st := threads.Status{Availability: threads.Available}
	if !cmd.Back {
		st = threads.Status{Availability: threads.Away, Text: cmd.Text}
		if cmd.HasUntil {
			until, err := threads.ParseUntil(cmd.Until, m.o.Store.Options().Now(), u.Location())
			if err != nil {
				return res, Refuse("the status was not set: "+strings.TrimPrefix(err.Error(), threads.ErrInvalid.Error()+": "), err)
			}
			st.Until = until
		}
	}
	p, err := m.o.Store.Chat.SetStatus(ctx, u.ID, st)
	switch {
	case errors.Is(err, threads.ErrInvalid):
		return res, Refuse("the status was not set: "+strings.TrimPrefix(err.Error(), threads.ErrInvalid.Error()+": "), err)
	case err != nil:
		return res, Defer("temporary failure, try again later", err)
	}
	res.Outcome, res.Note = StatusSet, describeStatus(p, u)
	log.Info("status set by email", "availability", st.Availability)
	kind := noticeStatusAway
	if cmd.Back {
		kind = noticeStatusBack
	}
	m.tell(ctx, log, kind, msg, NoticeData{Status: res.Note, StatusAddress: m.statusAddress()})
	return res, nil
}

// describeStatus says what a status is, in the member's time zone.
func describeStatus(p threads.Presence, u threads.User) string {
	st := p.Status
	if st == nil || st.Availability == threads.Available {
		return "available"
	}
	d := string(st.Availability)
	if !st.Until.IsZero() {
		d += " until " + st.Until.In(u.Location()).Format("Mon 2 Jan 15:04 MST")
	}
	if st.Text != "" {
		d += ": " + st.Text
	}
	return d
}
