package threads

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// RoomKind tells a group room from a direct (two-person) conversation.
type RoomKind string

// Room kinds.
const (
	Group  RoomKind = "group"
	Direct RoomKind = "direct"
)

// Limits on rooms.
const (
	// MinMembers is the fewest members a room has.
	MinMembers = 2
	// MaxMembers is the most members a room has.
	MaxMembers = 1000
	maxTopic   = 500
)

// Room is a conversation of two or more members.
type Room struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Topic   string    `json:"topic,omitempty"`
	Kind    RoomKind  `json:"kind"`
	Members []string  `json:"members"`
	Created time.Time `json:"created"`

	// Owner is the member who created the room; the owner (and any admin)
	// adds and removes members. Empty for rooms made by an admin's tool.
	Owner string `json:"owner,omitempty"`

	// Confidential rooms (issue 19) send their lines by email only to
	// members with an OpenPGP key (encrypted); everyone else, and every
	// text message, gets a notice with a link instead, and digests show
	// counts only. The field "confidential" ("1") of {r:ID}:meta.
	Confidential bool `json:"confidential,omitempty"`
}

// CreateRoom stores a new room. Every member must exist and be enabled; a
// direct room has exactly two. Nothing is written when anything is wrong.
func (s *Chat) CreateRoom(ctx context.Context, r Room) (Room, error) {
	if err := ValidID("room", r.ID); err != nil {
		return r, err
	}
	r.Name = strings.TrimSpace(r.Name)
	if r.Name == "" {
		r.Name = r.ID
	}
	if err := validName("room", r.Name); err != nil {
		return r, err
	}
	if utf8.RuneCountInString(r.Topic) > maxTopic || !utf8.ValidString(r.Topic) {
		return r, invalid("topic must be valid text of at most %d characters", maxTopic)
	}
	if r.Kind == "" {
		r.Kind = Group
	}
	if r.Kind != Group && r.Kind != Direct {
		return r, invalid("room kind %q is not group or direct", r.Kind)
	}
	members := uniqueSorted(r.Members)
	switch {
	case len(members) < MinMembers:
		return r, invalid("a room needs at least %d different members", MinMembers)
	case r.Kind == Direct && len(members) != 2:
		return r, invalid("a direct room has exactly 2 members")
	case len(members) > MaxMembers:
		return r, invalid("a room has at most %d members", MaxMembers)
	}
	r.Members = members
	if r.Owner != "" && !contains(members, r.Owner) {
		return r, invalid("owner %s is not a member of the room", r.Owner)
	}
	if err := s.mustExist(ctx, members); err != nil {
		return r, err
	}
	exists, err := s.rdb.Exists(ctx, s.k.room(r.ID)).Result()
	if err != nil {
		return r, fmt.Errorf("create room %s: %w", r.ID, err)
	}
	if exists == 1 {
		return r, fmt.Errorf("create room %s: %w", r.ID, ErrExists)
	}
	r.Created = s.now().UTC().Truncate(time.Millisecond)

	// Indexes first: they may point at a room that is not there (readers
	// check), never miss one that is.
	if err := s.index(ctx, r.ID, members, true); err != nil {
		return r, fmt.Errorf("create room %s: %w", r.ID, err)
	}
	args := []any{r.Name, r.Topic, string(r.Kind), r.Created.UnixMilli(), r.Owner}
	for _, m := range members {
		args = append(args, m)
	}
	res, err := scriptCreateRoom.Run(ctx, s.rdb, []string{s.k.room(r.ID), s.k.members(r.ID)}, args...).Text()
	if err != nil {
		return r, fmt.Errorf("create room %s: %w", r.ID, err)
	}
	if res == "exists" {
		return r, fmt.Errorf("create room %s: %w", r.ID, ErrExists)
	}
	if r.Confidential { // confidential.go
		if err := s.SetConfidential(ctx, r.ID, true); err != nil {
			return r, fmt.Errorf("create room %s: %w", r.ID, err)
		}
	}
	s.announce(ctx, "joined", r.ID, members...)
	return r, nil
}

