package outbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"

	"parley/internal/transcript"
	"parley/outbound/mailcompose"
	"parley/threads"
)

// TranscriptSender mails transcripts asked for by email
// (threads.TranscriptRequest); the email channel is one.
type TranscriptSender interface {
	SendTranscript(ctx context.Context, r threads.TranscriptRequest) error
}

var _ TranscriptSender = (*Email)(nil)

// MaxTranscriptBytes is the largest transcript mailed: a longer one is
// cut, and the email says so.
const MaxTranscriptBytes = 2 << 20

// SendTranscript renders the room's transcript (HTML, to print) for the
// member who asked, in their time zone, and mails it to them as an
// attachment. A member who left the room gets nothing (Permanent).
func (e *Email) SendTranscript(ctx context.Context, r threads.TranscriptRequest) error {
	st := e.o.Store
	room, err := st.Chat.Room(ctx, r.Room)
	if errors.Is(err, threads.ErrNotFound) {
		return Permanent(err)
	}
	if err != nil {
		return err
	}
	u, err := st.Directory.User(ctx, r.Member)
	if errors.Is(err, threads.ErrNotFound) {
		return Permanent(err)
	}
	if err != nil {
		return err
	}
	if !slices.Contains(room.Members, r.Member) {
		return Permanent(fmt.Errorf("transcript of %s: %s: %w", r.Room, r.Member, threads.ErrNotMember))
	}
	max := e.o.MaxTranscriptBytes
	if max <= 0 {
		max = MaxTranscriptBytes
	}
	var buf bytes.Buffer
	res, err := transcript.Write(ctx, &buf, st, transcript.Options{Room: room, Format: transcript.HTML, From: r.Since,
		Loc: u.Location(), Domain: e.o.Domain, MaxBytes: max, Now: st.Options().Now})
	if err != nil {
		return fmt.Errorf("transcript of %s for %s: %w", r.Room, r.Member, err)
	}
	text := transcriptText(room, u, r, res, max)
	name := room.ID + "-transcript-" + st.Options().Now().In(u.Location()).Format("2006-01-02") + ".html"
	msg, err := e.o.Composer.NoticeWithFile(mailcompose.Notice{To: mail.Address{Name: u.Name, Address: r.To},
		Subject: "email-notice-subject.txt", Body: "email-notice.txt", InReplyTo: r.InReplyTo,
		Data: mailcompose.NoticeText{Title: "Transcript of " + room.Name, Text: text}},
		mailcompose.File{Name: name, ContentType: "text/html; charset=utf-8", Data: buf.Bytes()})
	if err != nil {
		return Permanent(err)
	}
	return send(ctx, e.o.Transport, msg)
}

// transcriptText is the body of a transcript email.
func transcriptText(room threads.Room, u threads.User, r threads.TranscriptRequest, res transcript.Result, max int64) string {
	what := "the whole of " + room.Name
	if !r.Since.IsZero() {
		what = room.Name + " since " + r.Since.In(u.Location()).Format("Monday 2 January 2006 15:04")
	}
	text := fmt.Sprintf("Here is the transcript you asked for: %s, %d %s, times in %s. "+
		"It is attached as a web page: open it in a browser to read it, print it, or save it as PDF.",
		what, res.Lines, plural(res.Lines, "line", "lines"), u.Location())
	if res.Cut {
		text += fmt.Sprintf("\n\nThe transcript was cut at the size limit of %d MB, after %d lines. "+
			"For the rest, reply to a room email with a shorter period, for example TRANSCRIPT 7d.", max>>20, res.Lines)
	}
	return text
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// transcribe mails the transcripts asked for by email, through the email
// channel when it can. One that fails for now is taken again after the
// lease.
func (w *Worker) transcribe(ctx context.Context) {
	ts, ok := w.channels[threads.Email].(TranscriptSender)
	if !ok {
		return
	}
	reqs, err := w.store.Queue.ClaimTranscripts(ctx, w.opts.Consumer, 2, w.opts.Lease)
	if err != nil {
		if !isShutdown(ctx, err) {
			w.log.Warn("claim transcript requests", "err", err)
		}
		return
	}
	for _, r := range reqs {
		log := w.log.With("room", r.Room, "member", r.Member)
		err := ts.SendTranscript(context.WithoutCancel(ctx), r)
		switch {
		case err == nil:
			log.Info("transcript sent")
		case IsPermanent(err):
			log.Warn("transcript not sent", "err", err)
		default:
			log.Info("transcript will be retried", "err", err)
			continue
		}
		if err := w.store.Queue.AckTranscript(ctx, r); err != nil {
			log.Warn("settle transcript request", "err", err)
		}
	}
}
