package outbound

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"parley/outbound/smsfmt"
	"parley/templates"
	"parley/threads"
)

// AutoReplyText is the data of the auto-reply sent back to a sender on
// the channel they wrote from (email-autoreply-subject.txt,
// email-autoreply.txt, sms-autoreply.txt).
type AutoReplyText struct {
	// Name is the sender's display name.
	Name string
	// Member is the away member's name; Text their status text.
	Member string
	Text   string
	// Room is the name of the room the sender wrote in.
	Room string
}

// Template names of the auto-reply sent back.
const (
	autoReplySubject = "email-autoreply-subject.txt"
	autoReplyBody    = "email-autoreply.txt"
	autoReplySMS     = "sms-autoreply.txt"
)

func init() {
	full := AutoReplyText{Name: "Alice Archer", Member: "Bob Ray", Text: "at the clinic (until Fri 2 Jan 17:00 CET)", Room: "Design"}
	for _, name := range []string{autoReplySubject, autoReplyBody, autoReplySMS} {
		templates.Declare(name, AutoReplyText{}, full)
	}
}

// autoReplyText is the template data of an auto-reply notice.
func autoReplyText(n threads.Notice) AutoReplyText {
	a := n.AutoReply
	return AutoReplyText{Name: n.Name, Member: a.Member, Text: a.Text, Room: cmp.Or(a.RoomName, a.Room)}
}

// maxAutoReplySegments caps an auto-reply text; a longer status is cut.
const maxAutoReplySegments = 2

var _ Notifier = (*SMS)(nil)

// SendNotice texts the notices that go by SMS: an away member's
// auto-reply back to a sender who wrote by text (sendAutoReply) and the
// texted codes, for sign-in and to prove a phone (codes.go). Any other
// kind is refused for good.
func (s *SMS) SendNotice(ctx context.Context, n threads.Notice) error {
	if name, ok := codeTemplates[n.Kind]; ok {
		return s.sendCode(ctx, n, name)
	}
	if n.Kind == threads.NoticeAutoReply && n.AutoReply != nil {
		return s.sendAutoReply(ctx, n)
	}
	return Permanent(fmt.Errorf("a %s notice does not go by text", n.Kind))
}

// sendAutoReply texts an auto-reply from the number bound to the room, so
// an answer to it lands in the room, and takes its segments from the
// sender's daily budget: over budget it is not sent.
func (s *SMS) sendAutoReply(ctx context.Context, n threads.Notice) error {
	a := n.AutoReply
	log := s.log.With("member", a.Sender, "room", a.Room, "kind", n.Kind)
	body, err := s.o.Templates.Render(autoReplySMS, autoReplyText(n))
	if err != nil {
		return Permanent(err)
	}
	body = cutSegments(smsfmt.Normalize(strings.TrimSpace(body)), maxAutoReplySegments)
	sender := threads.User{ID: a.Sender, Phone: n.To, TimeZone: a.SenderZone}
	from, _, err := s.number(ctx, Parcel{Member: sender, Room: threads.Room{ID: a.Room}})
	if err != nil {
		return err
	}
	segments, _, _ := smsfmt.Segments(body)
	ok, used, err := s.o.SMS.ReserveSMSSegments(ctx, sender, segments, s.o.DailySegments)
	if err != nil {
		return err
	}
	if !ok {
		log.Info("auto-reply not texted: daily text budget reached", "used", used, "budget", s.o.DailySegments)
		return nil
	}
	if _, err := s.o.Sender.Send(ctx, n.To, from, body); err != nil {
		if rerr := s.o.SMS.RefundSMSSegments(ctx, sender, segments); rerr != nil {
			log.Warn("refund text budget", "err", rerr)
		}
		return err
	}
	if err := s.o.SMS.NoteSMSSent(ctx, n.To, from, a.Room); err != nil {
		log.Warn("note the room texted", "err", err)
	}
	return nil
}

// cutSegments cuts text to at most max segments, ending with "…".
func cutSegments(text string, max int) string {
	if n, _, _ := smsfmt.Segments(text); n <= max {
		return text
	}
	r := []rune(text)
	for len(r) > 1 {
		r = r[:len(r)-1]
		if n, _, _ := smsfmt.Segments(string(r) + "..."); n <= max {
			return string(r) + "..."
		}
	}
	return string(r)
}
