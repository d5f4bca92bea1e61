package threads

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// Meetings. /meet in any door posts a system line with a meeting link,
// which goes to every member at once on their channel, past the batching
// window (Job.Now), quiet hours still respected. The link is the room's
// fixed one (SetMeetingURL) or Options.MeetURL plus an unguessable name.
// The line remembers its link in its source id, "meet:NONCE URL", so that every
// reader knows it for a meeting (Line.Meeting) without a field of its own.

// DefaultMeetURL starts meeting links when Options.MeetURL is empty.
const DefaultMeetURL = "https://meet.jit.si/"

// meetingField names a room's fixed meeting link in its meta hash.
const meetingField = "meeting"

// meetSource starts the source id of a meeting line.
const meetSource = "meet:"

// MaxMeetTopic is the longest topic a meeting line carries.
const MaxMeetTopic = 200

// Meeting returns the meeting link of a meeting line, "" for any other.
func (l Line) Meeting() string {
	if l.Origin != FromSystem {
		return ""
	}
	rest, ok := strings.CutPrefix(l.SourceID, meetSource)
	if !ok {
		return ""
	}
	_, link, _ := strings.Cut(rest, " ")
	return link
}

// CutMeet reports whether text is a /meet command ("/meet", "/meet topic",
// any case, after blanks) and returns the topic.
func CutMeet(text string) (topic string, ok bool) {
	t := strings.TrimSpace(text)
	if len(t) < 5 || !strings.EqualFold(t[:5], "/meet") {
		return "", false
	}
	rest := t[5:]
	if rest != "" && !unicode.IsSpace(rune(rest[0])) {
		return "", false // "/meeting" is not the command
	}
	return strings.Join(strings.Fields(rest), " "), true
}

// SetMeetingURL fixes the meeting link of a room (a standing video room);
// "" goes back to a fresh link per meeting. Audited under actor.
func (s *Chat) SetMeetingURL(ctx context.Context, actor, room, link string) error {
	if link != "" {
		if err := checkMeetURL(link); err != nil {
			return err
		}
	}
	if err := ValidID("room", room); err != nil {
		return err
	}
	n, err := scriptRoomSetting.Run(ctx, s.rdb, []string{s.k.room(room)}, meetingField, link).Int()
	if err != nil {
		return fmt.Errorf("set meeting link of %s: %w", room, err)
	}
	if n == 0 {
		return fmt.Errorf("room %s: %w", room, ErrNotFound)
	}
	detail := link
	if link == "" {
		detail = "a fresh link per meeting"
	}
	return s.dir.auditDone(ctx, AuditEntry{Actor: actor, Action: "room.set-meeting", Target: "room " + room, Detail: detail})
}

func checkMeetURL(link string) error {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(link) > 500 {
		return invalid("meeting link %q is not an http(s) address", link)
	}
	return nil
}

var meetNames = base32.StdEncoding.WithPadding(base32.NoPadding)

// Meet posts a meeting line in room for member: "Alice started a
// meeting: topic" with the link. The member must belong to the room.
// source, when not empty, is the outside id of the request (an email's
// Message-ID, a text's SID): the same request twice posts one meeting.
func (s *Chat) Meet(ctx context.Context, room, member, topic string, origin Origin, source string) (Posted, error) {
	if err := ValidID("room", room); err != nil {
		return Posted{}, err
	}
	in, err := s.IsMember(ctx, room, member)
	if err != nil {
		return Posted{}, err
	}
	if !in {
		return Posted{}, fmt.Errorf("meet in %s as %s: %w", room, member, ErrNotMember)
	}
	u, err := s.dir.User(ctx, member)
	if err != nil {
		return Posted{}, err
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	if source != "" {
		sum := sha256.Sum256([]byte("meet\x00" + string(s.opts.Secret) + "\x00" + room + "\x00" + member + "\x00" + source))
		copy(b[:], sum[:])
	}
	nonce := strings.ToLower(meetNames.EncodeToString(b[:]))
	link, err := s.rdb.HGet(ctx, s.k.room(room), meetingField).Result()
	if err != nil || link == "" {
		base := s.opts.MeetURL
		if base == "" {
			base = DefaultMeetURL
		}
		link = strings.TrimRight(base, "/") + "/parley-" + nonce
	}
	topic = cutUTF8(strings.Join(strings.Fields(topic), " "), MaxMeetTopic)
	text := u.Name + " started a meeting"
	if topic != "" {
		text += ": " + topic
	}
	text += " — join: " + link
	p, err := s.Post(ctx, NewLine{Room: room, Author: member, AuthorName: u.Name, Text: text, Origin: FromSystem,
		SourceID: meetSource + nonce + " " + link, SourceFor: time.Hour, Detach: origin != FromWeb && origin != FromAPI})
	if err != nil {
		return p, err
	}
	s.log.Debug("meeting started", "room", room, "member", member, "origin", string(origin))
	return p, nil
}
