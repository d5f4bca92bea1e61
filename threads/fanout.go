package threads

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// fanout routes a stored line to every member but its author, posts the
// away auto-replies it draws, queues the delivery jobs and clears the
// line's "fan-out due" record, in two round trips, or one when pre holds
// the reads already (prefetch.go). Running it twice for one line queues
// jobs twice, which their idempotency keys make the worker send once, and
// posts no second auto-reply (threads/autoreply.go).
func (s *Store) fanout(ctx context.Context, line Line, kind RoomKind, members []string, pre *prefetch) (map[string]Decision, []Line, error) {
	others := others(members, line.Author)
	if !pre.matches(others) {
		pre = &prefetch{others: others}
		_, err := s.batch.pipelined(ctx, func(p redis.Pipeliner) {
			pre.queue(ctx, s, p, line.Room, line.Author)
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, nil, fmt.Errorf("fan out %s/%s: %w", line.Room, line.ID, err)
		}
	}
	users, muted := pre.users, pre.muted
	presence := s.decodePresences(others, pre.status, pre.seen)
	var author User
	if str, ok := users.Val()[len(others)].(string); ok {
		var err error
		if author, err = s.decodeUser(line.Author, str); err != nil {
			return nil, nil, err
		}
	}
	mentioned := Mentions(line.Text)
	now := s.now()
	routes := make(map[string]Decision, len(others))
	var jobs []Delivery
	var answer []AutoReplyInput
	var held []string
	for i, m := range others {
		str, ok := users.Val()[i].(string)
		if !ok {
			continue // a member whose user record is gone gets nothing
		}
		u, err := s.decodeUser(m, str)
		if err != nil {
			return nil, nil, err
		}
		quiet := u.Prefs.Quiet != nil && u.Prefs.Quiet.Active(now, u.Location())
		personal := kind == Direct || contains(mentioned, m)
		in := routeInput(u, presence[m], personal, quiet, contains(muted.Val(), m))
		in.Urgent, in.Automatic = line.Urgent, line.Origin == FromAutoReply
		d := Route(in)
		routes[m] = d
		if d.Channel == Hold && !in.Automatic { // auto-replies are never sent, not even in a digest
			held = append(held, m)
		}
		if d.Channel.Queued() {
			jobs = append(jobs, Delivery{Room: line.Room, Line: line.ID, Member: m, Channel: d.Channel,
				Queued: now.UTC().Truncate(time.Millisecond)})
		}
		if personal {
			answer = append(answer, AutoReplyInput{Line: line, Author: author, Member: u, Presence: presence[m],
				Personal: true, Now: now})
		}
	}
	// Auto-replies before the fan-out record is cleared: a process that
	// dies here leaves the line to recovery, which answers what is missing.
	replies, err := s.autoReplies(ctx, answer)
	if err != nil {
		return nil, nil, err
	}
	_, err = s.batch.pipelined(ctx, func(p redis.Pipeliner) {
		for _, j := range jobs {
			s.enqueue(ctx, p, j)
		}
		for _, m := range held {
			s.holdForDigest(ctx, p, line, m)
		}
		p.ZRem(ctx, s.k.pending(line.Room), line.ID)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("queue deliveries of %s/%s: %w", line.Room, line.ID, err)
	}
	return routes, replies, nil
}

// RecoverFanout finishes the fan-out of every line stored at least
// olderThan ago whose fan-out is still due: the work of a process that died
// between storing a line and routing it. It returns how many lines it
// fanned out. Run it at start-up and then periodically.
func (s *Store) RecoverFanout(ctx context.Context, olderThan time.Duration) (int, error) {
	rooms, err := s.rdb.SMembers(ctx, s.k.rooms()).Result()
	if err != nil {
		return 0, fmt.Errorf("recover fan-out: %w", err)
	}
	cutoff := strconv.FormatInt(s.now().Add(-olderThan).UnixMilli(), 10)
	done := 0
	for _, room := range rooms {
		ids, err := s.rdb.ZRangeByScore(ctx, s.k.pending(room), &redis.ZRangeBy{Min: "-inf", Max: cutoff}).Result()
		if err != nil {
			return done, fmt.Errorf("recover fan-out of %s: %w", room, err)
		}
		if len(ids) == 0 {
			continue
		}
		r, err := s.Room(ctx, room)
		if err != nil {
			return done, fmt.Errorf("recover fan-out of %s: %w", room, err)
		}
		for _, id := range ids {
			line, err := s.Line(ctx, room, id)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return done, err
			}
			if err != nil {
				// The line is gone (retention): nothing left to deliver.
				slog.Warn("pending fan-out of a missing line dropped", "room", room, "line", id, "err", err)
				if err := s.rdb.ZRem(ctx, s.k.pending(room), id).Err(); err != nil {
					return done, fmt.Errorf("recover fan-out of %s: %w", room, err)
				}
				continue
			}
			if _, _, err := s.fanout(ctx, line, r.Kind, r.Members, nil); err != nil {
				return done, err
			}
			done++
		}
	}
	return done, nil
}
