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

// pendingFanout is a stored line whose fan-out is due, with what the post
// script returned: the room's kind and members, and the reads made for a
// guess of the members (prefetch.go; nil when there was none).
type pendingFanout struct {
	line    Line
	kind    RoomKind
	members []string
	pre     *prefetch
}

// readsKey names the reads routing needs for a line by author in room
// with the other members others.
func readsKey(room, author string, others []string) string {
	return room + "\x00" + author + "\x00" + strings.Join(others, "\x00")
}

// fanoutResult is how one line was routed, or why it was not (err: the
// line stays due, for recovery).
type fanoutResult struct {
	routes    map[string]Decision
	escalates map[string]Escalation
	replies   []Line
	err       error
}

// fanout routes a stored line to every member but its author, posts the
// away auto-replies it draws, queues the delivery jobs and clears the
// line's "fan-out due" record, in two round trips, or one when pre holds
// the reads already (prefetch.go). Running it twice for one line queues
// jobs twice, which their idempotency keys make the worker send once, and
// posts no second auto-reply (threads/autoreply.go).
func (s *Chat) fanout(ctx context.Context, line Line, kind RoomKind, members []string, pre *prefetch) (map[string]Decision, []Line, error) {
	res, err := s.fanoutOne(ctx, pendingFanout{line: line, kind: kind, members: members, pre: pre})
	return res.routes, res.replies, err
}

// fanoutOne is fanout with the whole result.
func (s *Chat) fanoutOne(ctx context.Context, f pendingFanout) (fanoutResult, error) {
	res, err := s.fanoutMany(ctx, []pendingFanout{f})
	if err != nil {
		return fanoutResult{}, err
	}
	return res[0], res[0].err
}

