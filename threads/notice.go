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

// Notice is a short email parley writes on its own to someone: why their
// mail was not posted, which files were refused. Notices are rate-limited
// per address and kind, so no one gets more than one of a kind a day.
type Notice struct {
	// To is the address to write to.
	To string `json:"to"`
	// Kind groups notices for the rate limit ("refused", "files").
	Kind string `json:"kind"`
	// Title is the subject; Text the body.
	Title string `json:"title"`
	Text  string `json:"text"`
	// InReplyTo is the Message-ID (no angle brackets) of the mail answered.
	InReplyTo string `json:"in_reply_to,omitempty"`
	// Name is the recipient's display name, when known.
	Name string `json:"name,omitempty"`
	// Link, when set, is a URL the notice is about (a sign-in link).
	Link string `json:"link,omitempty"`
	// Channel is how the notice goes: email (when empty; To is an
	// address) or sms (To is an E.164 number): auto-replies and texted codes.
	Channel Channel `json:"channel,omitempty"`
	// AutoReply is set on an away member's auto-reply sent back to the
	// person who wrote to them (kind NoticeAutoReply); outbound renders it
	// from its own templates.
	AutoReply *AutoReplyBack `json:"auto_reply,omitempty"`

	id string // stream entry, set when claimed
}

// noticePeriod is the rate limit: one notice of a kind per address per day.
const noticePeriod = 24 * time.Hour

// NoticeSignIn is the kind of the notices that carry a sign-in link.
const NoticeSignIn = "signin"

// NoticeSignInCode is the kind of the texts that carry a sign-in code
// (Channel SMS; Text is the code). They share the sign-in link's limit.
const NoticeSignInCode = "signin-code"

// NoticePhoneCode is the kind of the texts that carry a code proving a
// member's phone (Channel SMS; Text is the code), limited like sign-in codes.
const NoticePhoneCode = "phone-code"

// NoticeAutoReply is the kind of an away member's auto-reply sent back to
// the sender on the channel they wrote from (threads/autoreplyback.go).
const NoticeAutoReply = "autoreply"

// NoticeFileLink is the kind of the notices that carry a fresh file link,
// asked for on the page of an expired one: Title is the file's name, Text
// the room's name, Link the new link.
const NoticeFileLink = "filelink"

// NoticeMeeting is the kind of the notices that give a member who asked
// for a meeting by email its link.
const NoticeMeeting = "meeting"

// noticeLimit is how many notices of a kind one address gets per period.
// A sign-in link is asked for on purpose, so a few an hour are fine; the
// limit keeps anyone from flooding an inbox with them.
func noticeLimit(kind string) (int, time.Duration) {
	if kind == NoticeSignIn || kind == NoticeSignInCode || kind == NoticePhoneCode || kind == NoticeFileLink || kind == NoticeMeeting {
		return 5, time.Hour
	}
	return 1, noticePeriod
}

const noticeGroup = "notifiers"

// QueueNotice queues n unless the address already had its share of notices
// of that kind (one a day; sign-in links five an hour). It reports whether
// it was queued. To is an email address, or an E.164 number when the
// notice goes by SMS.
func (s *Queue) QueueNotice(ctx context.Context, n Notice) (bool, error) {
	n.To = strings.ToLower(strings.TrimSpace(n.To))
	if n.Channel == SMS {
		if err := ValidPhone(n.To); err != nil {
			return false, err
		}
	} else if _, err := NormalizeEmail(n.To); err != nil {
		return false, err
	}
	data, _ := json.Marshal(n)
	sum := sha256.Sum256([]byte(n.Kind + "\x00" + n.To))
	marker := s.k.noticeSent(hex.EncodeToString(sum[:16]))
	limit, period := noticeLimit(n.Kind)
	queued, err := scriptQueueNotice.Run(ctx, s.rdb, []string{marker, s.k.notices()}, int(period/time.Second), data, limit).Int()
	if err != nil {
		return false, fmt.Errorf("queue %s notice to %s: %w", n.Kind, n.To, err)
	}
	return queued == 1, nil
}

// ClaimNotices takes up to count queued notices for consumer, first the
// ones another consumer took more than minIdle ago and never acknowledged.
func (s *Queue) ClaimNotices(ctx context.Context, consumer string, count int, minIdle time.Duration) ([]Notice, error) {
	out, err := claimJSON(ctx, s.base, s.k.notices(), noticeGroup, consumer, count, minIdle, func(n *Notice, id string) { n.id = id })
	if err != nil {
		return nil, fmt.Errorf("claim notices: %w", err)
	}
	return out, nil
}

// AckNotice settles a notice: sent, or given up.
func (s *Queue) AckNotice(ctx context.Context, n Notice) error {
	if n.id == "" {
		return invalid("notice to %s was not claimed", n.To)
	}
	if err := s.settleStream(ctx, s.k.notices(), noticeGroup, n.id); err != nil {
		return fmt.Errorf("settle notice to %s: %w", n.To, err)
	}
	return nil
}
