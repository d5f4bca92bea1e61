package inbound

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"parley/inbound/mailparse"
	"parley/threads"
)

// Commands read from a reply's whole text, and the digest's own address.

// Outcomes of commands.
const (
	// TranscriptQueued: the reply asked for the room's transcript; it was
	// queued for the delivery worker to mail back.
	TranscriptQueued Outcome = "transcript"
	// Explained: a reply to a digest's own address; its sender was told
	// how to post instead.
	Explained Outcome = "explained"
)

// maxTranscriptSpan is the longest TRANSCRIPT period accepted.
const maxTranscriptSpan = 366 * 24 * time.Hour

var transcriptCmd = regexp.MustCompile(`(?i)^transcript(?:\s+(\d{1,4})\s*([hdw]))?\.?$`)

// ParseTranscriptCommand reads a reply whose whole text is "TRANSCRIPT"
// (any case), optionally with a period: "TRANSCRIPT 7d", "TRANSCRIPT 12h",
// "TRANSCRIPT 2w". It returns the period (0: the whole room) and whether
// the text is such a command.
func ParseTranscriptCommand(text string) (time.Duration, bool) {
	m := transcriptCmd.FindStringSubmatch(strings.TrimSpace(text))
	if m == nil {
		return 0, false
	}
	if m[1] == "" {
		return 0, true
	}
	n, _ := strconv.Atoi(m[1])
	unit := map[string]time.Duration{"h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[strings.ToLower(m[2])]
	d := time.Duration(n) * unit
	if d <= 0 || d > maxTranscriptSpan {
		return 0, false
	}
	return d, true
}

// transcript queues the room's transcript for the member who asked.
func (m *Mail) transcript(ctx context.Context, log *slog.Logger, res Result, msg *mailparse.Message, span time.Duration) (Result, error) {
	req := threads.TranscriptRequest{Room: res.Room, Member: res.Member, To: msg.From.Email, InReplyTo: msg.MessageID}
	if span > 0 {
		req.Since = m.o.Store.Options().Now().Add(-span).UTC()
	}
	if ok, err := m.o.Store.Chat.IsMember(ctx, res.Room, res.Member); err != nil {
		return res, Defer("temporary failure, try again later", err)
	} else if !ok {
		return res, Refuse("you are no longer a member of this room", nil)
	}
	queued, err := m.o.Store.Queue.QueueTranscript(ctx, req)
	if errors.Is(err, threads.ErrInvalid) {
		return res, Refuse("the transcript cannot be sent to this address", err)
	}
	if err != nil {
		return res, Defer("temporary failure, try again later", err)
	}
	res.Outcome = TranscriptQueued
	res.Note = "transcript queued"
	if !queued {
		res.Note = "transcript asked for lately; not queued again"
	}
	log.Info("transcript asked for by email", "queued", queued, "span", span)
	return res, nil
}

// errDigestReply: the message went to a digest's own address.
var errDigestReply = errors.New("reply to a digest")

// digestAddressee resolves a digest address among the candidates: the
// member it was issued to, or "" when there is none.
func (m *Mail) digestAddressee(ctx context.Context, candidates []string) (string, error) {
	for _, c := range candidates {
		tok, ok := threads.ParseDigestAddress(c, m.o.Domain)
		if !ok {
			continue
		}
		member, err := m.o.Store.Auth.ResolveDigestToken(ctx, tok)
		switch {
		case errors.Is(err, threads.ErrBadToken):
			return "", Refuse("unknown or expired digest address", err)
		case err != nil:
			return "", Defer("temporary failure, try again later", err)
		}
		return member, nil
	}
	return "", nil
}

// digestReply answers a person's reply to a digest's own address: nothing
// is posted; they are told, at most once a day, to reply to a room's
// address instead.
func (m *Mail) digestReply(ctx context.Context, log *slog.Logger, member string, msg *mailparse.Message) (Result, error) {
	res := Result{Member: member, Outcome: Explained, Note: "reply to a digest: explained"}
	user, err := m.o.Store.Directory.User(ctx, member)
	if errors.Is(err, threads.ErrNotFound) {
		return res, Refuse("this digest address no longer works", err)
	}
	if err != nil {
		return res, Defer("temporary failure, try again later", err)
	}
	if !ownsAddress(user, msg.From.Email) {
		return res, Refuse("this digest address belongs to another member", nil)
	}
	queued, err := m.o.Store.Queue.QueueNotice(ctx, threads.Notice{To: msg.From.Email, Kind: "digest-reply", InReplyTo: msg.MessageID,
		Title: "Your reply to the digest was not posted",
		Text: "A reply to the digest itself is not posted anywhere, since a digest covers several rooms. " +
			"To post in a room, reply to that room's address: each room in the digest has its own " +
			"(\"To post in Design, write to: reply+...\", or the \"Reply in\" link)."})
	if err != nil {
		return res, Defer("temporary failure, try again later", err)
	}
	if !queued {
		res.Note = "reply to a digest: explained earlier today"
	}
	log.Info("reply to a digest's own address", "member", member, "explained", queued)
	return res, nil
}
