package threads

import (
	"context"
	"encoding/json"
	"fmt"

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
		if err := s.hub.add(ctx, sub, chans); err != nil {
			_ = sub.Close()
			return nil, fmt.Errorf("subscribe %s: %w", user, err)
		}
	}
	return sub, nil
}

// subscribe returns a subscription of this process's hub to chans, active
// when it returns.
func (s *Chat) subscribe(ctx context.Context, user string, chans []string) (*Subscription, error) {
	c := make(chan *Event, subscriberBuffer)
	sub := &Subscription{C: c, c: c, hub: s.hub, user: user, chans: map[string]bool{}}
	if err := s.hub.add(ctx, sub, chans); err != nil {
		_ = sub.Close()
		return nil, err
	}
	return sub, nil
}

// publish queues msg on live channel ch: sharded on a cluster, so that it
// goes to the master of ch's slot only.
func (s *Chat) publish(ctx context.Context, p redis.Pipeliner, ch string, msg any) {
	if s.sharded {
		p.SPublish(ctx, ch, msg)
	} else {
		p.Publish(ctx, ch, msg)
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
			s.publish(ctx, pl, s.k.roomLive(r), msg)
		}
		return nil
	})
}
