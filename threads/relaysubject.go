package threads

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// MaxThreadSubject bounds a stored relay subject, in bytes.
const MaxThreadSubject = 1000

// ThreadSubject returns the subject of member's relay emails from room:
// the one already stored, or else subject, which it stores. The first
// writer wins (HSETNX and HGET in one MULTI, one round trip), so every
// process and every later batch uses the subject of the member's first
// relay email from the room, and mail clients that thread by subject keep
// the room in one thread.
//
// The subject has no TTL: like the room's root Message-ID
// (RootMessageID), which every relay answers, it lasts as long as the
// room, and it survives restarts. A renamed room keeps its old subject for
// the members who have one, for the same reason.
func (s *Chat) ThreadSubject(ctx context.Context, room, member, subject string) (string, error) {
	if err := ValidID("room", room); err != nil {
		return "", err
	}
	if err := ValidID("member", member); err != nil {
		return "", err
	}
	if subject == "" || len(subject) > MaxThreadSubject {
		return "", invalid("a relay subject must have 1 to %d bytes, not %d", MaxThreadSubject, len(subject))
	}
	var got *redis.StringCmd
	key := s.k.subjects(room)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSetNX(ctx, key, member, s.seal(subject)) // it quotes a line (seal.go)
		got = p.HGet(ctx, key, member)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("relay subject of %s in %s: %w", member, room, err)
	}
	return s.open("relay subject of "+member+" in "+room, got.Val())
}