// index adds (or removes) the room to the global room set and the members'
// room sets, in one pipeline.
func (s *Chat) index(ctx context.Context, room string, members []string, add bool) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if add {
			p.SAdd(ctx, s.k.rooms(), room)
		}
		for _, m := range members {
			if add {
				p.SAdd(ctx, s.k.userRooms(m), room)
			} else {
				p.SRem(ctx, s.k.userRooms(m), room)
			}
		}
		return nil
	})
	return err
}

// announce tells the members' live subscriptions that they joined or left a
// room. It is best effort: a missed event only delays a subscription.
func (s *Chat) announce(ctx context.Context, what, room string, members ...string) {
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, m := range members {
			s.publish(ctx, p, s.k.userLive(m), what+"\n"+room)
		}
		return nil
	})
}

// mustExist checks that every user exists and is not disabled.
func (s *Chat) mustExist(ctx context.Context, users []string) error {
	found, err := s.dir.usersByID(ctx, users)
	if err != nil {
		return err
	}
	for _, u := range users {
		f, ok := found[u]
		if !ok {
			return fmt.Errorf("user %s: %w", u, ErrNotFound)
		}
		if f.Disabled {
			return invalid("user %s is disabled and cannot join rooms", u)
		}
	}
	return nil
}

func uniqueSorted(in []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, v := range in {
		v = strings.TrimSpace(v)
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

// Room returns a room with its members.
func (s *Chat) Room(ctx context.Context, id string) (Room, error) {
	if err := ValidID("room", id); err != nil {
		return Room{}, err
	}
	rooms, err := s.roomsByID(ctx, []string{id})
	if err != nil {
		return Room{}, err
	}
	if len(rooms) == 0 {
		return Room{}, fmt.Errorf("room %s: %w", id, ErrNotFound)
	}
	return rooms[0], nil
}

// roomsByID reads rooms in one pipeline, skipping ids that do not exist.
func (s *Chat) roomsByID(ctx context.Context, ids []string) ([]Room, error) {
	metas := make([]*redis.MapStringStringCmd, len(ids))
	mems := make([]*redis.StringSliceCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			metas[i] = p.HGetAll(ctx, s.k.room(id))
			mems[i] = p.SMembers(ctx, s.k.members(id))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read rooms: %w", err)
	}
	out := make([]Room, 0, len(ids))
	for i, id := range ids {
		if r, ok := decodeRoom(id, metas[i].Val(), mems[i].Val()); ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// decodeRoom builds a room from its meta hash and member set; false when
// the room does not exist.
func decodeRoom(id string, meta map[string]string, members []string) (Room, bool) {
	if len(meta) == 0 {
		return Room{}, false
	}
	ms, _ := strconv.ParseInt(meta["created"], 10, 64)
	sort.Strings(members)
	return Room{ID: id, Name: meta["name"], Topic: meta["topic"], Kind: RoomKind(meta["kind"]),
		Members: members, Owner: meta["owner"], Created: time.UnixMilli(ms).UTC(), Confidential: meta[confidentialField] == "1"}, true
}

// Rooms returns every room, ordered by id.
func (s *Chat) Rooms(ctx context.Context) ([]Room, error) {
	ids, err := s.rdb.SMembers(ctx, s.k.rooms()).Result()
	if err != nil {
		return nil, fmt.Errorf("list rooms: %w", err)
	}
	sort.Strings(ids)
	return s.roomsByID(ctx, ids)
}

// RoomsOf returns the rooms a user is a member of, ordered by id.
func (s *Chat) RoomsOf(ctx context.Context, user string) ([]Room, error) {
	ids, err := s.rdb.SMembers(ctx, s.k.userRooms(user)).Result()
	if err != nil {
		return nil, fmt.Errorf("rooms of %s: %w", user, err)
	}
	sort.Strings(ids)
	rooms, err := s.roomsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := rooms[:0]
	for _, r := range rooms {
		if contains(r.Members, user) {
			out = append(out, r)
		}
	}
	return out, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// RenameRoom sets a room's display name.
func (s *Chat) RenameRoom(ctx context.Context, id, name string) error {
	return s.setRoomField(ctx, id, "name", strings.TrimSpace(name))
}

// SetTopic sets a room's topic.
func (s *Chat) SetTopic(ctx context.Context, id, topic string) error {
	return s.setRoomField(ctx, id, "topic", topic)
}

func (s *Chat) setRoomField(ctx context.Context, id, field, value string) error {
	if field == "name" {
		if err := validName("room", value); err != nil {
			return err
		}
	} else if utf8.RuneCountInString(value) > maxTopic || !utf8.ValidString(value) {
		return invalid("topic must be valid text of at most %d characters", maxTopic)
	}
	if _, err := s.chat.Room(ctx, id); err != nil {
		return err
	}
	if err := s.rdb.HSet(ctx, s.k.room(id), field, value).Err(); err != nil {
		return fmt.Errorf("set %s of room %s: %w", field, id, err)
	}
	return nil
}

// AddMember adds an existing, enabled user to a group room. Adding a
// member twice is not an error.
func (s *Chat) AddMember(ctx context.Context, room, user string) error {
	if err := s.mustExist(ctx, []string{user}); err != nil {
		return err
	}
	r, err := s.Room(ctx, room)
	if err != nil {
		return err
	}
	if len(r.Members) >= MaxMembers {
		return invalid("room %s already has %d members", room, MaxMembers)
	}
	if err := s.index(ctx, room, []string{user}, true); err != nil {
		return fmt.Errorf("add %s to %s: %w", user, room, err)
	}
	res, err := s.membership(ctx, room, "add", user)
	if err != nil {
		return err
	}
	if res == "ok" {
		s.announce(ctx, "joined", room, user)
	}
	return nil
}

// RemoveMember removes a member from a room; a room keeps at least two.
func (s *Chat) RemoveMember(ctx context.Context, room, user string) error {
	res, err := s.membership(ctx, room, "remove", user)
	if err != nil {
		return err
	}
	if res == "same" {
		return fmt.Errorf("remove %s from %s: %w", user, room, ErrNotMember)
	}
	if err := s.index(ctx, room, []string{user}, false); err != nil {
		return fmt.Errorf("remove %s from %s: %w", user, room, err)
	}
	s.announce(ctx, "left", room, user)
	return nil
}

func (s *Chat) membership(ctx context.Context, room, op, user string) (string, error) {
	res, err := scriptMembership.Run(ctx, s.rdb, []string{s.k.room(room), s.k.members(room)}, op, user, MinMembers).Text()
	if err != nil {
		return "", fmt.Errorf("%s member %s of room %s: %w", op, user, room, err)
	}
	switch res {
	case "noroom":
		return "", fmt.Errorf("room %s: %w", room, ErrNotFound)
	case "direct":
		return "", invalid("room %s is a direct room; start a group room to add people", room)
	case "toofew":
		return "", invalid("room %s would have fewer than %d members", room, MinMembers)
	}
	return res, nil
}

// IsMember reports whether user is a member of room.
func (s *Chat) IsMember(ctx context.Context, room, user string) (bool, error) {
	ok, err := s.rdb.SIsMember(ctx, s.k.members(room), user).Result()
	if err != nil {
		return false, fmt.Errorf("membership of %s in %s: %w", user, room, err)
	}
	return ok, nil
}

// SetMuted mutes (or unmutes) a room for a member: while muted, nothing from
// the room is pushed to them by email or SMS; they read it live or in the
// digest. It is what List-Unsubscribe and the SMS MUTE command do.
func (s *Chat) SetMuted(ctx context.Context, room, member string, muted bool) error {
	ok, err := s.IsMember(ctx, room, member)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("mute %s for %s: %w", room, member, ErrNotMember)
	}
	if muted {
		err = s.rdb.SAdd(ctx, s.k.muted(room), member).Err()
	} else {
		err = s.rdb.SRem(ctx, s.k.muted(room), member).Err()
	}
	if err != nil {
		return fmt.Errorf("mute %s for %s: %w", room, member, err)
	}
	return nil
}

// Muted reports whether member muted room.
func (s *Chat) Muted(ctx context.Context, room, member string) (bool, error) {
	ok, err := s.rdb.SIsMember(ctx, s.k.muted(room), member).Result()
	if err != nil {
		return false, fmt.Errorf("muted %s for %s: %w", room, member, err)
	}
	return ok, nil
}
