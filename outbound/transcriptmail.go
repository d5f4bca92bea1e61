package outbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"parley/internal/transcript"
	"parley/outbound/mailcompose"
	"parley/templates"
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
	room, err := e.o.Chat.Room(ctx, r.Room)
	if errors.Is(err, threads.ErrNotFound) {
		return Permanent(err)
	}
	if err != nil {
		return err
	}
	u, err := e.o.Directory.User(ctx, r.Member)
	if errors.Is(err, threads.ErrNotFound) {
		return Permanent(err)
	}
	if err != nil {
		return err
	}
	if !slices.Contains(room.Members, r.Member) {
		return Permanent(fmt.Errorf("transcript of %s: %s: %w", r.Room, r.Member, threads.ErrNotMember))
	}
	if room.Confidential { // confidential.go: the file only goes encrypted
		c, handled, err := e.confidential(ctx, Parcel{Member: u, Room: room})
		if handled {
			return err
		}
		ctx = c
	}
	max := e.o.MaxTranscriptBytes
	if max <= 0 {
		max = MaxTranscriptBytes
	}
	var buf bytes.Buffer
	res, err := transcript.Write(ctx, &buf, e.o.Chat, transcript.Options{Room: room, Format: transcript.HTML, From: r.Since,
		Loc: u.Location(), Domain: e.o.Domain, MaxBytes: max, Now: e.o.Chat.Options().Now})
	if err != nil {
		return fmt.Errorf("transcript of %s for %s: %w", r.Room, r.Member, err)
	}
	data := TranscriptText{Room: room.Name, Since: r.Since, Loc: u.Location(), Lines: res.Lines, Cut: res.Cut, LimitMB: max >> 20}
	tmpl := e.o.Composer.Templates()
	title, err := tmpl.Render("email-transcript-subject.txt", data)
	if err != nil {
		return Permanent(err)
	}
	text, err := tmpl.Render("email-transcript.txt", data)
	if err != nil {
		return Permanent(err)
	}
	name := room.ID + "-transcript-" + e.o.Chat.Options().Now().In(u.Location()).Format("2006-01-02") + ".html"
	msg, err := e.o.Composer.NoticeWithFile(mailcompose.Notice{To: mail.Address{Name: u.Name, Address: r.To},
		Subject: "email-notice-subject.txt", Body: "email-notice.txt", InReplyTo: r.InReplyTo,
		Data: mailcompose.NoticeText{Title: strings.TrimSpace(title), Text: strings.TrimSpace(text)}},
		mailcompose.File{Name: name, ContentType: "text/html; charset=utf-8", Data: buf.Bytes()})
	if err != nil {
		return Permanent(err)
	}
	return send(ctx, e.o.Transport, e.o.Auth, msg)
}

// TranscriptText is the data of email-transcript-subject.txt and
// email-transcript.txt, the email that carries a transcript.
type TranscriptText struct {
	// Room is the room's name.
	Room string
	// Since is where the transcript starts; zero for the whole room.
	Since time.Time
	// Loc is the member's time zone, the transcript's.
	Loc *time.Location
	// Lines is how many lines the transcript holds.
	Lines int
	// Cut: the transcript was cut at the size limit, LimitMB megabytes.
	Cut     bool
	LimitMB int64
}

func init() {
	for _, name := range []string{"email-transcript-subject.txt", "email-transcript.txt"} {
		templates.Declare(name, TranscriptText{Room: "Design", Loc: time.UTC, Lines: 1},
			TranscriptText{Room: "Design", Since: time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC), Loc: time.UTC, Lines: 40, Cut: true, LimitMB: 2})
	}
}

// transcribe mails the transcripts asked for by email, through the email
// channel when it can. One that fails for now is taken again after the
// lease.
func (w *Worker) transcribe(ctx context.Context) {
	ts, ok := w.channels[threads.Email].(TranscriptSender)
	if !ok {
		return
	}
	reqs, err := w.queue.ClaimTranscripts(ctx, w.opts.Consumer, 2, w.opts.Lease)
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
		if err := w.queue.AckTranscript(ctx, r); err != nil {
			log.Warn("settle transcript request", "err", err)
		}
	}
}
