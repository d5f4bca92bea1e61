package outbound

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"parley/internal/filelink"
	"parley/outbound/smsfmt"
	"parley/outbound/twiliosms"
	"parley/templates"
	"parley/threads"
)

// TextSender sends one text message: Twilio (twiliosms.Sender) or the
// outbox. An empty from means the sender's default number or service.
type TextSender interface {
	Send(ctx context.Context, to, from, body string) (sid string, err error)
}

var _ TextSender = (*twiliosms.Sender)(nil)

// DefaultDailySegments is a member's daily text budget, in segments, when
// SMSOptions leaves it unset.
const DefaultDailySegments = 20

// SMSOptions configure the SMS channel.
type SMSOptions struct {
	// SMS keeps what the channel remembers: pool bindings, the room each
	// member last got a text from, the daily budget and the sent texts.
	SMS    *threads.SMSState
	Sender TextSender
	// Budget is the most segments one text may use (smsfmt.DefaultBudget).
	Budget int
	// PublicURL links to the room when a text had to be cut.
	PublicURL string
	// Pool are the parley numbers (PARLEY_SMS_NUMBERS). With a pool, each
	// (member phone, parley number) pair is bound to one room, so replies
	// need no prefix; when the member has more rooms than the pool has
	// numbers, texts come from DefaultFrom with a "#room" hint instead.
	Pool []string
	// DefaultFrom is the number texts come from without a pool, or when the
	// pool is used up; "" means the sender's default (PARLEY_SMS_FROM, the
	// messaging service, else the pool's first number).
	DefaultFrom string
	// DailySegments is the most segments one member gets a day (in their
	// time zone); DefaultDailySegments when 0 or less. A batch over it
	// goes by email when the member has a working address, else it waits
	// for the digest.
	DailySegments int
	// Fallback is the channel a batch goes by instead when texting is not
	// possible (over budget, opted out, unreachable): the email channel.
	Fallback Carrier
	// Templates render the texts parley writes itself: an auto-reply back
	// to a sender, and the text that stands in for a confidential room's
	// lines (sms-confidential.txt); NewSMS sets templates.Default() when nil.
	Templates *templates.Set
	// Files makes the members' links to the lines' files; nil: files
	// are left out of texts.
	Files *Files
	Log   *slog.Logger
}

// SMS delivers batches as compact text messages: "[Design] Alice: text".
type SMS struct {
	o   SMSOptions
	log *slog.Logger
}

var _ Carrier = (*SMS)(nil)

// NewSMS returns the SMS channel.
func NewSMS(o SMSOptions) *SMS {
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	if o.DailySegments <= 0 {
		o.DailySegments = DefaultDailySegments
	}
	if o.Templates == nil {
		o.Templates = templates.Default()
	}
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	return &SMS{o: o, log: log.With("channel", threads.SMS)}
}

// Deliver formats the batch as one text, cut at the segment budget with a
// link to the room, and sends it to the member's phone from the number
// bound to the room. The segments are taken from the member's daily budget
// before sending; the text's SID is recorded with its member, room and
// lines for the status callbacks, and the room as the one the member last
// got a text from on that number.
func (s *SMS) Deliver(ctx context.Context, d Parcel) error {
	if d.Member.Phone == "" {
		return Permanent(fmt.Errorf("%s has no phone", d.Member.ID))
	}
	log := s.log.With("member", d.Member.ID, "room", d.Room.ID)
	from, hint, err := s.number(ctx, d)
	if err != nil {
		return err
	}
	body := s.format(d, hint)
	if d.Room.Confidential { // confidential.go: texts never carry the lines
		if body, err = s.confidentialText(d); err != nil {
			return Permanent(err)
		}
	}
	if body == "" {
		return nil // nothing readable to send (attachments only)
	}
	segments, _, _ := smsfmt.Segments(body)
	ok, used, err := s.o.SMS.ReserveSMSSegments(ctx, d.Member, segments, s.o.DailySegments)
	if err != nil {
		return err
	}
	if !ok {
		log.Info("daily text budget reached", "used", used, "segments", segments, "budget", s.o.DailySegments)
		return s.instead(ctx, log, d, "daily text budget reached")
	}
	sid, err := s.sendText(ctx, d, from, body)
	if err != nil {
		if rerr := s.o.SMS.RefundSMSSegments(ctx, d.Member, segments); rerr != nil {
			log.Warn("refund text budget", "err", rerr)
		}
		return s.failed(ctx, log, d, err)
	}
	// The text is gone: failing to record it must not send it again.
	lines := make([]string, len(d.Lines))
	for i, l := range d.Lines {
		lines[i] = l.ID
	}
	if err := s.o.SMS.RecordSMS(ctx, threads.SMSMessage{SID: sid, Member: d.Member.ID, Room: d.Room.ID, Lines: lines,
		To: d.Member.Phone, From: from, Segments: segments}); err != nil && !errors.Is(err, threads.ErrInvalid) {
		log.Warn("record sent text", "sid", sid, "err", err)
	}
	if err := s.o.SMS.NoteSMSSent(ctx, d.Member.Phone, from, d.Room.ID); err != nil {
		log.Warn("note the room texted", "err", err)
	}
	return nil
}

