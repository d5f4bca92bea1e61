package threads

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// MarkRead records that member has seen room's lines up to and including
// line. The marker only moves forward.
func (s *Chat) MarkRead(ctx context.Context, room, member, line string) error {
	if !streamID.MatchString(line) {
		return invalid("line id %q is not like 1732500000000-0", line)
	}
	if !strings.Contains(line, "-") {
		line += "-0"
	}
	ok, err := s.IsMember(ctx, room, member)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("mark read in %s by %s: %w", room, member, ErrNotMember)
	}
	if err := scriptMarkRead.Run(ctx, s.rdb, []string{s.k.read(room)}, member, line).Err(); err != nil {
		return fmt.Errorf("mark read in %s by %s: %w", room, member, err)
	}
	return nil
}

// ReadMarker returns the id of the last line member has seen in room, or "".
func (s *Chat) ReadMarker(ctx context.Context, room, member string) (string, error) {
	id, err := s.rdb.HGet(ctx, s.k.read(room), member).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read marker of %s in %s: %w", member, room, err)
	}
	return id, nil
}

// Seen reports whether a line id is at or before a read marker.
func Seen(line, marker string) bool {
	return marker != "" && compareStreamIDs(line, marker) <= 0
}

// OutboxEntry is a message parley would have sent: kept, instead of sent,
// when no smarthost or SMS provider is configured (and always in the demo).
type OutboxEntry struct {
	ID      string  `json:"id"`
	Channel Channel `json:"channel"`
	To      string  `json:"to"`
	Subject string  `json:"subject,omitempty"`
	// Body is the whole message: an RFC 5322 email or the text of an SMS.
	Body string    `json:"body"`
	Time time.Time `json:"time"`
}

// outboxMax is how many entries the outbox keeps (the oldest go first).
const outboxMax = 1000

// AddToOutbox keeps a message that was not sent for real.
func (s *Queue) AddToOutbox(ctx context.Context, e OutboxEntry) (string, error) {
	id, err := s.rdb.XAdd(ctx, &redis.XAddArgs{Stream: s.k.outbox(), MaxLen: outboxMax, Approx: true,
		Values: []any{"c", string(e.Channel), "to", e.To, "s", s.seal(e.Subject), "b", s.seal(e.Body), "ts", s.now().UnixMilli()}}).Result()
	if err != nil {
		return "", fmt.Errorf("add to outbox: %w", err)
	}
	return id, nil
}

// Outbox lists kept messages after an id ("" for the oldest), oldest first.
func (s *Queue) Outbox(ctx context.Context, after string, limit int) ([]OutboxEntry, error) {
	lo := "-"
	if after != "" {
		if !streamID.MatchString(after) {
			return nil, invalid("outbox id %q is not like 1732500000000-0", after)
		}
		lo = "(" + after
	}
	if limit <= 0 || limit > MaxPage {
		limit = MaxPage
	}
	msgs, err := s.rdb.XRangeN(ctx, s.k.outbox(), lo, "+", int64(limit)).Result()
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	out := make([]OutboxEntry, 0, len(msgs))
	for _, m := range msgs {
		e, err := s.decodeOutbox(m)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// OutboxEntry reads one kept message.
func (s *Queue) OutboxEntry(ctx context.Context, id string) (OutboxEntry, error) {
	if !streamID.MatchString(id) {
		return OutboxEntry{}, invalid("outbox id %q is not like 1732500000000-0", id)
	}
	msgs, err := s.rdb.XRange(ctx, s.k.outbox(), id, id).Result()
	if err != nil {
		return OutboxEntry{}, fmt.Errorf("read outbox entry %s: %w", id, err)
	}
	if len(msgs) == 0 {
		return OutboxEntry{}, fmt.Errorf("outbox entry %s: %w", id, ErrNotFound)
	}
	return s.decodeOutbox(msgs[0])
}

// decodeOutbox turns a stream entry into an OutboxEntry, subject and body
// opened (seal.go).
func (s *Queue) decodeOutbox(m redis.XMessage) (OutboxEntry, error) {
	get := func(k string) string { v, _ := m.Values[k].(string); return v }
	ms, _ := strconv.ParseInt(get("ts"), 10, 64)
	subject, err := s.open("outbox entry "+m.ID, get("s"))
	if err != nil {
		return OutboxEntry{}, err
	}
	body, err := s.open("outbox entry "+m.ID, get("b"))
	if err != nil {
		return OutboxEntry{}, err
	}
	return OutboxEntry{ID: m.ID, Channel: Channel(get("c")), To: get("to"), Subject: subject,
		Body: body, Time: time.UnixMilli(ms).UTC()}, nil
}

// HeldMessage is an inbound message kept for an admin to review instead of
// being posted: its sender did not match the member its reply address
// belongs to.
type HeldMessage struct {
	ID     string    `json:"id"`
	Room   string    `json:"room"`
	Member string    `json:"member"`
	From   string    `json:"from"`
	Reason string    `json:"reason"`
	Raw    string    `json:"raw"`
	Time   time.Time `json:"time"`
}

// heldMax is how many held messages are kept (the oldest go first).
const heldMax = 1000

// Hold keeps a message for review.
func (s *Inbox) Hold(ctx context.Context, h HeldMessage) (string, error) {
	id, err := s.rdb.XAdd(ctx, &redis.XAddArgs{Stream: s.k.held(), MaxLen: heldMax, Approx: true,
		Values: []any{"room", h.Room, "member", h.Member, "from", h.From, "reason", h.Reason, "raw", s.seal(h.Raw), "ts", s.now().UnixMilli()}}).Result()
	if err != nil {
		return "", fmt.Errorf("hold message from %s: %w", h.From, err)
	}
	return id, nil
}

// Held lists held messages, oldest first.
func (s *Inbox) Held(ctx context.Context, limit int) ([]HeldMessage, error) {
	if limit <= 0 || limit > MaxPage {
		limit = MaxPage
	}
	msgs, err := s.rdb.XRangeN(ctx, s.k.held(), "-", "+", int64(limit)).Result()
	if err != nil {
		return nil, fmt.Errorf("read held messages: %w", err)
	}
	out := make([]HeldMessage, 0, len(msgs))
	for _, m := range msgs {
		get := func(k string) string { v, _ := m.Values[k].(string); return v }
		ms, _ := strconv.ParseInt(get("ts"), 10, 64)
		raw, err := s.open("held message "+m.ID, get("raw"))
		if err != nil {
			return nil, err
		}
		out = append(out, HeldMessage{ID: m.ID, Room: get("room"), Member: get("member"), From: get("from"),
			Reason: get("reason"), Raw: raw, Time: time.UnixMilli(ms).UTC()})
	}
	return out, nil
}

// Cursor returns a named position a door keeps between runs (an IMAP
// mailbox's UIDVALIDITY and last UID, say), or "" when none was saved.
func (s *Inbox) Cursor(ctx context.Context, name string) (string, error) {
	v, err := s.rdb.HGet(ctx, s.k.cursors(), name).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read cursor %s: %w", name, err)
	}
	return v, nil
}

// SetCursor saves a named position.
func (s *Inbox) SetCursor(ctx context.Context, name, value string) error {
	if err := s.rdb.HSet(ctx, s.k.cursors(), name, value).Err(); err != nil {
		return fmt.Errorf("save cursor %s: %w", name, err)
	}
	return nil
}
