package threads

import (
	"context"
	"slices"

	"github.com/redis/go-redis/v9"
)

// Routing a line needs the records and presence of the room's members, and
// the members are known only once the post script has run. To save that
// round trip, Post guesses the members from the room's previous post and
// sends the reads for them in the same pipeline as the script. The script
// returns the true members; when the guess was wrong (someone joined or
// left since), fan-out reads again. A wrong guess costs one round trip, as
// no guess does; it never routes by stale membership.

// membership is a room's members as the post script last answered them,
// and the membership version they are of: a post that holds the room's
// current version gets no list back (scriptPost).
type membership struct {
	version string
	members []string
	args    []any // members, boxed: the fan-out's reads take them as they are
}

// newMembership returns the membership of members at version.
func newMembership(version string, members []string) membership {
	return membership{version: version, members: members, args: boxed(members)}
}

// heldVersion is the version the post script is told the caller holds,
// for a line by author with origin: the version only when it proves the
// author a member (the author is among the members, or the line is the
// system's, which needs no membership), else "" and the script reads the
// members (scriptPost).
func (m membership) heldVersion(author string, origin Origin) string {
	if origin == FromSystem || slices.Contains(m.members, author) {
		return m.version
	}
	return ""
}

// without returns the members but author, in order, as ids and boxed.
func (m membership) without(author string) ([]string, []any) {
	ids, args := make([]string, 0, len(m.members)), make([]any, 0, len(m.members))
	for i, id := range m.members {
		if id != author {
			ids, args = append(ids, id), append(args, m.args[i])
		}
	}
	return ids, args
}

// prefetch is the fan-out's reads for the members of a guess.
type prefetch struct {
	others   []string              // the guessed members but the author, in order
	args     []any                 // others, boxed (nil: box them when queued)
	users    *redis.StringSliceCmd // "" for a record that is gone
	presence presenceCmds
	muted    *redis.StringSliceCmd
}

// prefetch queues on p the reads fan-out needs for held, the members the
// room had at its last post (the caller has one: held.version is set).
func (s *Chat) prefetch(ctx context.Context, p redis.Pipeliner, room, author string, held membership) *prefetch {
	pre := &prefetch{}
	pre.others, pre.args = held.without(author)
	pre.queue(ctx, s, p, room, author)
	return pre
}

// queue adds the reads to p: the records of the others and then the
// author's (auto-replies never answer a bot), their presence, the room's
// mutes.
func (pre *prefetch) queue(ctx context.Context, s *Chat, p redis.Pipeliner, room, author string) {
	if pre.args == nil {
		pre.args = boxed(pre.others)
	}
	pre.users = hmgetArgs(ctx, p, s.k.users(), append(slices.Clip(pre.args), author))
	pre.presence = s.presenceArgsCmds(ctx, p, pre.args)
	pre.muted = p.SMembers(ctx, s.k.muted(room))
}

// matches reports whether the guess was right: others are the members of
// the room but the author, as the post script returned them.
func (pre *prefetch) matches(others []string) bool {
	return pre != nil && slices.Equal(pre.others, others)
}

// others returns members without author, in order.
func others(members []string, author string) []string {
	out := make([]string, 0, len(members))
	for _, m := range members {
		if m != author {
			out = append(out, m)
		}
	}
	return out
}