// number picks the number to send from: the pool number bound to the room
// for this member, else the default with a "#room" hint (hint true).
func (s *SMS) number(ctx context.Context, d Parcel) (from string, hint bool, err error) {
	if len(s.o.Pool) == 0 {
		return s.o.DefaultFrom, false, nil
	}
	n, err := s.o.SMS.BindSMSNumber(ctx, d.Member.Phone, d.Room.ID, s.o.Pool)
	if err != nil {
		if errors.Is(err, threads.ErrInvalid) {
			return "", false, Permanent(err)
		}
		return "", false, err
	}
	if n != "" {
		return n, false, nil
	}
	return s.o.DefaultFrom, true, nil
}

// format renders the batch. With hint, the room is shown as "#id", the way
// a reply names it, instead of its name.
func (s *SMS) format(d Parcel, hint bool) string {
	room := d.Room.Name
	if hint {
		room = "#" + d.Room.ID
	}
	lines := make([]smsfmt.Line, len(d.Lines))
	var files []smsfmt.File
	for i, l := range d.Lines {
		lines[i] = smsfmt.Line{Room: room, Name: l.Name, Text: l.Text}
		if s.o.Files != nil {
			for j, a := range l.Attachments {
				files = append(files, smsfmt.File{Name: a.Name, Size: filelink.Size(a.Size), Link: s.o.Files.Link(d.Member, l, j)})
			}
		}
	}
	link := ""
	if s.o.PublicURL != "" {
		link = s.o.PublicURL + "/rooms/" + d.Room.ID
	}
	return smsfmt.FormatWithFiles(lines, files, smsfmt.Options{Budget: s.o.Budget, Link: link})
}

// failed maps a failed send to what the worker does with the batch:
//   - opted out (21610): texts are turned off for the member and the
//     batch goes by email (or waits for the digest);
//   - unreachable handset (30003–30008 when Twilio says so at once): one
//     failure towards the phone failure policy; the batch goes by email,
//     or is retried when the member has no working email;
//   - parley's own Twilio setup (authentication, sender number): retried,
//     no member is blamed;
//   - a bad number and any other permanent refusal: dead-lettered, and the
//     phone marked failing;
//   - rate limits, network errors, 5xx: retried with backoff.
func (s *SMS) failed(ctx context.Context, log *slog.Logger, d Parcel, err error) error {
	var te *twiliosms.Error
	if !errors.As(err, &te) {
		return err
	}
	switch {
	case te.Temporary:
		return err
	case te.Kind == twiliosms.KindOptedOut:
		if _, uerr := s.o.SMS.SetSMSOptOut(ctx, d.Member.ID, true); uerr != nil {
			return fmt.Errorf("turn texts off after %w: %v", err, uerr)
		}
		log.Warn("member opted out of texts at Twilio; texts turned off", "err", err)
		d.Member.SMSOptOut = true
		return s.instead(ctx, log, d, "opted out of texts")
	case te.Kind == twiliosms.KindUnreachable:
		marked, ferr := s.o.SMS.PhoneFailed(ctx, d.Member.ID, d.Member.Phone, attemptID(d), false)
		if ferr != nil {
			return fmt.Errorf("%w (and recording the failure: %v)", err, ferr)
		}
		if marked {
			log.Warn("phone marked failing", "err", err)
			return settled(Permanent(err))
		}
		if emailUsable(d.Member) && s.o.Fallback != nil {
			return s.instead(ctx, log, d, "handset unreachable")
		}
		return err // retried
	case te.Kind == twiliosms.KindAccount:
		log.Error("Twilio refused parley's own settings; the batch waits", "err", err)
		return err
	}
	return Permanent(err)
}

// instead delivers the batch by email when the member has a working
// address; otherwise the lines wait for the member's digest.
func (s *SMS) instead(ctx context.Context, log *slog.Logger, d Parcel, why string) error {
	if s.o.Fallback == nil || !emailUsable(d.Member) {
		log.Info("not texted; the lines wait for the digest", "why", why)
		return nil
	}
	log.Info("not texted; the batch goes by email instead", "why", why)
	if err := s.o.Fallback.Deliver(ctx, d); err != nil {
		if IsPermanent(err) {
			// The email failed for good: that is not the phone's fault.
			return settled(err)
		}
		return err
	}
	return nil
}

func emailUsable(u threads.User) bool { return u.Email() != "" && !u.EmailFailing }

// attemptID names one attempt of a batch, letters and digits, for the
// phone failure count when Twilio gave no message SID.
func attemptID(d Parcel) string {
	h := sha256.New()
	for _, l := range d.Lines {
		h.Write([]byte(d.Room.ID + "/" + l.ID + "\x00"))
	}
	h.Write([]byte(d.Member.ID + "/" + strconv.Itoa(d.Batch.Attempt)))
	return "try" + hex.EncodeToString(h.Sum(nil)[:12])
}

// TextOutbox is a TextSender that keeps texts in the queue's outbox
// instead of sending them: without Twilio settings, and always in the
// demo. Its "SIDs" are letters and digits, like Twilio's.
type TextOutbox struct {
	Queue *threads.Queue
}

// Send keeps the text.
func (o TextOutbox) Send(ctx context.Context, to, _, body string) (string, error) {
	id, err := o.Queue.AddToOutbox(ctx, threads.OutboxEntry{Channel: threads.SMS, To: to, Body: body})
	if err != nil {
		return "", err
	}
	return "OB" + strings.ReplaceAll(id, "-", "x"), nil
}
