package threads

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Auto-replies back on the sender's channel.
//
// An auto-reply line (autoreply.go) is shown live to whoever has the room
// open. A sender who wrote by email or SMS is not looking at the room, so
// the same answer also goes back to them where they wrote from, as a
// notice for outbound (which knows SMTP and Twilio; threads does not):
//
//   - by email: one email marked Auto-Submitted: auto-replied, In-Reply-To
//     the sender's message (outbound/mailcompose), sent to the member's
//     first address unless it bounces;
//   - by SMS: one text to the sender's phone, unless they opted out, taken
//     from their daily segment budget when it is sent (outbound/sms.go).
//
// It is queued only when the auto-reply was claimed (once per sender per
// period), and idempotently per line and member, so a fan-out run again by
// recovery queues nothing more. Automatic mail never becomes a line, so it
// is never answered; the notice itself is marked automatic and a reply to
// it is a person's new line like any other, never an auto-reply's trigger
// of a loop (auto-replies never answer auto-replies).

// AutoReplyBack is what outbound needs to write an auto-reply back to the
// sender.
type AutoReplyBack struct {
	// Member is the name of the member who answers; Text their status text
	// (with its until-time).
	Member string `json:"member"`
	Text   string `json:"text"`
	// Room and RoomName say where the sender wrote.
	Room     string `json:"room"`
	RoomName string `json:"room_name,omitempty"`
	// Sender is the user id of the person answered (their text budget).
	Sender string `json:"sender"`
	// SenderZone is the sender's time zone (their budget's day).
	SenderZone string `json:"sender_zone,omitempty"`
}

// autoReplyBack returns the notice that carries member's auto-reply text
// back to the author of in.Line on the channel it came from, or false when
// the line came from the web or API (the live line is enough) or the
// sender cannot be reached there.
func autoReplyBack(in AutoReplyInput, text, roomName string) (Notice, bool) {
	a := in.Author
	n := Notice{Kind: NoticeAutoReply, Name: a.Name, AutoReply: &AutoReplyBack{Member: in.Member.Name, Text: text,
		Room: in.Line.Room, RoomName: roomName, Sender: a.ID, SenderZone: a.TimeZone}}
	switch in.Line.Origin {
	case FromEmail:
		if a.Email() == "" || a.EmailFailing {
			return Notice{}, false
		}
		n.To, n.Channel = a.Email(), Email
		// The email door's source id is "email:AUTHOR:MESSAGE-ID"
		// (inbound/dedupe.go); a reply without a Message-ID has none.
		if id, ok := strings.CutPrefix(in.Line.SourceID, "email:"+a.ID+":"); ok {
			n.InReplyTo = id
		}
	case FromSMS:
		if a.Phone == "" || a.SMSOptOut || a.PhoneFailing {
			return Notice{}, false
		}
		n.To, n.Channel = a.Phone, SMS
	default:
		return Notice{}, false
	}
	return n, true
}

// queueAutoReplyBack queues n once for the trigger ("room/line") and
// member: the marker makes a second call (recovery) queue nothing.
func (s *Chat) queueAutoReplyBack(ctx context.Context, n Notice, member, trigger string) error {
	data, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("auto-reply of %s back to %s: %w", member, n.AutoReply.Sender, err)
	}
	sum := sha256.Sum256([]byte(NoticeAutoReply + "\x00" + member + "\x00" + trigger))
	marker := s.k.noticeSent(hex.EncodeToString(sum[:16]))
	period := max(s.opts.AutoReplyPeriod, time.Hour)
	if err := scriptQueueNotice.Run(ctx, s.rdb, []string{marker, s.k.notices()}, int(period/time.Second), data, 1).Err(); err != nil {
		return fmt.Errorf("auto-reply of %s back to %s: %w", member, n.AutoReply.Sender, err)
	}
	return nil
}
