package outbound

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"parley/outbound/smsfmt"
	"parley/outbound/twiliosms"
	"parley/threads"
)

// TextSender sends one text message: Twilio (twiliosms.Sender) or the
// outbox. An empty from means the sender's default number or service.
type TextSender interface {
	Send(ctx context.Context, to, from, body string) (sid string, err error)
}

var _ TextSender = (*twiliosms.Sender)(nil)

// SMSOptions configure the SMS channel.
type SMSOptions struct {
	Sender TextSender
	// Budget is the most segments one text may use (smsfmt.DefaultBudget).
	Budget int
	// PublicURL links to the room when a text had to be cut.
	PublicURL string
}

// SMS delivers batches as compact text messages: "[Design] Alice: text".
type SMS struct {
	o SMSOptions
}

var _ Channel = (*SMS)(nil)

// NewSMS returns the SMS channel.
func NewSMS(o SMSOptions) *SMS {
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	return &SMS{o: o}
}

// Deliver formats the batch as one text, cut at the segment budget with a
// link to the room, and sends it to the member's phone.
func (s *SMS) Deliver(ctx context.Context, d Delivery) error {
	if d.Member.Phone == "" {
		return Permanent(fmt.Errorf("%s has no phone", d.Member.ID))
	}
	lines := make([]smsfmt.Line, len(d.Lines))
	for i, l := range d.Lines {
		lines[i] = smsfmt.Line{Room: d.Room.Name, Name: l.Name, Text: l.Text}
	}
	link := ""
	if s.o.PublicURL != "" {
		link = s.o.PublicURL + "/rooms/" + d.Room.ID
	}
	body := smsfmt.Format(lines, smsfmt.Options{Budget: s.o.Budget, Link: link})
	if body == "" {
		return nil // nothing readable to send (attachments only)
	}
	if _, err := s.o.Sender.Send(ctx, d.Member.Phone, "", body); err != nil {
		var te *twiliosms.Error
		if errors.As(err, &te) && !te.Temporary {
			return Permanent(err)
		}
		return err
	}
	return nil
}

// TextOutbox is a TextSender that keeps texts in the store instead of
// sending them: without Twilio settings, and always in the demo.
type TextOutbox struct {
	Store *threads.Store
}

// Send keeps the text.
func (o TextOutbox) Send(ctx context.Context, to, _, body string) (string, error) {
	return o.Store.AddToOutbox(ctx, threads.OutboxEntry{Channel: threads.SMS, To: to, Body: body})
}
