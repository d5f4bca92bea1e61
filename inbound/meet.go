package inbound

import (
	"context"
	"errors"
	"log/slog"

	"parley/inbound/mailparse"
	"parley/threads"
)

// meet posts a meeting for a reply whose text is only "/meet [topic]"
// (threads.Chat.Meet): the same message delivered twice posts one meeting.
// The sender gets the link in a notice (the others get the line).
func (m *Mail) meet(ctx context.Context, log *slog.Logger, res Result, msg *mailparse.Message, topic string) (Result, error) {
	source, _ := emailSource(res.Member, res.Room, msg)
	p, err := m.o.Store.Chat.Meet(ctx, res.Room, res.Member, topic, threads.FromEmail, source)
	switch {
	case errors.Is(err, threads.ErrNotMember), errors.Is(err, threads.ErrNotFound):
		return res, Refuse("you are no longer a member of this room", err)
	case errors.Is(err, threads.ErrInvalid):
		return res, Refuse("the meeting cannot be posted: "+err.Error(), err)
	case err != nil:
		return res, Defer("temporary failure, try again later", err)
	}
	res.Line = p.Line.ID
	res.Outcome = Posted
	if p.Duplicate {
		res.Outcome = Duplicate
	}
	if !p.Duplicate && msg.From.Email != "" {
		if _, err := m.o.Store.Queue.QueueNotice(ctx, threads.Notice{To: msg.From.Email, Kind: threads.NoticeMeeting,
			Title: "Your meeting link", Text: p.Line.Text, Link: p.Line.Meeting(), InReplyTo: msg.MessageID}); err != nil {
			log.Warn("queue the meeting link for its sender", "err", err)
		}
	}
	log.Info("meeting posted by email", "line", p.Line.ID, "outcome", res.Outcome)
	return res, nil
}
