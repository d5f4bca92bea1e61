package outbound

import (
	"context"
	"strings"

	"parley/outbound/twiliosms"
	"parley/threads"
)

// MediaSender sends picture messages (MMS): Twilio fetches each media URL
// and sends it with the text. The outbox has none: texts there carry the
// links only.
type MediaSender interface {
	SendMedia(ctx context.Context, to, from, body string, media []string) (sid string, err error)
}

var _ MediaSender = (*twiliosms.Sender)(nil)

// maxMMSImage is the largest image sent as a picture message (Twilio's
// limit is 5 MB a message); larger ones stay links in the text.
const maxMMSImage = 5 << 20

// Images returns the member's signed links to the images of the lines,
// for a picture message: at most twiliosms.MaxMedia, each at most
// maxMMSImage. It is empty when the member turned picture messages off.
func (f *Files) Images(member threads.User, lines []threads.Line) []string {
	if f == nil || !member.Prefs.WantsMMS() {
		return nil
	}
	var out []string
	for _, l := range lines {
		for i, a := range l.Attachments {
			if !strings.HasPrefix(a.Type, "image/") || a.Size > maxMMSImage || len(out) == twiliosms.MaxMedia {
				continue
			}
			if link := f.Link(member, l, i); link != "" {
				out = append(out, link)
			}
		}
	}
	return out
}

// sendText sends body to the member's phone: as a picture message with
// the batch's images when the sender can (Twilio) and the member wants
// them, else as a text.
func (s *SMS) sendText(ctx context.Context, d Parcel, from, body string) (string, error) {
	if ms, ok := s.o.Sender.(MediaSender); ok && !d.Room.Confidential {
		if media := s.o.Files.Images(d.Member, d.Lines); len(media) > 0 {
			return ms.SendMedia(ctx, d.Member.Phone, from, body, media)
		}
	}
	return s.o.Sender.Send(ctx, d.Member.Phone, from, body)
}
