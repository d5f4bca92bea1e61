package threads

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// EventKind names what happened.
type EventKind string

// Event kinds.
const (
	// LineEvent: a line was posted; Event.Line holds it.
	LineEvent EventKind = "line"
	// JoinedEvent: the subscribed user became a member of Event.Room.
	JoinedEvent EventKind = "joined"
	// LeftEvent: the subscribed user left Event.Room.
	LeftEvent EventKind = "left"
	// PresenceEvent: a member of Event.Room changed their presence;
	// Event.Presence holds it. A member of several rooms is announced in
	// each, so a subscriber to several sees it more than once.
	PresenceEvent EventKind = "presence"
)

// Event is something a live client shows.
type Event struct {
	Kind EventKind `json:"kind"`
	Room string    `json:"room"`
	Line *Line     `json:"line,omitempty"`
	// Presence is set for PresenceEvent.
	Presence *Presence `json:"presence,omitempty"`
}

// Subscription delivers live events until closed. Events are best effort:
// a client that reconnects reads what it missed with Lines.
type Subscription struct {
	// C receives the events; it is closed when the subscription ends.
	C <-chan Event

	ps     *redis.PubSub
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// Close ends the subscription.
func (sub *Subscription) Close() error {
	var err error
	sub.once.Do(func() {
		sub.cancel()
		err = sub.ps.Close()
		<-sub.done
	})
	return err
}

// SubscribeRoom follows one room's lines. When it returns, the subscription
// is active: every line posted afterwards arrives on C.
func (s *Chat) SubscribeRoom(ctx context.Context, room string) (*Subscription, error) {
	if _, err := s.Room(ctx, room); err != nil {
		return nil, err
	}
	return s.subscribe(ctx, "", []string{s.k.roomLive(room)})
}

// SubscribeUser follows every room user is a member of, including rooms
// they join later; rooms they leave stop at once.
func (s *Chat) SubscribeUser(ctx context.Context, user string) (*Subscription, error) {
	if err := s.mustExist(ctx, []string{user}); err != nil {
		return nil, err
	}
	// Subscribe to the user's channel first, so a join that happens while
	// the room list is read is not missed.
	sub, err := s.subscribe(ctx, user, []string{s.k.userLive(user)})
	if err != nil {
		return nil, err
	}
	rooms, err := s.RoomsOf(ctx, user)
	if err != nil {
		_ = sub.Close()
		return nil, err
	}
	if len(rooms) > 0 {
		chans := make([]string, len(rooms))
		for i, r := range rooms {
			chans[i] = s.k.roomLive(r.ID)
		}
		if err := sub.ps.Subscribe(ctx, chans...); err != nil {
			_ = sub.Close()
			return nil, fmt.Errorf("subscribe %s: %w", user, err)
		}
	}
	return sub, nil
}

func (s *Chat) subscribe(ctx context.Context, user string, chans []string) (*Subscription, error) {
	ps := s.rdb.Subscribe(ctx, chans...)
	// Wait for the confirmation so that nothing posted after we return is missed.
	if _, err := ps.Receive(ctx); err != nil {
		_ = ps.Close()
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	c := make(chan Event, 64)
	runCtx, cancel := context.WithCancel(context.Background())
	sub := &Subscription{C: c, ps: ps, cancel: cancel, done: make(chan struct{})}
	go s.pump(runCtx, sub, user, c)
	return sub, nil
}

// pump turns pub/sub messages into events. It follows joins and leaves of
// user (when set) by subscribing and unsubscribing room channels.
func (s *Chat) pump(ctx context.Context, sub *Subscription, user string, c chan<- Event) {
	defer close(sub.done)
	defer close(c)
	for msg := range sub.ps.Channel() {
		kind, rest, _ := strings.Cut(msg.Payload, "\n")
		var ev Event
		switch EventKind(kind) {
		case LineEvent:
			// "line\nID\nJSON\nTEXT": the JSON holds no newline (encoding/json
			// escapes them) and the text, last, may hold any.
			id, rest, _ := strings.Cut(rest, "\n")
			data, text, _ := strings.Cut(rest, "\n")
			var l Line
			if err := json.Unmarshal([]byte(data), &l); err != nil {
				s.log.Warn("undecodable live event", "channel", msg.Channel, "err", err)
				continue
			}
			l.ID, l.Text = id, text
			ev = Event{Kind: LineEvent, Room: l.Room, Line: &l}
		case PresenceEvent:
			var p Presence
			if err := json.Unmarshal([]byte(rest), &p); err != nil {
				s.log.Warn("undecodable live event", "channel", msg.Channel, "err", err)
				continue
			}
			ev = Event{Kind: PresenceEvent, Room: strings.TrimPrefix(msg.Channel, s.k.roomLive("")), Presence: &p}
		case JoinedEvent, LeftEvent:
			ev = Event{Kind: EventKind(kind), Room: rest}
			if user == "" {
				continue
			}
			var err error
			if ev.Kind == JoinedEvent {
				err = sub.ps.Subscribe(ctx, s.k.roomLive(rest))
			} else {
				err = sub.ps.Unsubscribe(ctx, s.k.roomLive(rest))
			}
			if err != nil && ctx.Err() == nil {
				s.log.Warn("follow membership change", "user", user, "room", rest, "err", err)
			}
		default:
			continue
		}
		select {
		case c <- ev:
		case <-ctx.Done():
			return
		}
	}
}

// announcePresence tells the live subscribers of every room of p.User
// about p. It is best effort, like every live event: a client that
// reconnects reads presence afresh.
func (s *Chat) announcePresence(ctx context.Context, p Presence) {
	rooms, err := s.rdb.SMembers(ctx, s.k.userRooms(p.User)).Result()
	if err != nil || len(rooms) == 0 {
		return
	}
	data, err := json.Marshal(p)
	if err != nil {
		return
	}
	msg := string(PresenceEvent) + "\n" + string(data)
	_, _ = s.rdb.Pipelined(ctx, func(pl redis.Pipeliner) error {
		for _, r := range rooms {
			pl.Publish(ctx, s.k.roomLive(r), msg)
		}
		return nil
	})
}