// fanoutMany is fanout for several lines at once: the reads of the lines
// whose guess was wrong share one round trip, and the jobs of all share
// another. A line that cannot be routed (its result's err) is left due,
// the others go on; on error from Redis no line's "fan-out due" record is
// cleared. Either way recovery routes what is left.
func (s *Chat) fanoutMany(ctx context.Context, lines []pendingFanout) ([]fanoutResult, error) {
	// Lines of one author in one room share their reads: a burst of
	// detached replies reads once (see Store.store).
	shared := make(map[string]*prefetch)
	othersOf := make([][]string, len(lines))
	for i, f := range lines {
		othersOf[i] = others(f.members, f.line.Author)
		if f.pre.matches(othersOf[i]) {
			shared[readsKey(f.line.Room, f.line.Author, othersOf[i])] = f.pre
		}
	}
	var reread []*pendingFanout
	for i := range lines {
		f := &lines[i]
		others := othersOf[i]
		if f.pre.matches(others) {
			continue
		}
		key := readsKey(f.line.Room, f.line.Author, others)
		if pre, ok := shared[key]; ok {
			f.pre = pre
			continue
		}
		f.pre = &prefetch{others: others}
		shared[key] = f.pre
		reread = append(reread, f)
	}
	if len(reread) > 0 {
		_, err := s.batch.pipelined(ctx, func(p redis.Pipeliner) {
			for _, f := range reread {
				f.pre.queue(ctx, s, p, f.line.Room, f.line.Author)
			}
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("fan out %s/%s: %w", reread[0].line.Room, reread[0].line.ID, err)
		}
	}
	out := make([]fanoutResult, len(lines))
	plans := make([]fanoutPlan, len(lines))
	for i, f := range lines {
		plan, err := s.planFanout(f)
		if err != nil {
			out[i].err = fmt.Errorf("fan out %s/%s: %w", f.line.Room, f.line.ID, err)
			continue
		}
		// Auto-replies before the fan-out record is cleared: a process
		// that dies here leaves the line to recovery, which answers what
		// is missing.
		replies, err := s.autoReplies(ctx, plan.answer)
		if err != nil {
			out[i].err = fmt.Errorf("auto-replies to %s/%s: %w", f.line.Room, f.line.ID, err)
			continue
		}
		plans[i], out[i] = plan, fanoutResult{routes: plan.routes, escalates: plan.escalates, replies: replies}
	}
	_, err := s.batch.pipelined(ctx, func(p redis.Pipeliner) {
		queued := false
		for i, f := range lines {
			if out[i].err != nil {
				continue
			}
			if len(plans[i].jobs.To) > 0 {
				s.queue.enqueueGroup(ctx, p, plans[i].jobs)
				queued = true
			}
			for _, m := range plans[i].held {
				s.digests.holdForDigest(ctx, p, f.line, m)
			}
			// Lines that need a member: how they went, and their escalations.
			for _, m := range plans[i].needs {
				d := plans[i].routes[m]
				if d.Channel.Queued() {
					s.noteReached(ctx, p, f.line.Room, f.line.ID, m, d.Channel, f.line.Time)
				}
				if e, ok := plans[i].escalates[m]; ok {
					s.scheduleEscalation(ctx, p, f.line, m, d.Channel, e)
				}
			}
		}
		// One ZREM per room clears the "fan-out due" records.
		done := make(map[string][]any)
		var rooms []string
		for i, f := range lines {
			if out[i].err != nil {
				continue
			}
			if done[f.line.Room] == nil {
				rooms = append(rooms, f.line.Room)
			}
			done[f.line.Room] = append(done[f.line.Room], f.line.ID)
		}
		for _, r := range rooms {
			p.ZRem(ctx, s.k.pending(r), done[r]...)
		}
		if queued {
			s.queue.nudge(ctx, p) // idle workers claim the jobs at once (wake.go)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("queue deliveries of %s/%s: %w", lines[0].line.Room, lines[0].line.ID, err)
	}
	return out, nil
}

// fanoutPlan is the routing of one line, before anything is written.
type fanoutPlan struct {
	routes map[string]Decision
	jobs   jobGroup // the line's jobs, one member and channel each
	held   []string // members whose line waits for their digest
	answer []AutoReplyInput
	// needs: the line needs these members (personal or urgent), and
	// escalates says when it escalates to those it may (escalate.go).
	needs     []string
	escalates map[string]Escalation
}

// planFanout routes f's line from the reads in f.pre.
func (s *Chat) planFanout(f pendingFanout) (fanoutPlan, error) {
	line, pre := f.line, f.pre
	others := pre.others
	users, muted := pre.users, pre.muted
	presence := s.presenceList(others, pre.presence)
	var author User
	if str := users.Val()[len(others)]; str != "" {
		var err error
		if author, err = s.decodeUser(line.Author, str); err != nil {
			return fanoutPlan{}, err
		}
	}
	mentioned := Mentions(line.Text)
	now := s.now()
	meeting := line.Meeting() != ""
	plan := fanoutPlan{routes: make(map[string]Decision, len(others)),
		jobs: jobGroup{Room: line.Room, Line: line.ID, Queued: now.UTC().Truncate(time.Millisecond), Now: meeting,
			To: make([][2]string, 0, len(others))}}
	for i, m := range others {
		str := users.Val()[i]
		if str == "" {
			continue // a member whose user record is gone gets nothing
		}
		u, err := s.viewUser(m, str) // read only; cloned below where it is handed on
		if err != nil {
			return fanoutPlan{}, err
		}
		quiet := u.Prefs.Quiet != nil && u.Prefs.Quiet.Active(now, u.Location())
		personal := f.kind == Direct || contains(mentioned, m)
		in := routeInput(u, presence[i], personal, quiet, contains(muted.Val(), m))
		in.Urgent, in.Automatic = line.Urgent, line.Origin == FromAutoReply
		in.Personal = in.Personal || meeting // a meeting reaches an offline member's phone
		d := Route(in)
		if (personal || line.Urgent) && !in.Automatic {
			plan.needs = append(plan.needs, m)
			if e := s.escalatePlan(u, line, d, now); e != nil {
				if plan.escalates == nil {
					plan.escalates = make(map[string]Escalation)
				}
				plan.escalates[m] = *e
			}
		}
		plan.routes[m] = d
		if d.Channel == Hold && !in.Automatic { // auto-replies are never sent, not even in a digest
			plan.held = append(plan.held, m)
		}
		if d.Channel.Queued() {
			plan.jobs.To = append(plan.jobs.To, [2]string{m, string(d.Channel)})
		}
		if personal {
			plan.answer = append(plan.answer, AutoReplyInput{Line: line, Author: author, Member: u.clone(), Presence: presence[i],
				Personal: true, Now: now})
		}
	}
	return plan, nil
}

// RecoverFanout finishes the fan-out of every line stored at least
// olderThan ago whose fan-out is still due: the work of a process that died
// between storing a line and routing it. It returns how many lines it
// fanned out. Run it at start-up and then periodically.
func (s *Chat) RecoverFanout(ctx context.Context, olderThan time.Duration) (int, error) {
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
				s.log.Warn("pending fan-out of a missing line dropped", "room", room, "line", id, "err", err)
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
